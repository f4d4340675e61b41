/*
 * window.visibility=sealed in the Kafka runtime: input held until its panes are sealed
 * (hold.c).
 */
#ifndef XS_KAFKA_HOLD_H
#define XS_KAFKA_HOLD_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "xsell/common.h"
#include "xsell/event.h"

struct xs_rt;

/* Sets up done_off, and the stepper when window.visibility=sealed (rt->stepper; NULL for
 * immediate). Returns 0, or -1 out of memory. */
int xs_rt_hold_init(struct xs_rt *rt);
void xs_rt_hold_destroy(struct xs_rt *rt);

/* Record m of an assigned partition, decoded (e: XS_OK with ev, or the error with stage and
 * why): checked, then held, or dead-lettered or counted late in its partition's turn. Returns
 * 1 when m was taken (held for its dead letter: do not destroy it), else 0. Call
 * xs_rt_hold_run after. */
int xs_rt_hold_record(struct xs_rt *rt, rd_kafka_message_t *m, xs_err_t e,
                      const struct xs_event *ev, const char *stage, const char *why);
/* The headers.passthrough headers of m, every occurrence in order (a new set, or NULL when it
 * has none); *bytes (if not NULL) grows by what they hold. */
rd_kafka_headers_t *xs_rt_passthrough(struct xs_rt *rt, const rd_kafka_message_t *m, size_t *bytes);
/* A record restored on start (ev: a copy, taken): processed in its turn, outputs discarded, its
 * offset not stored. Returns 0, or -1 out of memory. */
int xs_rt_hold_restored(struct xs_rt *rt, int32_t part, int64_t offset, struct xs_event *ev);
/* Processes what the sealed panes allow; publishes the seal markers that makes due (panes.c);
 * moves rt->stream_time. */
void xs_rt_hold_run(struct xs_rt *rt);
/* Every loop iteration: window.idle_seal and window.max_held_bytes (pause, resume). */
void xs_rt_hold_tick(struct xs_rt *rt);
/* Whether partition part's log holds records past where it was last read to its end, or its
 * end cannot be known within 1 s (a round trip to its leader). */
int xs_rt_unread_records(struct xs_rt *rt, int32_t part);
/* Partition part receives a record after it was at its end: every other owned partition sealed
 * idle (window.idle_seal) takes part in the step again, for window.idle_seal more, so that
 * the first partition read after a quiet spell does not move the step past the others' records
 * on their way (which the engine would then drop as late). */
void xs_rt_hold_wake(struct xs_rt *rt, int32_t part);
/* End of input (run.idle_exit): everything held is processed, the step goes to the newest
 * event time plus drain_ms. */
void xs_rt_hold_finish(struct xs_rt *rt, int64_t drain_ms);
/* Rebalance: a partition assigned, or revoked (after the commit). */
void xs_rt_hold_assign(struct xs_rt *rt, int32_t part);
void xs_rt_hold_revoke(struct xs_rt *rt, int32_t part);
/* A partition parked by a revocation (rebalance.c): resumed if paused; its held input, its
 * place in the stepper and its offsets stay. */
void xs_rt_hold_park(struct xs_rt *rt, int32_t part);
/* The offsets to commit: after the last record processed, per assigned partition; only_new:
 * only those beyond what was last committed (a new list; destroy it). */
rd_kafka_topic_partition_list_t *xs_rt_done_offsets(struct xs_rt *rt, int only_new);
/* The offsets of l were committed. */
void xs_rt_done_committed(struct xs_rt *rt, const rd_kafka_topic_partition_list_t *l);

#endif
