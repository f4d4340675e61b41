/*
 * xs_rt_run (see kafka.h): setup, the consumer loop and shutdown of the Kafka runtime.
 *
 * Setup, in order: engine and codec; the schema registry (or the configured ids) and the ids
 * of our output schemas; the producer (transactional under exactly-once); the catalog read to
 * its end (catalog_feed.c); the consumer of the events topic, in its group (rebalance.c).
 * Each iteration of the loop: the feeder (the demo), up to 100 catalog records, one input
 * record (polled for at most 100 ms) processed or dead-lettered and its offset stored, stream
 * time moved on, delivery reports served, a commit every commit.interval (commit.c). The loop
 * ends on stop, on a fatal error, or (run.idle_exit) once every assigned partition has been
 * read to its end and nothing came for that long. Shutdown: the drain (the demo), a final
 * commit, the consumers closed, an open transaction aborted, the producer flushed (within
 * shutdown.timeout), the summary.
 *
 * Stream time is the engine's clock here (event time, merged over the assigned partitions);
 * only partitions numbered below 1024 take part.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec/avro_guard.h"
#include "engine/stepper.h"
#include "kafka/catalog_feed.h"
#include "kafka/changelog.h"
#include "kafka/commit.h"
#include "kafka/decode.h"
#include "kafka/hold.h"
#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "kafka/marks.h"
#include "kafka/obs.h"
#include "kafka/panes.h"
#include "kafka/produce.h"
#include "kafka/rebalance.h"
#include "util/conf_int.h"
#include "util/log.h"
#include "xsell/engine.h"
#include "xsell/registry.h"

/* ---- input records ------------------------------------------------------------------ */

/* Splits headers.passthrough (checked by xs_conf_check: at most XS_HEADERS_PASSTHROUGH_MAX
 * names) into rt->hdr_names. Returns 0, or -1 out of memory. */
static int passthrough_names(struct xs_rt *rt)
{
        rt->hdr_names_buf = strdup(rt->p->headers_passthrough);
        if (!rt->hdr_names_buf)
                return -1;
        char *save = NULL;
        for (char *t = strtok_r(rt->hdr_names_buf, ",", &save);
             t && rt->n_hdr_names < XS_HEADERS_PASSTHROUGH_MAX; t = strtok_r(NULL, ",", &save)) {
                t += strspn(t, " \t");
                size_t n = strcspn(t, " \t");
                t[n] = '\0';
                if (*t)
                        rt->hdr_names[rt->n_hdr_names++] = t;
        }
        return 0;
}

/* The input event that is about to be processed: what its outputs take from it (produce.c).
 * Only the passthrough headers are copied, every occurrence in order; no headers, no copy. */
static void trigger_begin(struct xs_rt *rt, const rd_kafka_message_t *m, const struct xs_event *ev)
{
        rt->cur_event_id = ev->event_id;
        rt->cur_event_time = ev->event_time;
        rt->cur_hdrs = xs_rt_passthrough(rt, m, NULL);
}

static void trigger_end(struct xs_rt *rt)
{
        if (rt->cur_hdrs)
                rd_kafka_headers_destroy(rt->cur_hdrs);
        rt->cur_hdrs = NULL;
        rt->cur_event_id = NULL;
}

/* Returns 1 when m was taken (held: see hold.h), else 0. */
static int handle_event(struct xs_rt *rt, rd_kafka_message_t *m)
{
        char err[512];
        const char *stage;
        struct xs_event ev;
        rt->st.consumed++;
        rt->consumed_bytes += m->len + m->key_len;
        if (m->partition < 0 || m->partition >= 1024) {
                xs_rt_set_fatal(rt, "%s",
                                "input partitions numbered 1024 or above are not supported");
                return 0;
        }
        if (xs_rt_txn_begin(rt) != 0)
                return 0;
        xs_err_t e = xs_rt_decode_event(rt, m, &ev, &stage, err, sizeof(err));
        if (e == XS_ERR_RETRY)
                return 0;  /* stopping while the registry is down: not processed, not stored */
        if (rt->stepper) { /* window.visibility=sealed: processed when its panes are sealed */
                int taken = xs_rt_hold_record(rt, m, e, &ev, stage, err);
                xs_rt_hold_run(rt);
                return taken;
        }
        if (e == XS_OK) {
                xs_engine_set_tag(rt->eng, (uint32_t)m->partition);
                trigger_begin(rt, m, &ev);
                e = xs_engine_process(rt->eng, &ev, err, sizeof(err));
                trigger_end(rt);
                if (e == XS_ERR_NOMEM) {
                        xs_rt_set_fatal(rt, "engine: %s", err);
                        return 0;
                }
                /* only an event the engine accepted moves its partition's time: a rejected one
                 * (say, dated in the year 9000) would make every later event late */
                if (e == XS_OK && ev.event_time > rt->part_max[m->partition])
                        rt->part_max[m->partition] = ev.event_time;
        }
        if (e != XS_OK)
                xs_rt_dead_letter(rt, m, stage, e, err);
        else
                xs_dead_log_ok(&rt->dlog);
        /* processed (or dead-lettered): its offset may be committed with what it produced */
        rt->done_off[m->partition] = m->offset + 1;
        return 0;
}

