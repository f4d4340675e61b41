/*
 * What `xsell run` shows of itself (see obs.h): the metrics, liveness and readiness, the debug
 * views, the latency histogram and restore progress; librdkafka's statistics are parsed and
 * rendered in obs_kafka.c.
 *
 * Threads: everything here runs on the loop's thread. The HTTP endpoint (http.c) only serves
 * what xs_obs_tick hands it: the metrics text rendered every XS_OBS_RENDER_S, the readiness
 * reason, the time of the last progress, and the answer to a debug question. librdkafka's
 * statistics callback is served by the loop's polls too (rd_kafka_poll, consumer_poll), so the
 * figures it parses need no lock.
 *
 * Counters the engine keeps include what the restore on start replayed (outputs discarded);
 * the metrics leave that out (base, taken around the restore), so a restart does not show as a
 * burst of events, offers and conversions. Gauges are shown as they are.
 *
 * Labels are bounded: topics of the configuration, partitions below 1024, the enums' names,
 * config key names. Never a customer or product id.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/inspect.h"
#include "engine/stepper.h"
#include "kafka/http.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "kafka/obs_int.h"
#include "util/log.h"
#include "util/metrics.h"
#include "xsell/engine.h"
#include "xsell/registry.h"

#ifndef XS_VERSION
#define XS_VERSION "unknown"
#endif

#define XS_OBS_DEBUG_ITEMS  20  /* entries of each list of a product view */
#define XS_OBS_PROGRESS_LOG 5.0 /* seconds between restore progress lines */

static double wall_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the engine's counters less the restore ----------------------------------------- */

#define XS_KIND_IS_counter 1
#define XS_KIND_IS_gauge   0

static void live_stats(const struct xs_rt *rt, const struct xs_obs *ob, struct xs_stats *st)
{
        xs_engine_stats(rt->eng, st);
        const struct xs_stats *b = &ob->base;
#define XS_SUB(name, kind, help)                                                                   \
        if (XS_KIND_IS_##kind)                                                                     \
                st->name -= b->name;
        XS_STATS_SCALARS(XS_SUB)
#undef XS_SUB
        for (int i = 0; i < XS_EV_COUNT; i++)
                st->events_by_type[i] -= b->events_by_type[i];
        for (int i = 0; i < XS_STAGE_COUNT; i++)
                st->stage_entries[i] -= b->stage_entries[i];
        for (int o = 0; o < XS_OFFER_COUNT; o++)
                for (int s = 0; s < XS_STAGE_COUNT; s++) {
                        st->offers[o][s] -= b->offers[o][s];
                        st->conversions[o][s] -= b->conversions[o][s];
                        st->control_offers[o][s] -= b->control_offers[o][s];
                        st->control_conversions[o][s] -= b->control_conversions[o][s];
                }
}

/* ---- rendering ---------------------------------------------------------------------- */

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The caps (config key names) and the engine counter of what each turned away. The counter is
 * shown only here (xsell_cap_hits_total{cap="KEY"}), not again under its own name. */
#define XS_CAP(key, name)                                                                          \
        {                                                                                          \
                key, #name, offsetof(struct xs_stats, name)                                        \
        }
static const struct {
        const char *key, *name;
        size_t off;
} caps[] = {
    XS_CAP("cooc.max_pairs", pairs_cap_hits),
    XS_CAP("cooc.max_basket_items", basket_items_truncated),
    XS_CAP("cooc.max_history", history_evictions),
    XS_CAP("guard.max_bought", guard_bought_evictions),
    XS_CAP("reorder.max_gaps", reorder_gaps_dropped),
    XS_CAP("window.max_draining", forced_drains),
    XS_CAP("customers.max", customers_evicted),
    XS_CAP("catalog.max_products", catalog_cap_hits),
    XS_CAP("timers.max_fire_per_event", timers_deferred),
    XS_CAP("dedup.capacity", dedup_evictions),
    XS_CAP("attribution.max_pending", offers_pending_evicted),
    XS_CAP("offer.max_anchors", anchors_truncated),
    XS_CAP("journey.lead_max_emails", lead_stopped),
};
#undef XS_CAP

/* Engine gauges shown by a curated family of render() (xsell_customers, xsell_window_pairs,
 * xsell_watermark_seconds), and runtime counters shown by one (records consumed and produced,
 * commits, transactions, rebalances, restore, cap hits): not repeated under their own names. */
static const char *const curated_engine[] = {"customers_live", "pairs_live", "watermark_ms"};
static const char *const curated_rt[] = {"consumed",
                                         "partitions_paused",
                                         "held_bytes_max",
                                         "catalog_records",
                                         "delivery_failed",
                                         "commits",
                                         "txn_commits",
                                         "txn_aborts",
                                         "rebalances",
                                         "customers_dropped",
                                         "restored",
                                         "restore_skipped",
                                         "schema_id_failure_evictions"};

static int listed(const char *const *names, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(names[i], name))
                        return 1;
        return 0;
}

