/*
 * The Kafka runtime around the engine (`xsell run`, `xsell demo`): a consumer group on the
 * events topic, the catalog topic read to its end before any offer, a producer for offers,
 * signals, outcomes and dead letters, at-least-once or exactly-once delivery, the Confluent
 * wire format with a Schema Registry (or configured ids), and graceful shutdown.
 */
#ifndef XS_KAFKA_H
#define XS_KAFKA_H

#include <signal.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "xsell/codec.h"
#include "xsell/conf.h"

struct xs_rt;

/* Called once per loop iteration before the consumer is polled (the demo's paced loader).
 * Returns 1 while it has more to do, 0 when it is done. */
typedef int(xs_rt_feed_cb)(void *opaque, struct xs_rt *rt);

struct xs_rt_stats;

struct xs_rt_opts {
        const char *bootstrap;       /* overrides kafka.bootstrap.servers (embedded broker) */
        volatile sig_atomic_t *stop; /* set by the signal handler; polled by the loop */
        FILE *print;                 /* offers are printed here as they are acknowledged */
        int print_json;              /* print offers as JSON lines instead of text */
        xs_rt_feed_cb *feed;
        void *feed_opaque;
        int quiet;
        int64_t drain_ms; /* at idle exit, move event time on this much first (the demo) */
        /* NULL, or the counters a run goes on from and leaves behind when it returns
         * XS_RT_RESTART: a caller that runs it again on that status keeps them monotonic */
        struct xs_rt_stats *carry;
};

/* xs_rt_run's status when the state must be rebuilt from the input by a new run (only with
 * opts->carry): under exactly-once the group took the assignment away while a transaction was
 * open, so the engine holds what the aborted transaction undid. */
#define XS_RT_RESTART 75

/* Runs until *stop, run.idle_exit, or a fatal error. Returns the exit status (0 ok, 1 runtime
 * failure, 2 configuration, XS_RT_RESTART). conf is not taken. */
int xs_rt_run(const struct xs_conf *conf, const struct xs_rt_opts *opts);

/* Runtime counters (every one a future metric). */
#define XS_RT_STATS(X)                                                                             \
        X(consumed, "input records consumed")                                                      \
        X(catalog_records, "catalog records applied")                                              \
        X(catalog_key_mismatch, "catalog records dead-lettered: key is not the product_id")        \
        X(produced, "records produced (offers, signals, outcomes, dead letters)")                  \
        X(delivered, "records acknowledged by the broker")                                         \
        X(delivery_failed, "records the broker did not take")                                      \
        X(dead_lettered, "input records sent to the dead-letter topic")                            \
        X(schema_id_failures, "schema ids that kept failing while the registry served others")     \
        X(schema_id_failed_hits, "records made poison by a schema id remembered as failing")       \
        X(schema_id_failure_evictions, "failing schema ids forgotten: registry.failure_cache_max") \
        X(dead_letters_truncated, "dead letters cut to fit the producer's message.max.bytes")      \
        X(commits, "offset commits (at-least-once)")                                               \
        X(txn_commits, "transactions committed (exactly-once)")                                    \
        X(txn_aborts, "transactions aborted and retried (exactly-once)")                           \
        X(restored, "events replayed to rebuild state on start")                                   \
        X(offsets_beyond_end, "assigned partitions whose committed offset was beyond the log end") \
        X(restore_skipped,                                                                         \
          "partitions not restored: committed offset beyond the log end, or end unknown")          \
        X(rebalances, "partition assignments and revocations")                                     \
        X(customers_dropped, "customers dropped with a revoked partition")                         \
        X(events_held, "input events held until the panes they need were sealed")                  \
        X(held_bytes_max, "the most bytes of input held at once (window.max_held_bytes)")          \
        X(partitions_paused, "partitions paused while window.max_held_bytes was reached")          \
        X(partitions_idle_sealed, "partitions that stopped holding panes back (window.idle_seal)") \
        X(partitions_woken, "idle partitions made to hold the step again when input resumed")      \
        X(idle_seal_deferred, "idle seals put off: the partition's log had records not yet read")  \
        X(partitions_kept, "partitions given back by a rebalance untouched and kept as they were") \
        X(held_dropped, "held events dropped with a revoked partition (read again by the owner)")  \
        X(panes_published, "sealed pane deltas published to the internal panes topic")             \
        X(panes_received, "pane deltas of other instances' partitions applied")                    \
        X(panes_markers_received, "seal markers of other instances' partitions applied")           \
        X(panes_markers_published, "seal markers published for this instance's partitions")        \
        X(panes_mark_rounds, "changelog writes made between commits for seal markers to wait on")  \
        X(panes_gated, "partitions taken over that waited for their previous owner's panes")       \
        X(panes_gate_expired, "such waits given up after window.idle_seal")                        \
        X(panes_bad, "records of the panes topic that could not be read (skipped)")                \
        X(finish_waits_expired, "ends of input that did not wait longer for another instance's "   \
                                "seals (window.idle_seal)")                                        \
        X(changelog_written, "customer states written to the customers changelog")                 \
        X(changelog_tombstones, "tombstones written to the changelog (FORGET, eviction)")          \
        X(changelog_markers, "commit markers written to the changelog (one per partition moved)")  \
        X(changelog_stages, "partition stages (staged panes, time) written to the changelog")      \
        X(changelog_stage_bytes, "bytes of partition stages written to the changelog")             \
        X(changelog_stages_restored, "partition stages restored from the changelog")               \
        X(changelog_restored, "customers restored from the changelog on assignment")               \
        X(changelog_tail_skipped,                                                                  \
          "changelog records after a partition's last commit marker (unfinished), not restored")   \
        X(changelog_bad, "changelog records that could not be read or imported (skipped)")         \
        X(changelog_unmapped, "customer states not written: not tagged with an input partition")