/* ---- stream time -------------------------------------------------------------------- */

/* A partition read to its end is left out of stream time only once it has stayed there for
 * XS_EOF_HOLD_S (like Kafka Streams' max.task.idle.ms): reaching the end of a partition often
 * only means the consumer caught up with a producer that writes the partitions in turn, and
 * the next batch is on its way. And when input resumes on partition part, the other partitions
 * at their end may have new records of the same burst not fetched yet, so they are held again.
 * Without this, stream time jumped to one partition's newest time and the other partitions'
 * records of the same stretch of event time were late. */
#define XS_EOF_HOLD_S 1.0
static void hold_idle_partitions(struct xs_rt *rt, int32_t part)
{
        double until = xs_rt_now() + XS_EOF_HOLD_S;
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                if (i != part && rt->at_eof[i])
                        rt->eof_hold_until[i] = until;
        }
}

/* Stream time: the oldest of the assigned partitions' newest event times, leaving out the
 * partitions read to their end (an idle partition must not hold time back), unless held (see
 * hold_idle_partitions); a partition that has delivered nothing yet and is not at its end holds
 * it back. */
static void advance_stream_time(struct xs_rt *rt)
{
        int64_t low = INT64_MAX, high = INT64_MIN;
        int waiting = 0;
        double now = xs_rt_now();
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                if (rt->part_max[i] > high)
                        high = rt->part_max[i];
                if (rt->at_eof[i] && now >= rt->eof_hold_until[i])
                        continue;
                if (rt->part_max[i] == INT64_MIN)
                        waiting = 1;
                else if (rt->part_max[i] < low)
                        low = rt->part_max[i];
        }
        int64_t t = waiting ? INT64_MIN : low != INT64_MAX ? low : high;
        if (t != INT64_MIN && t > rt->stream_time) {
                rt->stream_time = t;
                xs_engine_advance(rt->eng, t);
        }
}

/* Every assigned partition has been read to its end (and at least one is assigned). */
static int all_at_eof(const struct xs_rt *rt)
{
        for (int k = 0; k < rt->n_parts; k++)
                if (!rt->at_eof[rt->parts[k]])
                        return 0;
        return rt->n_parts > 0;
}

/* The end of the input is confirmed by the brokers: every assigned partition's log end is
 * answered (within 1 s each) and holds nothing past where it was read to its end. While the
 * brokers are away, being "at the end" is only what was last known, so run.idle_exit does not
 * count that time (a run used to exit during an outage longer than run.idle_exit); after they
 * return, the input may have moved on while the consumer had not fetched yet (a run under load
 * exited 5 s after an outage with the producer's later records unread). */
static int end_confirmed(struct xs_rt *rt)
{
        for (int k = 0; k < rt->n_parts; k++)
                if (xs_rt_unread_records(rt, rt->parts[k]))
                        return 0;
        return 1;
}

/* The newest event time of every partition, here and (from their markers) elsewhere. */
static int64_t newest(const struct xs_rt *rt)
{
        int64_t t = rt->max_time;
        struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
        for (int i = 0; rt->panecons && i < rt->n_in_parts; i++)
                if (xs_frontier_is_remote(fr, (uint32_t)i) && rt->remote_time[i] > t)
                        t = rt->remote_time[i];
        return t;
}

