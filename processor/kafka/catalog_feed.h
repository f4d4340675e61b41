/*
 * The catalog topic of the Kafka runtime (catalog_feed.c).
 */
#ifndef XS_KAFKA_CATALOG_FEED_H
#define XS_KAFKA_CATALOG_FEED_H

#include <librdkafka/rdkafka.h>

#include "kafka/kafka.h"

/* Creates the catalog consumer (rt->catcons) and reads every partition of catalog topic to its
 * end. Returns 0, -1 (logged) on a client or topic error or on timeout, or 1 (logged) when
 * stopped by a signal. */
int xs_rt_catalog_bootstrap(struct xs_rt *rt);

/* Applies catalog record m to the engine's catalog: a put, or a delete for a tombstone; a bad
 * record is dead-lettered. m is not taken. */
void xs_rt_handle_catalog(struct xs_rt *rt, const rd_kafka_message_t *m);

#endif
