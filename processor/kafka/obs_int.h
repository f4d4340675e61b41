/*
 * The observer's state (obs.c), shared with obs_kafka.c (librdkafka's statistics and their
 * metrics). Everything here is the loop thread's.
 */
#ifndef XS_OBS_INT_H
#define XS_OBS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/http.h"
#include "util/metrics.h"
#include "xsell/engine.h"

enum { CL_CONSUMER, CL_PRODUCER, CL_CATALOG, CL_COUNT };

struct lag {
        char topic[256];
        int32_t partition;
        int64_t lag;
};

/* the figures of one client's last statistics */
struct kstats {
        int seen;
        int64_t msg_cnt, msg_size; /* messages (and bytes) waiting in the client's queues */
        int brokers, brokers_up;
        int64_t txerrs, rxerrs;
        struct lag *lags; /* consumers: partitions with a known lag */
        size_t n_lags;
};

enum { OUT_OFFERS, OUT_SIGNALS, OUT_OUTCOMES, OUT_DEAD, OUT_COUNT };

struct xs_obs {
        struct xs_http *http;
        struct xs_prom w;
        double last_render;
        uint64_t offers[XS_OFFER_COUNT][XS_STAGE_COUNT][XS_CHANNEL_COUNT];
        uint64_t delivered[OUT_COUNT];
        uint64_t dead_deserialize, dead_contract;
        uint64_t commit_failures, txn_failed;
        struct xs_histo latency;
        struct kstats ks[CL_COUNT];
        int catalog_loaded, restoring, restore_done;
        int64_t restore_planned, restore_skipped, restore_read, restore_replayed;
        double restore_logged;
        struct xs_stats before, base; /* engine counters around the restore, and what to subtract */
        int stopping;
        char registry_wait[160]; /* the registry error decoding waits on; empty: none */
        uint64_t lag_omitted;    /* partitions beyond http.max_lag_partitions at a statistics */
};

/* The families from librdkafka's statistics: consumer lag and the clients' figures. */
void xs_obs_render_kafka(struct xs_prom *w, const struct xs_obs *ob);

#endif
