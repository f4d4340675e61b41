/*
 * Producing for the Kafka runtime (produce.c): the engine sink, dead letters, delivery
 * reports, and the exactly-once transaction's copies of what it produced.
 */
#ifndef XS_KAFKA_PRODUCE_H
#define XS_KAFKA_PRODUCE_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "kafka/kafka.h"

/* Exactly-once: opens a transaction unless one is open (nothing under at-least-once).
 * Returns 0, or -1 with the runtime stopped (xs_rt_set_fatal). */
int xs_rt_txn_begin(struct xs_rt *rt);

/* Frees the kept copies of the open transaction's records. */
void xs_rt_txn_clear(struct xs_rt *rt);

/* Exactly-once: aborts the open transaction, which the broker failed (an abortable error),
 * and produces its kept records again, unchanged, in a new one (the engine's state is never
 * rolled back; the input offsets are sent with the commit). Retried while the new transaction
 * fails too, 10 times at most. Returns 0, or -1 with the runtime stopped. */
int xs_rt_txn_redo(struct xs_rt *rt);

/* Produces one record, without keeping a copy (commit.c uses it to produce an aborted
 * transaction's records again). key, value and hdrs are copied. ts is the record's timestamp in
 * ms since the epoch (0 or less: the producer's clock). opaque is taken: the delivery report
 * frees it, or this call on failure. Under exactly-once a produce refused because the open
 * transaction failed is redone (xs_rt_txn_redo). Returns 0, or -1 with the runtime stopped. */
/* Produces a record of the processing (nothing while restoring), in the open transaction under
 * exactly-once (kept to be produced again if it aborts). ts: ms since the epoch (0: now);
 * opaque: freed after the delivery report. Returns 0, or -1 (fatal set). */
int xs_rt_produce(struct xs_rt *rt, const char *topic, const void *key, size_t klen,
                  const void *value, size_t vlen, int64_t ts, const rd_kafka_headers_t *hdrs,
                  void *opaque);
/* xs_rt_produce to one partition (RD_KAFKA_PARTITION_UA: by the key). */
int xs_rt_produce_to(struct xs_rt *rt, const char *topic, int32_t partition, const void *key,
                     size_t klen, const void *value, size_t vlen, int64_t ts,
                     const rd_kafka_headers_t *hdrs, void *opaque);
int xs_rt_produce_raw(struct xs_rt *rt, const char *topic, const void *key, size_t klen,
                      const void *value, size_t vlen, int64_t ts, const rd_kafka_headers_t *hdrs,
                      void *opaque);

/* The producer's delivery report callback (opaque is the runtime). */
void xs_rt_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);

/* The engine sink (opaque is the runtime): each output is encoded and produced. */
void xs_rt_on_offer(void *opaque, const struct xs_offer *o);
void xs_rt_on_signal(void *opaque, const struct xs_signal *s);
void xs_rt_on_outcome(void *opaque, const struct xs_outcome *o);

/* Sends input record m to the dead-letter topic, saying where (stage) and why (err, why) in
 * its headers; under errors.tolerance=none stops the runtime instead. Nothing while
 * restoring. m is not taken. */
void xs_rt_dead_letter(struct xs_rt *rt, const rd_kafka_message_t *m, const char *stage,
                       xs_err_t err, const char *why);

#endif