struct xs_rt_stats {
#define XS_RT_FIELD(name, help) uint64_t name;
        XS_RT_STATS(XS_RT_FIELD)
#undef XS_RT_FIELD
};

/* For the feeder: the embedded broker's producer handle and byte counts, to stay within what
 * the mock keeps per partition. */
rd_kafka_t *xs_rt_producer(struct xs_rt *rt);
uint64_t xs_rt_consumed_bytes(const struct xs_rt *rt);

/* Helpers shared with `xsell produce` and the demo. */
/* Builds a librdkafka configuration from the kafka.* keys plus extra pairs (NULL-terminated
 * key, value, key, value...). Returns NULL with errstr filled on an unknown property. */
rd_kafka_conf_t *xs_kafka_conf(const struct xs_conf *conf, const char *bootstrap,
                               const char *const *extra, char *errstr, size_t errstr_size);
/* Routes a client's logs and error events into util/log.h (logger "rdkafka"), each failure
 * once; xs_kafka_conf does it for every client it configures. */
void xs_kafka_conf_logs(rd_kafka_conf_t *kc);
/* The partition count of topic (its metadata request creates it where the cluster creates
 * topics; waits up to timeout_ms for it to exist), or -1. */
int xs_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms);
/* The index of partition part in parts, or -1. */
int xs_kafka_part_index(const rd_kafka_topic_partition_list_t *parts, int32_t part);
/* 1 when text was just logged at error level by librdkafka for the client rk (so an error
 * event or consumer error with the same text need not be logged again). Thread-safe. */
int xs_kafka_logged(const rd_kafka_t *rk, const char *text);
/* Logs a consumer error returned as a message (not PARTITION_EOF) as a warning with its topic,
 * partition, offset and code, unless librdkafka just logged the same text. */
void xs_kafka_log_consumer_error(rd_kafka_t *rk, const rd_kafka_message_t *m, const char *logger);
/* Frames and encodes one record of kind into buf (owned by the caller, grown as needed).
 * Returns the length, or 0 with errstr filled. */
size_t xs_kafka_encode(struct xs_codec *codec, enum xs_record_kind kind, uint32_t schema_id,
                       const void *record, int tombstone, unsigned char **buf, size_t *cap,
                       char *errstr, size_t errstr_size);

#endif