/* Shared panes: the end of input is stepped through with the other instances, one pane at a
 * time, each step once every remote partition's owner has sealed that far (bounded by
 * window.idle_seal plus run.idle_exit without progress, then the rest is taken as sealed:
 * counted, logged). */
static void finish_shared(struct xs_rt *rt, int64_t drain_ms)
{
        struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
        /* the other owners reach their own end within their run.idle_exit of ours */
        double patience = (double)(rt->p->window_idle_seal + rt->p->run_idle_exit) / 1000.0;
        double deadline = xs_rt_now() + patience;
        int expired = 0;
        rt->finishing = 1;
        /* our partitions are at their end: their markers say so (the others' end waits for
         * it) */
        for (int k = 0; k < rt->n_parts; k++)
                xs_frontier_set_idle(fr, (uint32_t)rt->parts[k], 1);
        for (;;) {
                int64_t t = newest(rt);
                int final = 1; /* every remote owner is at its end: its times are final */
                for (int i = 0; i < rt->n_in_parts; i++)
                        if (xs_frontier_is_remote(fr, (uint32_t)i) &&
                            !xs_frontier_is_idle(fr, (uint32_t)i))
                                final = 0;
                int r = xs_stepper_finish_step(rt->stepper, t != INT64_MIN ? t + drain_ms : t,
                                               final || expired);
                if (rt->eos)
                        xs_rt_commit_now(rt); /* markers are visible once committed */
                else
                        xs_rt_panes_mark(rt, 1);
                if (r == 2 || rt->fatal || (rt->o->stop && *rt->o->stop))
                        break;
                if (r == 1) {
                        deadline = xs_rt_now() + patience;
                        continue;
                }
                if (xs_rt_now() > deadline) {
                        rt->st.finish_waits_expired++;
                        xs_log(XS_LOG_WARN, "panes",
                               "end of input: another instance's partitions were not sealed "
                               "within window.idle_seal + run.idle_exit; finishing without their "
                               "last panes");
                        for (int i = 0; i < rt->n_in_parts; i++)
                                if (xs_frontier_is_remote(fr, (uint32_t)i))
                                        xs_frontier_set_sealed(fr, (uint32_t)i, INT64_MAX - 1);
                        expired = 1;
                        deadline = xs_rt_now() + patience;
                        continue;
                }
                rd_kafka_poll(rt->producer, 0);
                xs_obs_tick(rt);
                if (xs_rt_panes_poll(rt))
                        xs_rt_hold_run(rt);
                nanosleep(&(struct timespec){0, 5000000}, NULL);
        }
        rt->finishing = 0;
}

/* ---- setup, the loop, shutdown ------------------------------------------------------ */

/* 0, or -1 (failed, logged), or 1: stopped by a signal while the registry did not answer
 * (logged; a stop, not a failure). */
