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
/* At-least-once with shared panes: publishes the seal markers that are due (a partition's
 * sealed point or idleness moved) at once. Exactly-once: nothing (markers go with the commit).
 * Returns 1 when the step should run again (never, as markers do not hold it), else 0. */
int xs_rt_seal_marks(struct xs_rt *rt);
/* Processes what the sealed panes allow (xs_rt_hold_run) and publishes the seal markers that
 * makes due (xs_rt_seal_marks), in rounds until none is due. */
void xs_rt_step(struct xs_rt *rt);

#endif
