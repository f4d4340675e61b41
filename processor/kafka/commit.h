/*
 * Making what the Kafka runtime processed durable (commit.c).
 */
#ifndef XS_KAFKA_COMMIT_H
#define XS_KAFKA_COMMIT_H

#include "kafka/kafka.h"

/* Commits the stored offsets after a flush (at-least-once) or the open transaction with the
 * consumer's positions (exactly-once). Returns 0, or -1 when not committed yet (or the runtime
 * stopped). */
int xs_rt_commit_now(struct xs_rt *rt);

#endif
