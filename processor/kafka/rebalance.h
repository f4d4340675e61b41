/*
 * Partition assignment and revocation of the Kafka runtime's consumer group (rebalance.c).
 */
#ifndef XS_KAFKA_REBALANCE_H
#define XS_KAFKA_REBALANCE_H

#include <librdkafka/rdkafka.h>

/* The consumer's rebalance callback (opaque is the runtime): restores state on the first
 * assignment, commits before a revocation, drops the revoked partitions' customers. */
void xs_rt_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t *parts, void *opaque);

#endif
