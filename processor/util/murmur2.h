/* Kafka's default partitioner hash (the Java client's murmur2, librdkafka's "murmur2"): the
 * partition of a key among n is (xs_murmur2(key) & 0x7fffffff) % n. */
#ifndef XS_MURMUR2_H
#define XS_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

uint32_t xs_murmur2(const void *key, size_t len);
uint32_t xs_murmur2_partition(const char *key, uint32_t n);

#endif