static int registry_setup(struct xs_rt *rt)
{
        char err[512];
        const struct xs_params *p = rt->p;
        if (*p->registry_url) {
                struct xs_registry_conf rc = {
                    .url = p->registry_url,
                    .basic_auth = *p->registry_basic_auth ? p->registry_basic_auth : NULL,
                    .timeout_ms = p->registry_timeout,
                    .retries = (int)p->registry_retries,
                    .retry_backoff_ms = 200};
                rt->reg = xs_registry_new(&rc, err, sizeof(err));
        } else {
                rt->reg = xs_registry_new_static(err, sizeof(err));
        }
        if (!rt->reg) {
                xs_log(XS_LOG_ERROR, "registry", "schema registry: %s", err);
                return -1;
        }
        const int64_t static_ids[XS_KIND_COUNT] = {p->schema_id_event, p->schema_id_product,
                                                   p->schema_id_offer, p->schema_id_signal,
                                                   p->schema_id_outcome};
        const char *topics[XS_KIND_COUNT] = {p->topic_events, p->topic_catalog, p->topic_offers,
                                             p->topic_signals, p->topic_outcomes};
        for (int k = 0; k < XS_KIND_COUNT; k++) {
                const char *text = xs_codec_schema_text((enum xs_record_kind)k);
                if (!*p->registry_url) {
                        rt->out_ids[k] = (uint32_t)static_ids[k];
                        if (xs_registry_static_add(rt->reg, rt->out_ids[k], text) != XS_OK) {
                                xs_log(XS_LOG_ERROR, "registry", "schema.id.*: ids must differ");
                                return -1;
                        }
                        continue;
                }
                if (k < XS_KIND_OFFER || !*topics[k])
                        continue; /* inputs: writer schemas come by id */
                char subject[512];
                snprintf(subject, sizeof(subject), "%s-value", topics[k]);
                /* registry.auto_register=false: credentials that may only read are enough */
                int reg = p->registry_auto_register;
                const char *doing = reg ? "registering" : "looking up";
                xs_err_t e;
                while ((e = (reg ? xs_registry_register : xs_registry_lookup)(
                            rt->reg, subject, text, &rt->out_ids[k], err, sizeof(err))) ==
                       XS_ERR_RETRY) {
                        if (rt->o->stop && *rt->o->stop) {
                                xs_log_kv(XS_LOG_WARN, "registry",
                                          XS_KV(XS_KV_STR("subject", subject)),
                                          "stopped by a signal while waiting for the schema "
                                          "registry (%s %s: %s); nothing was consumed",
                                          doing, subject, err);
                                return 1;
                        }
                        xs_log_kv(XS_LOG_WARN, "registry", XS_KV(XS_KV_STR("subject", subject)),
                                  "%s %s: %s; retrying in 2 s", doing, subject, err);
                        xs_obs_registry_wait(rt, err);
                        xs_obs_tick(rt); /* waiting is progress: /livez stays up */
                        sleep(2);
                }
                xs_obs_registry_wait(rt, NULL);
                if (e == XS_ERR_NOT_FOUND && !reg) {
                        xs_log_kv(
                            XS_LOG_ERROR, "registry", XS_KV(XS_KV_STR("subject", subject)),
                            "the %s schema is not registered under subject %s and "
                            "registry.auto_register=false: register schemas/%s there (exactly "
                            "that text), or set registry.auto_register=true",
                            xs_record_kind_name((enum xs_record_kind)k), subject,
                            k == XS_KIND_OFFER    ? "offer.avsc"
                            : k == XS_KIND_SIGNAL ? "journey_signal.avsc"
                                                  : "offer_outcome.avsc");
                        return -1;
                }
                if (e != XS_OK) {
                        xs_log_kv(XS_LOG_ERROR, "registry", XS_KV(XS_KV_STR("subject", subject)),
                                  "%s %s: %s", doing, subject, err);
                        return -1;
                }
        }
        return 0;
}

/* The exit summary: one log line (with the figures as fields too in JSON). Flagged, and a
 * warning, when every input record was dead-lettered or errors.warn_consecutive were in a
 * row. */