static void scalar(void *opaque, const char *name, const char *kind, const char *help,
                   uint64_t value)
{
        struct xs_prom *w = opaque;
        char full[160];
        if (listed(curated_engine, sizeof(curated_engine) / sizeof(curated_engine[0]), name))
                return;
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
                if (!strcmp(caps[i].name, name))
                        return;
        snprintf(full, sizeof(full), "xsell_%s%s", name, strcmp(kind, "counter") ? "" : "_total");
        xs_prom_family(w, full, kind, help);
        xs_prom_u64(w, full, NULL, value);
}

/* The reasons an event is dropped, and the engine counter of each. */
static const struct {
        const char *reason;
        size_t off;
} drops[] = {
    {"late", offsetof(struct xs_stats, events_late)},
    {"duplicate", offsetof(struct xs_stats, events_duplicate)},
    {"missing_field", offsetof(struct xs_stats, rejected_missing_field)},
    {"bad_quantity", offsetof(struct xs_stats, rejected_bad_quantity)},
    {"bad_price", offsetof(struct xs_stats, rejected_bad_price)},
    {"too_many_items", offsetof(struct xs_stats, rejected_too_many_items)},
    {"unknown_type", offsetof(struct xs_stats, rejected_unknown_type)},
    {"no_items", offsetof(struct xs_stats, rejected_no_items)},
    {"far_ahead", offsetof(struct xs_stats, rejected_too_far_ahead)},
};

static uint64_t field(const struct xs_stats *st, size_t off)
{
        uint64_t v;
        memcpy(&v, (const char *)st + off, sizeof(v));
        return v;
}

/* The reason the process is not ready, NULL when it is (buf: room for a composed one). */
static const char *not_ready(const struct xs_rt *rt, const struct xs_obs *ob, char *buf,
                             size_t size)
{
        if (ob->stopping || rt->fatal)
                return "shutting down";
        int catalog_pending = *rt->p->topic_catalog && !ob->catalog_loaded;
        if (ob->registry_wait[0] && (catalog_pending || !rt->joined)) {
                /* at start (output schemas, catalog records): the wait is the reason; once
                 * ready, a registry outage does not make the process unready */
                snprintf(buf, size, "waiting for the schema registry (%s)", ob->registry_wait);
                return buf;
        }
        if (catalog_pending)
                return "catalog not loaded yet (reading the catalog topic)";
        if (ob->restoring)
                return "restoring state";
        if (!rt->joined)
                return "consumer group not joined yet (no partition assignment)";
        return NULL;
}

