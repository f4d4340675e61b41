/*
 * The Kafka runtime's handle, private to kafka/: struct xs_rt, which every file of the
 * runtime (produce, decode, commit, catalog_feed, rebalance, run) works on, from one thread;
 * and the two helpers they share (kafka.c). The map of the files is in kafka.c.
 */
#ifndef XS_KAFKA_INT_H
#define XS_KAFKA_INT_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "kafka/dead_log.h"
#include "kafka/kafka.h"
#include "util/conf_int.h"
#include "xsell/codec.h"

struct xs_engine;
struct xs_obs;
struct xs_registry;
struct xs_rt_bad_id;
struct xs_stepper;

/* A record of the open transaction, kept to produce it again if the broker aborts it
 * (exactly-once, see commit.c). */
struct txn_rec {
        char *topic;
        void *key, *value;
        size_t klen, vlen;
        int64_t ts;
        int32_t partition; /* RD_KAFKA_PARTITION_UA: by the key */
        rd_kafka_headers_t *hdrs;
};

struct xs_rt {
        const struct xs_params *p;
        const struct xs_conf *conf;
        const struct xs_rt_opts *o;
        rd_kafka_t *consumer, *producer, *catcons;
        struct xs_engine *eng;
        struct xs_codec *codec;
        struct xs_registry *reg;
        uint32_t out_ids[XS_KIND_COUNT];
        int eos, tolerance_none;
        unsigned char *buf;
        size_t cap;
        /* exactly-once: the open transaction and what it produced */
        int txn_open;
        struct txn_rec *txn;
        size_t n_txn, cap_txn, txn_bytes;
        rd_kafka_topic_partition_list_t *assigned;
        /* joined: the group gave an assignment (maybe empty); first_assignment_done: one with
         * partitions (the one restored by replay) */
        int joined, first_assignment_done, restoring;
        double last_commit, last_input;
        int fatal;
        char fatal_msg[1024];
        uint64_t consumed_bytes;
        /* run.idle_exit: partitions assigned and those read to their end (bit per partition
         * number below 1024) */
        unsigned char at_eof[1024], assigned_p[1024];
        int32_t parts[1024]; /* the assigned partition numbers, for per-record scans */
        int n_parts;
        /* a partition at its end still holds stream time back until then (see
         * advance_stream_time) */
        double eof_hold_until[1024];
        int64_t part_max[1024]; /* newest event time per partition (stream time) */
        int64_t stream_time;
        /* headers.passthrough: the names (pointers into hdr_names_buf), and while the engine
         * processes an input event, its id, time and those of its headers it has (NULL if
         * none) for the outputs it triggers (produce.c) */
        char *hdr_names_buf;
        const char *hdr_names[XS_HEADERS_PASSTHROUGH_MAX];
        int n_hdr_names;
        const char *cur_event_id;
        int64_t cur_event_time;
        rd_kafka_headers_t *cur_hdrs;
        /* window.visibility=sealed (hold.c): the stepper holding input until its panes are
         * sealed; per partition, the offset after the last record processed (-1: none since
         * assigned), whether it is paused, and since when it is at its end (0: not) */
        struct xs_stepper *stepper;
        int64_t done_off[1024];
        int64_t done_time[1024];     /* the newest event time processed before done_off (stepped) */
        int64_t committed_off[1024]; /* done_off as last committed (at-least-once) */
        unsigned char paused[1024];
        double eof_since[1024];
        int64_t max_time; /* the newest accepted event time (the drain counts from it) */
        /* state.share_panes (panes.c): the internal topic, its consumer, the input topic's
         * partition count, and per partition the marker last published */
        char panes_topic[300];
        rd_kafka_t *panecons;
        int n_in_parts;
        int64_t marked[1024], marked_t[1024];
        unsigned char marked_idle[1024];
        int64_t remote_time[1024]; /* a remote partition's event time, from its markers */
        /* the seal markers of one changelog write (marks.c): captured with it (the step, and
         * per partition what it sealed, its time, idleness and offset) and published once it is
         * durable (at-least-once with a changelog), as mk_phase goes 1 (written, waiting for
         * its acknowledgements), 2 (its commit markers written, waiting for theirs), 0
         * (published; none under way) */
        int64_t mk_step, mk_done[1024], mk_t[1024], mk_off[1024];
        unsigned char mk_idle[1024];
        int mk_phase;
        /* a partition taken over with its stage (changelog.c): its previous owner had sealed
         * it up to pane_gate, and the panes topic has shown seal markers up to pane_recv; until
         * they meet, its seals and the step stop at pane_recv (panes.c) */
        int64_t pane_gate[1024], pane_recv[1024];
        double gate_since[1024];
        int finishing;           /* the end of input: stepping with the other instances */
        int final_commit_failed; /* the group may have forgotten this member (run.c) */
        /* state.changelog (changelog.c): the topic, its partition count, and per input
         * partition the offset its last commit marker named (-1: none yet) */
        char changelog_topic[300];
        int n_cl_parts;
        int64_t cl_marked[1024];
        /* a revocation of the whole assignment (the eager protocol, a lost assignment) parks
         * its partitions (rebalance.c): their customers, staged panes and held input stay
         * until the next assignment keeps those it gives back untouched elsewhere. Per
         * partition: parked or not, the offset after the last record read (-1: none since
         * assigned), and the durable position (commit or changelog marker) when parked */
        int restart; /* the fatal stop asks for a new run (XS_RT_RESTART) */
        unsigned char parked[1024];
        int64_t fetch_off[1024];
        int64_t eof_off[1024]; /* the offset its last end-of-partition event was at */
        int64_t parked_durable[1024];
        int n_parked;
        struct xs_rt_stats st;
        struct xs_dead_log dlog; /* dead letters in the log (dead_log.h) */
        struct xs_obs *obs;      /* metrics, health, debug views (obs.c) */
        /* schema ids that kept failing while the registry served others (decode.c) */
        struct xs_rt_bad_id *bad_ids;
        size_t n_bad_ids;
};

/* Seconds on the monotonic clock: wall-clock for commits, timeouts and idle exit, never
 * event time. */
double xs_rt_now(void);

/* Stops the runtime: the loop ends on the next iteration and xs_rt_run returns 1. Only the
 * first fatal error is kept; its message is fmt with detail for its one %s. */
void xs_rt_set_fatal(struct xs_rt *rt, const char *fmt, const char *detail);

#endif