static void print_summary(struct xs_rt *rt)
{
        struct xs_stats st;
        xs_engine_stats(rt->eng, &st);
        xs_dead_log_flush(&rt->dlog);
        char offers[512];
        size_t n = 0;
        for (int o = 0; o < XS_OFFER_COUNT && n < sizeof(offers); o++) {
                uint64_t c = 0;
                for (int s = 0; s < XS_STAGE_COUNT; s++)
                        c += st.offers[o][s];
                n += (size_t)snprintf(offers + n, sizeof(offers) - n, " %s=%" PRIu64,
                                      xs_offer_type_name(o), c);
        }
        char flag[1024];
        int flagged = xs_dead_log_flag(&rt->dlog, rt->st.consumed, flag, sizeof(flag));
#define XS_RT_ONE(name, help) +1
        struct xs_log_kv kv[0 XS_RT_STATS(XS_RT_ONE) + 16]; /* the counters and those below */
#undef XS_RT_ONE
        size_t nkv = 0;
#define XS_RT_KV(name, help) kv[nkv++] = XS_KV_INT(#name, rt->st.name);
        XS_RT_STATS(XS_RT_KV)
#undef XS_RT_KV
        kv[nkv++] = XS_KV_INT("events_processed", st.events_processed);
        kv[nkv++] = XS_KV_INT("events_rejected", st.events_rejected);
        kv[nkv++] = XS_KV_INT("events_late", st.events_late);
        kv[nkv++] = XS_KV_INT("events_duplicate", st.events_duplicate);
        kv[nkv++] = XS_KV_INT("dead_letter_warning", flagged);
        /* PRODUCT.md section 6: conversions and the control group's (obs.c) */
        char conv[600];
        uint64_t tot[4] = {0};
        xs_obs_summary(rt, conv, sizeof(conv), tot);
        kv[nkv++] = XS_KV_INT("offers_made", tot[0]);
        kv[nkv++] = XS_KV_INT("conversions", tot[1]);
        kv[nkv++] = XS_KV_INT("control_withheld", tot[2]);
        kv[nkv++] = XS_KV_INT("control_conversions", tot[3]);
        xs_log_kv(flagged ? XS_LOG_WARN : XS_LOG_INFO, "run", kv, xs_log_is_json() ? nkv : 0,
                  "summary: consumed %" PRIu64 ", catalog %" PRIu64 ", produced %" PRIu64
                  ", delivered %" PRIu64 ", dead letters %" PRIu64 ", commits %" PRIu64
                  ", transactions %" PRIu64 " (aborted and retried %" PRIu64 "), restored %" PRIu64
                  ", rebalances %" PRIu64 "; offers:%s; events processed %" PRIu64
                  ", rejected %" PRIu64 ", late %" PRIu64 ", duplicate %" PRIu64 "%s%s",
                  rt->st.consumed, rt->st.catalog_records, rt->st.produced, rt->st.delivered,
                  rt->st.dead_lettered, rt->st.commits, rt->st.txn_commits, rt->st.txn_aborts,
                  rt->st.restored, rt->st.rebalances, offers, st.events_processed,
                  st.events_rejected, st.events_late, st.events_duplicate, conv, flag);
        /* memory.budget: a budget that bit made the engine forget or refuse state: a warning */
        int bit =
            st.memory_customers_evicted || st.memory_pairs_refused || st.memory_products_refused;
        xs_log(bit ? XS_LOG_WARN : XS_LOG_INFO, "run",
               "memory: %" PRIu64 " bytes held, peak %" PRIu64 "; memory.budget bit: customers "
               "evicted %" PRIu64 ", new pairs refused %" PRIu64 ", new products refused %" PRIu64,
               st.memory_bytes, st.memory_bytes_peak, st.memory_customers_evicted,
               st.memory_pairs_refused, st.memory_products_refused);
}