static void render(struct xs_rt *rt)
{
        struct xs_obs *ob = rt->obs;
        struct xs_prom *w = &ob->w;
        const struct xs_params *p = rt->p;
        struct xs_stats st;
        char num[32];
        live_stats(rt, ob, &st);
        xs_prom_reset(w);

        xs_prom_family(w, "xsell_build_info", "gauge", "the running version (always 1)");
        xs_prom_u64(w, "xsell_build_info", L("version", XS_VERSION), 1);

        xs_prom_family(w, "xsell_records_consumed_total", "counter",
                       "input records consumed (events processed or dead-lettered; catalog "
                       "records applied)");
        xs_prom_u64(w, "xsell_records_consumed_total", L("topic", p->topic_events),
                    rt->st.consumed);
        if (*p->topic_catalog)
                xs_prom_u64(w, "xsell_records_consumed_total", L("topic", p->topic_catalog),
                            rt->st.catalog_records);
        xs_prom_family(w, "xsell_records_produced_total", "counter",
                       "records acknowledged by the broker, by topic");
        const char *outs[OUT_COUNT] = {p->topic_offers, p->topic_signals, p->topic_outcomes,
                                       p->topic_dead_letter};
        for (int i = 0; i < OUT_COUNT; i++) {
                int dup = 0;
                for (int k = 0; k < i; k++)
                        dup |= !strcmp(outs[k], outs[i]);
                if (*outs[i] && !dup)
                        xs_prom_u64(w, "xsell_records_produced_total", L("topic", outs[i]),
                                    ob->delivered[i]);
        }
        xs_prom_family(w, "xsell_delivery_failures_total", "counter",
                       "records the broker did not take");
        xs_prom_u64(w, "xsell_delivery_failures_total", NULL, rt->st.delivery_failed);

        xs_prom_family(w, "xsell_events_total", "counter",
                       "events accepted by the engine, by type");
        for (int t = 0; t < XS_EV_COUNT; t++)
                xs_prom_u64(w, "xsell_events_total", L("type", xs_event_type_name(t)),
                            st.events_by_type[t]);
        xs_prom_family(w, "xsell_events_dropped_total", "counter",
                       "events dropped by the engine, by reason (late and duplicate are skipped; "
                       "the others break the contract and are dead-lettered)");
        for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
                xs_prom_u64(w, "xsell_events_dropped_total", L("reason", drops[i].reason),
                            field(&st, drops[i].off));
        xs_prom_family(w, "xsell_dead_letters_total", "counter",
                       "input records sent to the dead-letter topic, by the stage that refused "
                       "them");
        xs_prom_u64(w, "xsell_dead_letters_total", L("reason", "deserialize"),
                    ob->dead_deserialize);
        xs_prom_u64(w, "xsell_dead_letters_total", L("reason", "contract"), ob->dead_contract);

        xs_prom_family(w, "xsell_offers_total", "counter",
                       "offers produced, by type, the stage that triggered them and channel");
        for (int o = 0; o < XS_OFFER_COUNT; o++)
                for (int s = 0; s < XS_STAGE_COUNT; s++)
                        for (int c = 0; c < XS_CHANNEL_COUNT; c++)
                                if (ob->offers[o][s][c])
                                        xs_prom_u64(w, "xsell_offers_total",
                                                    L("type", xs_offer_type_name(o), "stage",
                                                      xs_stage_name(s), "channel",
                                                      xs_channel_name(c)),
                                                    ob->offers[o][s][c]);
        static const struct {
                const char *name, *help;
        } conv[4] = {
            {"xsell_conversions_total", "offers converted (a product bought within "
                                        "attribution.window), by type and trigger stage"},
            {"xsell_control_group_total", "offers withheld for the control group, by type and "
                                          "trigger stage"},
            {"xsell_control_conversions_total", "withheld offers of the control group whose "
                                                "product was bought anyway, by type and stage"},
            {"xsell_offers_made_total", "offers made and sent (the engine's count: with "
                                        "xsell_conversions_total, the conversion rate), by type "
                                        "and trigger stage"},
        };
        for (int k = 0; k < 4; k++) {
                xs_prom_family(w, conv[k].name, "counter", conv[k].help);
                for (int o = 0; o < XS_OFFER_COUNT; o++)
                        for (int s = 0; s < XS_STAGE_COUNT; s++) {
                                uint64_t v = k == 0   ? st.conversions[o][s]
                                             : k == 1 ? st.control_offers[o][s]
                                             : k == 2 ? st.control_conversions[o][s]
                                                      : st.offers[o][s];
                                if (v || s == XS_STAGE_BROWSING) /* every type has a series */
                                        xs_prom_u64(w, conv[k].name,
                                                    L("type", xs_offer_type_name(o), "stage",
                                                      xs_stage_name(s)),
                                                    v);
                        }
        }

        xs_prom_family(w, "xsell_window_pairs", "gauge", "distinct product pairs in the window");
        xs_prom_u64(w, "xsell_window_pairs", NULL, st.pairs_live);
        xs_prom_family(w, "xsell_window_panes", "gauge",
                       "closed panes in the co-occurrence window (closed minus expired)");
        xs_prom_u64(w, "xsell_window_panes", NULL,
                    st.panes_closed >= st.panes_expired ? st.panes_closed - st.panes_expired : 0);
        xs_prom_family(w, "xsell_customers", "gauge", "customers tracked");
        xs_prom_u64(w, "xsell_customers", NULL, st.customers_live);
        xs_prom_family(w, "xsell_watermark_seconds", "gauge",
                       "event-time watermark (Unix seconds; 0 before the first event)");
        xs_prom_dbl(w, "xsell_watermark_seconds", NULL, (double)st.watermark_ms / 1000.0);
        xs_prom_family(w, "xsell_cap_hits_total", "counter",
                       "what a cap turned away (the cap is the configuration key)");
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
                xs_prom_u64(w, "xsell_cap_hits_total", L("cap", caps[i].key),
                            field(&st, caps[i].off));
        xs_prom_u64(w, "xsell_cap_hits_total", L("cap", "memory.budget"),
                    st.memory_customers_evicted + st.memory_pairs_refused +
                        st.memory_products_refused);
        xs_prom_u64(w, "xsell_cap_hits_total", L("cap", "state.restore_max_events"),
                    (uint64_t)ob->restore_skipped);
        xs_prom_u64(w, "xsell_cap_hits_total", L("cap", "registry.failure_cache_max"),
                    rt->st.schema_id_failure_evictions);
        xs_prom_u64(w, "xsell_cap_hits_total", L("cap", "http.max_connections"),
                    xs_http_refused(ob->http));
        xs_prom_u64(w, "xsell_cap_hits_total", L("cap", "http.max_lag_partitions"),
                    ob->lag_omitted);
        xs_prom_u64(w, "xsell_cap_hits_total", L("cap", "window.max_held_bytes"),
                    rt->st.partitions_paused);
        /* window.visibility=sealed: input read, held until its panes are sealed */
        const struct xs_frontier *fr = rt->stepper ? xs_stepper_frontier(rt->stepper) : NULL;
        xs_prom_family(w, "xsell_held_bytes", "gauge",
                       "input held until its panes are sealed (window.max_held_bytes)");
        xs_prom_u64(w, "xsell_held_bytes", NULL, fr ? xs_frontier_held_bytes(fr) : 0);
        xs_prom_family(w, "xsell_held_bytes_max", "gauge", "the most input held at once");
        xs_prom_u64(w, "xsell_held_bytes_max", NULL, rt->st.held_bytes_max);
        xs_prom_family(w, "xsell_held_events", "gauge", "input events held now");
        xs_prom_u64(w, "xsell_held_events", NULL, fr ? xs_frontier_held(fr) : 0);

        xs_obs_render_kafka(w, ob);

        xs_prom_family(w, "xsell_commits_total", "counter",
                       "input offsets committed: offset commits (at_least_once) or transactions "
                       "(exactly_once)");
        xs_prom_u64(w, "xsell_commits_total", NULL, rt->st.commits + rt->st.txn_commits);
        xs_prom_family(w, "xsell_commit_failures_total", "counter",
                       "commits that did not complete (retried at the next commit.interval)");
        xs_prom_u64(w, "xsell_commit_failures_total", NULL, ob->commit_failures + ob->txn_failed);
        xs_prom_family(w, "xsell_transactions_total", "counter",
                       "transactions by outcome (exactly_once): committed, aborted by the broker "
                       "(produced again), failed (fatal)");
        xs_prom_u64(w, "xsell_transactions_total", L("outcome", "committed"), rt->st.txn_commits);
        xs_prom_u64(w, "xsell_transactions_total", L("outcome", "aborted"), rt->st.txn_aborts);
        xs_prom_u64(w, "xsell_transactions_total", L("outcome", "failed"), ob->txn_failed);
        xs_prom_family(w, "xsell_rebalances_total", "counter",
                       "partition assignments and revocations");
        xs_prom_u64(w, "xsell_rebalances_total", NULL, rt->st.rebalances);
        xs_prom_family(w, "xsell_customers_dropped_total", "counter",
                       "customers dropped with a revoked partition");
        xs_prom_u64(w, "xsell_customers_dropped_total", NULL, rt->st.customers_dropped);

        if (rt->reg) {
                struct xs_registry_stats rs;
                xs_registry_stats(rt->reg, &rs);
                xs_prom_family(w, "xsell_registry_requests_total", "counter",
                               "Schema Registry HTTP requests by outcome (every attempt)");
                static const char *const outcome[] = {"ok",           "not_found", "client_error",
                                                      "server_error", "timeout",   "unreachable",
                                                      "bad_answer"};
                const uint64_t v[] = {rs.ok,      rs.not_found,   rs.client_error, rs.server_error,
                                      rs.timeout, rs.unreachable, rs.bad_answer};
                for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
                        xs_prom_u64(w, "xsell_registry_requests_total", L("outcome", outcome[i]),
                                    v[i]);
                xs_prom_family(w, "xsell_registry_cache_hits_total", "counter",
                               "writer schemas answered from the cache (no request)");
                xs_prom_u64(w, "xsell_registry_cache_hits_total", NULL, rs.cache_hits);
        }

        xs_prom_histo(w, "xsell_processing_latency_seconds",
                      "time from a record's arrival from the consumer to its offset stored "
                      "(decode, engine, outputs queued)",
                      &ob->latency);

        xs_prom_family(w, "xsell_restore_events_total", "counter",
                       "events replayed to rebuild state on start (state.restore=replay)");
        xs_prom_u64(w, "xsell_restore_events_total", NULL,
                    rt->st.restored + (uint64_t)ob->restore_replayed);
        xs_prom_family(w, "xsell_restore_planned_events", "gauge",
                       "events the running (or last) restore reads");
        xs_prom_i64(w, "xsell_restore_planned_events", NULL, ob->restore_planned);
        xs_prom_family(w, "xsell_restore_read_events", "gauge",
                       "events the running (or last) restore has read so far");
        xs_prom_i64(w, "xsell_restore_read_events", NULL, ob->restore_read);
        xs_prom_family(w, "xsell_restore_done", "gauge",
                       "1 once state is restored (or nothing was to restore), 0 before");
        xs_prom_u64(w, "xsell_restore_done", NULL,
                    ob->restore_done || (rt->joined && !ob->restoring));

        char whybuf[240];
        const char *why = not_ready(rt, ob, whybuf, sizeof(whybuf));
        xs_prom_family(w, "xsell_ready", "gauge",
                       "1 when /readyz is ok: catalog loaded, group joined, state restored");
        xs_prom_u64(w, "xsell_ready", NULL, why == NULL);
        xs_prom_family(w, "xsell_last_progress_seconds", "gauge",
                       "wall-clock time (Unix seconds) the processing loop last made progress");
        snprintf(num, sizeof(num), "%.3f", wall_now());
        xs_prom_dbl(w, "xsell_last_progress_seconds", NULL, strtod(num, NULL));
        xs_prom_family(w, "xsell_stream_time_seconds", "gauge",
                       "stream time: the event time the engine has reached (Unix seconds)");
        xs_prom_dbl(w, "xsell_stream_time_seconds", NULL,
                    rt->stream_time == INT64_MIN ? 0 : (double)rt->stream_time / 1000.0);
        xs_prom_family(w, "xsell_assigned_partitions", "gauge",
                       "input partitions assigned to this instance");
        xs_prom_u64(w, "xsell_assigned_partitions", NULL, (uint64_t)rt->n_parts);

        xs_prom_family(w, "xsell_log_messages_total", "counter", "log messages written, by level");
        static const enum xs_log_level lv[] = {XS_LOG_DEBUG, XS_LOG_INFO, XS_LOG_WARN,
                                               XS_LOG_ERROR};
        for (int i = 0; i < 4; i++)
                xs_prom_u64(w, "xsell_log_messages_total", L("level", xs_log_level_name(lv[i])),
                            xs_log_count(lv[i]));

        /* every engine counter under its own name (stats.h), and every runtime counter
         * (XS_RT_STATS, kafka.h) as xsell_kafka_<name>_total */
        xs_stats_foreach(&st, scalar, w);
        char rname[160];
#define XS_RT_METRIC(name, help)                                                                   \
        if (!listed(curated_rt, sizeof(curated_rt) / sizeof(curated_rt[0]), #name)) {              \
                snprintf(rname, sizeof(rname), "xsell_kafka_%s_total", #name);                     \
                xs_prom_family(w, rname, "counter", help);                                         \
                xs_prom_u64(w, rname, NULL, rt->st.name);                                          \
        }
        XS_RT_STATS(XS_RT_METRIC)
#undef XS_RT_METRIC

        if (w->oom)
                return; /* keep serving the previous text */
        xs_http_publish(ob->http, w->buf, w->len);
        xs_http_set_ready(ob->http, why);
}

/* ---- the debug views ---------------------------------------------------------------- */

static int view(void *opaque, enum xs_http_view kind, const char *id, char *out, size_t size,
                size_t *len)
{
        struct xs_rt *rt = opaque;
        int r = kind == XS_HTTP_CUSTOMER
                    ? xs_engine_inspect_customer(rt->eng, id, out, size, len)
                    : xs_engine_inspect_product(rt->eng, id, XS_OBS_DEBUG_ITEMS, out, size, len);
        return r > 0 ? 200 : r == 0 ? 404 : 500;
}

/* ---- the loop's calls --------------------------------------------------------------- */

void xs_obs_tick(struct xs_rt *rt)
{
        struct xs_obs *ob = rt->obs;
        if (!ob || !ob->http)
                return;
        xs_http_touch(ob->http);
        double now = xs_rt_now();
        if (now - ob->last_render >= XS_OBS_RENDER_S) {
                ob->last_render = now;
                render(rt);
        }
        if (rt->eng)
                xs_http_serve_debug(ob->http, view, rt);
}

void xs_obs_final(struct xs_rt *rt)
{
        struct xs_obs *ob = rt->obs;
        if (!ob || !ob->http)
                return;
        ob->stopping = 1;
        xs_http_touch(ob->http);
        render(rt);
}

static const double latency_bounds[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                        0.0025,  0.005,    0.01,    0.025,  0.05,    0.1,    0.25,
                                        0.5,     1,        2.5,     5,      10,      30};

int xs_obs_start(struct xs_rt *rt)
{
        char err[512];
        const struct xs_params *p = rt->p;
        struct xs_obs *ob = calloc(1, sizeof(*ob));
        if (!ob) {
                xs_log(XS_LOG_ERROR, "http", "out of memory");
                return -1;
        }
        rt->obs = ob;
        xs_histo_init(&ob->latency, latency_bounds,
                      sizeof(latency_bounds) / sizeof(latency_bounds[0]));
        char v[32];
        if (!p->http_enable) {
                if (xs_conf_get(rt->conf, "kafka.statistics.interval.ms", v, sizeof(v)) == XS_OK &&
                    strcmp(v, "0"))
                        xs_log(XS_LOG_WARN, "http",
                               "kafka.statistics.interval.ms is set but http.enable=false: the "
                               "statistics are not collected (nothing would show them)");
                return 0;
        }
        if (p->http_live_timeout <= p->shutdown_timeout)
                xs_log(XS_LOG_WARN, "http",
                       "http.live_timeout is not above shutdown.timeout: /livez may fail while a "
                       "commit waits for the broker");
        struct xs_http_conf hc = {.address = p->http_address,
                                  .port = (int)p->http_port,
                                  .debug = p->http_debug,
                                  .live_timeout_ms = p->http_live_timeout,
                                  .max_connections = (int)p->http_max_connections,
                                  .conn_timeout_ms = p->http_connection_timeout};
        ob->http = xs_http_start(&hc, err, sizeof(err));
        if (!ob->http) {
                xs_log(XS_LOG_ERROR, "http", "%s", err);
                return -1;
        }
        xs_log_kv(
            XS_LOG_INFO, "http",
            XS_KV(XS_KV_STR("address", p->http_address), XS_KV_INT("port", xs_http_port(ob->http))),
            "listening on %s:%d%s", xs_http_address(ob->http), xs_http_port(ob->http),
            p->http_debug ? " (debug views on)" : "");
        render(rt);
        return 0;
}

void xs_obs_stop(struct xs_rt *rt)
{
        struct xs_obs *ob = rt->obs;
        if (!ob)
                return;
        xs_http_stop(ob->http);
        for (int c = 0; c < CL_COUNT; c++)
                free(ob->ks[c].lags);
        xs_prom_free(&ob->w);
        free(ob);
        rt->obs = NULL;
}

/* ---- counting hooks ----------------------------------------------------------------- */

void xs_obs_offer(struct xs_rt *rt, const struct xs_offer *o)
{
        if (rt->obs && !rt->restoring && (unsigned)o->type < XS_OFFER_COUNT &&
            (unsigned)o->stage < XS_STAGE_COUNT && (unsigned)o->channel < XS_CHANNEL_COUNT)
                rt->obs->offers[o->type][o->stage][o->channel]++;
}

void xs_obs_delivered(struct xs_rt *rt, const rd_kafka_message_t *m)
{
        if (!rt->obs || m->err)
                return;
        const char *t = rd_kafka_topic_name(m->rkt);
        const char *outs[OUT_COUNT] = {rt->p->topic_offers, rt->p->topic_signals,
                                       rt->p->topic_outcomes, rt->p->topic_dead_letter};
        for (int i = 0; i < OUT_COUNT; i++)
                if (!strcmp(t, outs[i])) {
                        rt->obs->delivered[i]++;
                        return;
                }
}

void xs_obs_dead_letter(struct xs_rt *rt, const char *stage)
{
        if (!rt->obs)
                return;
        if (!strcmp(stage, "contract"))
                rt->obs->dead_contract++;
        else
                rt->obs->dead_deserialize++;
}

void xs_obs_latency(struct xs_rt *rt, double seconds)
{
        if (rt->obs)
                xs_histo_observe(&rt->obs->latency, seconds);
}

void xs_obs_commit_failed(struct xs_rt *rt)
{
        if (rt->obs)
                rt->obs->commit_failures++;
}

void xs_obs_txn_failed(struct xs_rt *rt)
{
        if (rt->obs)
                rt->obs->txn_failed++;
}

void xs_obs_registry_wait(struct xs_rt *rt, const char *why)
{
        struct xs_obs *ob = rt->obs;
        if (!ob)
                return;
        snprintf(ob->registry_wait, sizeof(ob->registry_wait), "%s", why ? why : "");
        if (why)
                ob->last_render = 0; /* the next tick renders the reason */
}

void xs_obs_catalog_loaded(struct xs_rt *rt)
{
        if (rt->obs)
                rt->obs->catalog_loaded = 1;
        xs_obs_tick(rt);
}

/* ---- restore progress --------------------------------------------------------------- */

void xs_obs_restore_begin(struct xs_rt *rt, int64_t planned, int64_t skipped)
{
        struct xs_obs *ob = rt->obs;
        if (!ob)
                return;
        ob->restoring = 1;
        ob->restore_planned = planned;
        ob->restore_skipped += skipped;
        ob->restore_read = ob->restore_replayed = 0;
        ob->restore_logged = xs_rt_now();
        xs_engine_stats(rt->eng, &ob->before);
        if (skipped > 0)
                xs_log(XS_LOG_WARN, "restore",
                       "state.restore_max_events leaves out the %" PRId64
                       " oldest events of the assigned partitions",
                       skipped);
        xs_obs_tick(rt);
}

void xs_obs_restore_progress(struct xs_rt *rt, const char *phase, int64_t done)
{
        struct xs_obs *ob = rt->obs;
        if (!ob)
                return;
        int replay = !strcmp(phase, "replayed");
        if (replay)
                ob->restore_replayed = done;
        else
                ob->restore_read = done;
        double now = xs_rt_now();
        if (now - ob->restore_logged >= XS_OBS_PROGRESS_LOG && !rt->o->quiet) {
                ob->restore_logged = now;
                xs_log_kv(XS_LOG_INFO, "restore",
                          XS_KV(XS_KV_INT("done", done), XS_KV_INT("planned", ob->restore_planned)),
                          "%s %" PRId64 " of %" PRId64 " events (%.0f%%)", phase, done,
                          ob->restore_planned,
                          ob->restore_planned > 0
                              ? 100.0 * (double)done / (double)ob->restore_planned
                              : 100.0);
        }
        xs_obs_tick(rt);
}

void xs_obs_restore_end(struct xs_rt *rt)
{
        struct xs_obs *ob = rt->obs;
        if (!ob)
                return;
        struct xs_stats after;
        xs_engine_stats(rt->eng, &after);
        /* what the restore added to the engine's counters (gauges are left alone by live_stats) */
        struct xs_stats *b = &ob->base, *x = &ob->before;
#define XS_ADD(name, kind, help) b->name += after.name - x->name;
        XS_STATS_SCALARS(XS_ADD)
#undef XS_ADD
        for (int i = 0; i < XS_EV_COUNT; i++)
                b->events_by_type[i] += after.events_by_type[i] - x->events_by_type[i];
        for (int i = 0; i < XS_STAGE_COUNT; i++)
                b->stage_entries[i] += after.stage_entries[i] - x->stage_entries[i];
        for (int o = 0; o < XS_OFFER_COUNT; o++)
                for (int s = 0; s < XS_STAGE_COUNT; s++) {
                        b->offers[o][s] += after.offers[o][s] - x->offers[o][s];
                        b->conversions[o][s] += after.conversions[o][s] - x->conversions[o][s];
                        b->control_offers[o][s] +=
                            after.control_offers[o][s] - x->control_offers[o][s];
                        b->control_conversions[o][s] +=
                            after.control_conversions[o][s] - x->control_conversions[o][s];
                }
        ob->restoring = 0;
        ob->restore_done = 1;
        ob->restore_replayed = 0; /* now in rt->st.restored */
        xs_obs_tick(rt);
}

/* ---- the exit summary --------------------------------------------------------------- */

void xs_obs_summary(struct xs_rt *rt, char *buf, size_t size, uint64_t tot[4])
{
        struct xs_stats st;
        size_t n = 0;
        buf[0] = '\0';
        if (!rt->obs || !rt->eng)
                return;
        live_stats(rt, rt->obs, &st);
        for (int ctl = 0; ctl < 2; ctl++) {
                n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s",
                                      ctl ? "; control group (converted/withheld):"
                                          : "; conversions (converted/sent, replayed events "
                                            "excluded):");
                for (int o = 0; o < XS_OFFER_COUNT; o++) {
                        uint64_t made = 0, conv = 0;
                        for (int g = 0; g < XS_STAGE_COUNT; g++) {
                                made += ctl ? st.control_offers[o][g] : st.offers[o][g];
                                conv += ctl ? st.control_conversions[o][g] : st.conversions[o][g];
                        }
                        tot[2 * ctl] += made;
                        tot[2 * ctl + 1] += conv;
                        n += (size_t)snprintf(buf + n, n < size ? size - n : 0,
                                              " %s=%" PRIu64 "/%" PRIu64 " (%.1f%%)",
                                              xs_offer_type_name(o), conv, made,
                                              made ? 100.0 * (double)conv / (double)made : 0.0);
                }
        }
}
