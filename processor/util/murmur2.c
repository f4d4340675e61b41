/* Kafka's murmur2 (murmur2.h), as org.apache.kafka.common.utils.Utils.murmur2. */
#include "util/murmur2.h"

#include <string.h>

uint32_t xs_murmur2(const void *key, size_t len)
{
        const uint32_t m = 0x5bd1e995u;
        const unsigned char *d = key;
        uint32_t h = 0x9747b28cu ^ (uint32_t)len;
        size_t n4 = len / 4;
        for (size_t i = 0; i < n4; i++) {
                const unsigned char *q = d + 4 * i;
                uint32_t k = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                             (uint32_t)q[3] << 24;
                k *= m;
                k ^= k >> 24;
                k *= m;
                h *= m;
                h ^= k;
        }
        const unsigned char *tail = d + 4 * n4;
        switch (len & 3) {
        case 3:
                h ^= (uint32_t)tail[2] << 16;
                /* fall through */
        case 2:
                h ^= (uint32_t)tail[1] << 8;
                /* fall through */
        case 1:
                h ^= (uint32_t)tail[0];
                h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

uint32_t xs_murmur2_partition(const char *key, uint32_t n)
{
        return n ? (xs_murmur2(key, strlen(key)) & 0x7fffffffu) % n : 0;
}