int xs_rt_run(const struct xs_conf *conf, const struct xs_rt_opts *opts)
{
        char err[512];
        int rc = 1;
        struct xs_rt rtv = {0}, *rt = &rtv;
        rt->conf = conf;
        rt->p = xs_conf_params(conf);
        rt->o = opts;
        if (opts->carry) /* a run after XS_RT_RESTART: its counters go on */
                rt->st = *opts->carry;
        const struct xs_params *p = rt->p;
        rt->eos = !strcmp(p->processing_guarantee, "exactly_once");
        rt->tolerance_none = !strcmp(p->errors_tolerance, "none");
        xs_dead_log_init(&rt->dlog, p->errors_log_first, p->errors_log_interval,
                         p->errors_warn_consecutive);
        xs_avro_guard_init(0);
        struct xs_sink sink = {xs_rt_on_offer, xs_rt_on_signal, xs_rt_on_outcome, rt};
        rt->eng = xs_engine_new(conf, &sink, err, sizeof(err));
        rt->codec = xs_codec_new(err, sizeof(err));
        if (rt->eng)
                xs_engine_set_external_clock(rt->eng, 1);
        if (rt->eng && xs_rt_hold_init(rt) != 0) {
                xs_log(XS_LOG_ERROR, "run", "out of memory");
                goto out;
        }
        rt->stream_time = INT64_MIN;
        for (int i = 0; i < 1024; i++)
                rt->part_max[i] = INT64_MIN;
        if (!rt->eng || !rt->codec) {
                xs_log(XS_LOG_ERROR, "run", "%s", err);
                rc = 2;
                goto out;
        }
        /* refuse settings that weaken the guarantee (kafka.c) before connecting anywhere: the
         * consumer's and the producer's, whichever client would meet them first */
        const char *const *guarantee[] = {
            (const char *const[]){"enable.auto.commit", "false", "enable.auto.offset.store",
                                  "false", "isolation.level", "read_committed", NULL},
            (const char *const[]){"enable.idempotence", "true", NULL}};
        for (int k = 0; k < 2; k++) {
                rd_kafka_conf_t *probe = xs_kafka_conf(conf, NULL, guarantee[k], err, sizeof(err));
                if (!probe) {
                        xs_log(XS_LOG_ERROR, "run", "%s", err);
                        rc = 2;
                        goto out;
                }
                rd_kafka_conf_destroy(probe);
        }
        if (xs_obs_start(rt) != 0) {
                rc = 2;
                goto out;
        }
        if (passthrough_names(rt) != 0) {
                xs_log(XS_LOG_ERROR, "run", "out of memory");
                goto out;
        }
        int setup = registry_setup(rt);
        if (setup != 0) {
                rc = setup > 0 ? 0 : 1; /* a signal: the status of a stop (0), as in the loop */
                goto out;
        }

        char client[300], txnid[320];
        snprintf(client, sizeof(client), "%s-producer", p->application_id);
        const char *host = getenv("HOSTNAME");
        snprintf(txnid, sizeof(txnid), "%s-%s", p->application_id, host && *host ? host : "0");
        /* instances sharing panes step together, a changelog write and a seal marker per
         * pane (marks.c): those wait for no batch to fill */
        const char *linger = p->state_share_panes ? "0" : "5";
        rd_kafka_conf_t *pc = xs_kafka_conf(
            conf, opts->bootstrap,
            /* partitioner: the Java client's murmur2 (random for a null key), so that outputs
             * keyed by customer co-partition with what Kafka Streams, ksqlDB or Connect write */
            rt->eos
                ? (const char *const[]){"client.id", client, "enable.idempotence", "true",
                                        "transactional.id", txnid, "linger.ms", linger,
                                        "partitioner", "murmur2_random", NULL}
                : (const char *const[]){"client.id", client, "enable.idempotence", "true",
                                        "linger.ms", linger, "partitioner", "murmur2_random", NULL},
            err, sizeof(err));
        if (!pc) {
                xs_log(XS_LOG_ERROR, "run", "%s", err);
                rc = 2;
                goto out;
        }
        xs_obs_kafka_conf(rt, pc);
        rd_kafka_conf_set_dr_msg_cb(pc, xs_rt_dr_cb);
        rd_kafka_conf_set_opaque(pc, rt);
        if (!(rt->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof(err)))) {
                rd_kafka_conf_destroy(pc);
                xs_log(XS_LOG_ERROR, "run", "producer: %s", err);
                rc = 2;
                goto out;
        }
        if (rt->eos) {
                rd_kafka_error_t *e = rd_kafka_init_transactions(rt->producer, 30000);
                if (e) {
                        xs_log_kv(XS_LOG_ERROR, "run",
                                  XS_KV(XS_KV_STR("error.code",
                                                  rd_kafka_err2name(rd_kafka_error_code(e)))),
                                  "init_transactions: %s", rd_kafka_error_string(e));
                        rd_kafka_error_destroy(e);
                        goto out;
                }
        }
        if (*p->topic_catalog && (setup = xs_rt_catalog_bootstrap(rt)) != 0) {
                rc = setup > 0 ? 0 : 1; /* stopped by a signal (logged), or failed */
                goto out;
        }
        xs_obs_catalog_loaded(rt);
        if (xs_rt_panes_start(rt) != 0 || xs_rt_changelog_start(rt) != 0)
                goto out;

        snprintf(client, sizeof(client), "%s-consumer", p->application_id);
        rd_kafka_conf_t *cc = xs_kafka_conf(
            conf, opts->bootstrap,
            (const char *const[]){"group.id", p->application_id, "client.id", client,
                                  "partition.assignment.strategy", "cooperative-sticky",
                                  "enable.auto.commit", "false", "enable.auto.offset.store",
                                  "false", "auto.offset.reset", "earliest", "isolation.level",
                                  "read_committed", "enable.partition.eof", "true",
                                  /* the embedded broker holds empty fetches this long */
                                  "fetch.wait.max.ms", opts->bootstrap ? "10" : "500", NULL},
            err, sizeof(err));
        if (!cc) {
                xs_log(XS_LOG_ERROR, "run", "%s", err);
                rc = 2;
                goto out;
        }
        xs_obs_kafka_conf(rt, cc);
        rd_kafka_conf_set_rebalance_cb(cc, xs_rt_rebalance_cb);
        rd_kafka_conf_set_opaque(cc, rt);
        if (!(rt->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof(err)))) {
                rd_kafka_conf_destroy(cc);
                xs_log(XS_LOG_ERROR, "run", "consumer: %s", err);
                rc = 2;
                goto out;
        }
        rd_kafka_poll_set_consumer(rt->consumer);
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, p->topic_events, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t serr = rd_kafka_subscribe(rt->consumer, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (serr) {
                xs_log_kv(XS_LOG_ERROR, "run",
                          XS_KV(XS_KV_STR("topic", p->topic_events),
                                XS_KV_STR("error.code", rd_kafka_err2name(serr))),
                          "subscribe %s: %s", p->topic_events, rd_kafka_err2str(serr));
                goto out;
        }
        if (!opts->quiet)
                xs_log_kv(XS_LOG_INFO, "run",
                          XS_KV(XS_KV_STR("topic", p->topic_events),
                                XS_KV_STR("group", p->application_id),
                                XS_KV_STR("guarantee", p->processing_guarantee)),
                          "consuming %s as group %s (%s)", p->topic_events, p->application_id,
                          p->processing_guarantee);

        rt->last_commit = rt->last_input = xs_rt_now();
        int feeding = opts->feed != NULL;
        double idle_exit = (double)p->run_idle_exit / 1000.0;
        while (!rt->fatal && !(opts->stop && *opts->stop)) {
                xs_obs_tick(rt);
                if (feeding)
                        feeding = opts->feed(opts->feed_opaque, rt);
                for (int i = 0; rt->catcons && i < 100; i++) { /* follow the catalog */
                        rd_kafka_message_t *m = rd_kafka_consumer_poll(rt->catcons, 0);
                        if (!m)
                                break;
                        if (!m->err)
                                xs_rt_handle_catalog(rt, m);
                        else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                xs_kafka_log_consumer_error(rt->catcons, m, "catalog");
                        rd_kafka_message_destroy(m);
                }
                if (xs_rt_panes_poll(rt)) /* other instances' panes (panes.c) */
                        xs_rt_hold_run(rt);
                /* waiting for other instances' seals, or for our own round's acknowledgements
                 * (marks.c): do not sit in the poll */
                int waiting =
                    rt->panecons && rt->stepper &&
                    (xs_frontier_held(xs_stepper_frontier(rt->stepper)) > 0 || rt->mk_phase);
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rt->consumer, waiting ? 2 : 100);
                if (m) {
                        int32_t part = m->partition;
                        if (!m->err) {
                                double t0 = xs_rt_now();
                                if (part >= 0 && part < 1024)
                                        rt->fetch_off[part] = m->offset + 1;
                                /* input resumes after a quiet spell: the partitions sealed
                                 * idle hold the step again (hold.c) before this record moves it */
                                if (rt->stepper && part >= 0 && part < 1024 && rt->at_eof[part])
                                        xs_rt_hold_wake(rt, part);
                                if (handle_event(rt, m))
                                        m = NULL; /* held for its dead letter (hold.c) */
                                xs_obs_latency(rt, xs_rt_now() - t0);
                                rt->last_input = xs_rt_now();
                                if (part >= 0 && part < 1024) {
                                        if (rt->at_eof[part] && !rt->stepper)
                                                hold_idle_partitions(rt, part);
                                        rt->at_eof[part] = 0;
                                }
                        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                                if (part >= 0 && part < 1024) {
                                        rt->at_eof[part] = 1;
                                        rt->eof_off[part] = m->offset;
                                        rt->eof_hold_until[part] = xs_rt_now() + XS_EOF_HOLD_S;
                                }
                        } else if (!opts->quiet) {
                                xs_kafka_log_consumer_error(rt->consumer, m, "run");
                        }
                        if (m)
                                rd_kafka_message_destroy(m);
                }
                if (rt->stepper)
                        xs_rt_hold_tick(rt);
                else
                        advance_stream_time(rt);
                rd_kafka_poll(rt->producer, 0);
                xs_dead_log_tick(&rt->dlog, xs_rt_now());
                if (xs_rt_now() - rt->last_commit >= (double)p->commit_interval / 1000.0)
                        xs_rt_commit_now(rt);
                if (idle_exit > 0 && !feeding && xs_rt_now() - rt->last_input >= idle_exit &&
                    all_at_eof(rt)) {
                        if (!end_confirmed(rt)) {
                                rt->last_input = xs_rt_now(); /* brokers away: wait again */
                                continue;
                        }
                        /* the input is finished: no partition holds stream time back now,
                         * everything held is processed (and the demo's drain fires) */
                        if (rt->stepper) {
                                if (rt->panecons) /* with the other instances */
                                        finish_shared(rt, opts->drain_ms);
                                else
                                        xs_rt_hold_finish(rt, opts->drain_ms);
                                break;
                        }
                        memset(rt->eof_hold_until, 0, sizeof(rt->eof_hold_until));
                        advance_stream_time(rt);
                        break;
                }
        }
        xs_obs_final(rt); /* not ready from here on: shutting down */
        /* the input is finished (idle exit): let what would be due by then fire */
        if (!rt->stepper && !rt->fatal && opts->drain_ms > 0 && rt->stream_time != INT64_MIN &&
            !(opts->stop && *opts->stop)) {
                xs_engine_advance(rt->eng, rt->stream_time + p->allowed_lateness + opts->drain_ms);
                rd_kafka_poll(rt->producer, 0);
        }
        /* graceful shutdown: stop consuming, make what was processed durable, close */
        if (!rt->fatal) {
                if (xs_rt_commit_now(rt) != 0 && !rt->fatal) {
                        xs_log(XS_LOG_WARN, "run", "final commit did not complete");
                        rt->final_commit_failed = 1;
                }
        }
        if (rt->fatal)
                xs_log(rt->restart ? XS_LOG_WARN : XS_LOG_ERROR, "run", "%s: %s",
                       rt->restart ? "restarting" : "stopping", rt->fatal_msg);
        else if (opts->stop && *opts->stop && !opts->quiet)
                xs_log(XS_LOG_INFO, "run", "stopped by a signal");
        rc = rt->fatal ? (rt->restart ? XS_RT_RESTART : 1) : 0;
out:
        /* held records (a poison record waiting its turn) go before the consumer they came
         * from is destroyed; the revocation in close finds no stepper then */
        xs_rt_hold_destroy(rt);
        xs_rt_panes_stop(rt);
        if (rt->consumer) {
                /* after a final commit the group refused (it rebalanced as this member left,
                 * or forgot it), librdkafka 2.0.2's close can meet a rebalance it then asserts
                 * against (SIGABRT: "rd_kafka_cgrp_terminated: assert:
                 * !rd_kafka_assignment_in_progress") or wait on forever (seen in
                 * tests/kafka_instances.sh): leave without it. What was processed since the
                 * last commit is read again by the partitions' next owners (their repeats are
                 * identical), and the group takes kafka.session.timeout.ms to notice. */
                if (rt->final_commit_failed) {
                        rd_kafka_destroy_flags(rt->consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
                } else {
                        rd_kafka_consumer_close(rt->consumer);
                        rd_kafka_destroy(rt->consumer);
                }
        }
        if (rt->catcons) {
                rd_kafka_consumer_close(rt->catcons);
                rd_kafka_destroy(rt->catcons);
        }
        if (rt->producer) {
                if (rt->eos && rt->txn_open) {
                        rd_kafka_error_t *e = rd_kafka_abort_transaction(rt->producer, 10000);
                        if (e)
                                rd_kafka_error_destroy(e);
                }
                rd_kafka_flush(rt->producer, (int)(p->shutdown_timeout));
                rd_kafka_destroy(rt->producer);
        }
        xs_obs_final(rt); /* the last scrape sees the final counts */
        /* 2: configuration refused, nothing ran; a restart's next run prints the summary */
        if (rt->eng && !opts->quiet && rc != 2 && rc != XS_RT_RESTART)
                print_summary(rt);
        if (opts->carry && rc == XS_RT_RESTART)
                *opts->carry = rt->st;
        xs_obs_stop(rt);
        xs_rt_txn_clear(rt);
        xs_rt_bad_ids_clear(rt);
        free(rt->txn);
        free(rt->hdr_names_buf);
        free(rt->buf);
        xs_rt_hold_destroy(rt);
        xs_engine_destroy(rt->eng);
        xs_codec_destroy(rt->codec);
        xs_registry_destroy(rt->reg);
        return rc;
}
