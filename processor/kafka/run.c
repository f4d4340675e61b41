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
#include <unistd.h>

#include "codec/avro_guard.h"
#include "kafka/catalog_feed.h"
#include "kafka/commit.h"
#include "kafka/decode.h"
#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "kafka/produce.h"
#include "kafka/rebalance.h"
#include "util/conf_int.h"
#include "xsell/engine.h"
#include "xsell/registry.h"

/* ---- input records ------------------------------------------------------------------ */

static void handle_event(struct xs_rt *rt, const rd_kafka_message_t *m)
{
        char err[512];
        const char *stage;
        struct xs_event ev;
        rt->st.consumed++;
        rt->consumed_bytes += m->len + m->key_len;
        if (xs_rt_txn_begin(rt) != 0)
                return;
        xs_err_t e = xs_rt_decode_event(rt, m, &ev, &stage, err, sizeof(err));
        if (e == XS_ERR_RETRY)
                return; /* stopping while the registry is down: not processed, not stored */
        if (e == XS_OK) {
                xs_engine_set_tag(rt->eng, (uint32_t)m->partition);
                e = xs_engine_process(rt->eng, &ev, err, sizeof(err));
                if (e == XS_ERR_NOMEM) {
                        xs_rt_set_fatal(rt, "engine: %s", err);
                        return;
                }
                /* only an event the engine accepted moves its partition's time: a rejected one
                 * (say, dated in the year 9000) would make every later event late */
                if (e == XS_OK && m->partition >= 0 && m->partition < 1024 &&
                    ev.event_time > rt->part_max[m->partition])
                        rt->part_max[m->partition] = ev.event_time;
        }
        if (e != XS_OK)
                xs_rt_dead_letter(rt, m, stage, e, err);
        /* processed (or dead-lettered): its offset may be committed with what it produced
         * (stores m->offset + 1; no allocation on this per-record path) */
        rd_kafka_offset_store(m->rkt, m->partition, m->offset);
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

/* ---- setup, the loop, shutdown ------------------------------------------------------ */

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
                fprintf(stderr, "xsell run: schema registry: %s\n", err);
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
                                fprintf(stderr, "xsell run: schema.id.*: ids must differ\n");
                                return -1;
                        }
                        continue;
                }
                if (k < XS_KIND_OFFER || !*topics[k])
                        continue; /* inputs: writer schemas come by id */
                char subject[512];
                snprintf(subject, sizeof(subject), "%s-value", topics[k]);
                xs_err_t e;
                while ((e = xs_registry_register(rt->reg, subject, text, &rt->out_ids[k], err,
                                                 sizeof(err))) == XS_ERR_RETRY) {
                        fprintf(stderr, "xsell run: registering %s: %s; retrying\n", subject, err);
                        if (rt->o->stop && *rt->o->stop)
                                return -1;
                        sleep(2);
                }
                if (e != XS_OK) {
                        fprintf(stderr, "xsell run: registering %s: %s\n", subject, err);
                        return -1;
                }
        }
        return 0;
}

static void print_summary(struct xs_rt *rt)
{
        struct xs_stats st;
        xs_engine_stats(rt->eng, &st);
        fprintf(stderr,
                "\n== xsell run ==\nconsumed %" PRIu64 ", catalog %" PRIu64 ", produced %" PRIu64
                ", delivered %" PRIu64 ", dead letters %" PRIu64 ", commits %" PRIu64
                ", transactions %" PRIu64 " (aborted and retried %" PRIu64 "), restored %" PRIu64
                ", rebalances %" PRIu64 "\n",
                rt->st.consumed, rt->st.catalog_records, rt->st.produced, rt->st.delivered,
                rt->st.dead_lettered, rt->st.commits, rt->st.txn_commits, rt->st.txn_aborts,
                rt->st.restored, rt->st.rebalances);
        fprintf(stderr, "offers:");
        for (int o = 0; o < XS_OFFER_COUNT; o++) {
                uint64_t n = 0;
                for (int s = 0; s < XS_STAGE_COUNT; s++)
                        n += st.offers[o][s];
                fprintf(stderr, " %s=%" PRIu64, xs_offer_type_name(o), n);
        }
        fprintf(stderr,
                "; events processed %" PRIu64 ", rejected %" PRIu64 ", late %" PRIu64
                ", duplicate %" PRIu64 "\n",
                st.events_processed, st.events_rejected, st.events_late, st.events_duplicate);
}

int xs_rt_run(const struct xs_conf *conf, const struct xs_rt_opts *opts)
{
        char err[512];
        int rc = 1;
        struct xs_rt rtv = {0}, *rt = &rtv;
        rt->conf = conf;
        rt->p = xs_conf_params(conf);
        rt->o = opts;
        const struct xs_params *p = rt->p;
        rt->eos = !strcmp(p->processing_guarantee, "exactly_once");
        rt->tolerance_none = !strcmp(p->errors_tolerance, "none");
        xs_avro_guard_init(0);
        struct xs_sink sink = {xs_rt_on_offer, xs_rt_on_signal, xs_rt_on_outcome, rt};
        rt->eng = xs_engine_new(conf, &sink, err, sizeof(err));
        rt->codec = xs_codec_new(err, sizeof(err));
        if (rt->eng)
                xs_engine_set_external_clock(rt->eng, 1);
        rt->stream_time = INT64_MIN;
        for (int i = 0; i < 1024; i++)
                rt->part_max[i] = INT64_MIN;
        if (!rt->eng || !rt->codec) {
                fprintf(stderr, "xsell run: %s\n", err);
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
                        fprintf(stderr, "xsell run: %s\n", err);
                        rc = 2;
                        goto out;
                }
                rd_kafka_conf_destroy(probe);
        }
        if (registry_setup(rt) != 0)
                goto out;

        char client[300], txnid[320];
        snprintf(client, sizeof(client), "%s-producer", p->application_id);
        const char *host = getenv("HOSTNAME");
        snprintf(txnid, sizeof(txnid), "%s-%s", p->application_id, host && *host ? host : "0");
        rd_kafka_conf_t *pc = xs_kafka_conf(
            conf, opts->bootstrap,
            rt->eos ? (const char *const[]){"client.id", client, "enable.idempotence", "true",
                                            "transactional.id", txnid, "linger.ms", "5", NULL}
                    : (const char *const[]){"client.id", client, "enable.idempotence", "true",
                                            "linger.ms", "5", NULL},
            err, sizeof(err));
        if (!pc) {
                fprintf(stderr, "xsell run: %s\n", err);
                rc = 2;
                goto out;
        }
        rd_kafka_conf_set_dr_msg_cb(pc, xs_rt_dr_cb);
        rd_kafka_conf_set_opaque(pc, rt);
        if (!(rt->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof(err)))) {
                rd_kafka_conf_destroy(pc);
                fprintf(stderr, "xsell run: producer: %s\n", err);
                rc = 2;
                goto out;
        }
        if (rt->eos) {
                rd_kafka_error_t *e = rd_kafka_init_transactions(rt->producer, 30000);
                if (e) {
                        fprintf(stderr, "xsell run: init_transactions: %s\n",
                                rd_kafka_error_string(e));
                        rd_kafka_error_destroy(e);
                        goto out;
                }
        }
        if (*p->topic_catalog && xs_rt_catalog_bootstrap(rt) != 0)
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
                fprintf(stderr, "xsell run: %s\n", err);
                rc = 2;
                goto out;
        }
        rd_kafka_conf_set_rebalance_cb(cc, xs_rt_rebalance_cb);
        rd_kafka_conf_set_opaque(cc, rt);
        if (!(rt->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof(err)))) {
                rd_kafka_conf_destroy(cc);
                fprintf(stderr, "xsell run: consumer: %s\n", err);
                rc = 2;
                goto out;
        }
        rd_kafka_poll_set_consumer(rt->consumer);
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, p->topic_events, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t serr = rd_kafka_subscribe(rt->consumer, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (serr) {
                fprintf(stderr, "xsell run: subscribe %s: %s\n", p->topic_events,
                        rd_kafka_err2str(serr));
                goto out;
        }
        if (!opts->quiet)
                fprintf(stderr, "xsell run: consuming %s as group %s (%s)\n", p->topic_events,
                        p->application_id, p->processing_guarantee);

        rt->last_commit = rt->last_input = xs_rt_now();
        int feeding = opts->feed != NULL;
        double idle_exit = (double)p->run_idle_exit / 1000.0;
        while (!rt->fatal && !(opts->stop && *opts->stop)) {
                if (feeding)
                        feeding = opts->feed(opts->feed_opaque, rt);
                for (int i = 0; rt->catcons && i < 100; i++) { /* follow the catalog */
                        rd_kafka_message_t *m = rd_kafka_consumer_poll(rt->catcons, 0);
                        if (!m)
                                break;
                        if (!m->err)
                                xs_rt_handle_catalog(rt, m);
                        rd_kafka_message_destroy(m);
                }
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rt->consumer, 100);
                if (m) {
                        int32_t part = m->partition;
                        if (!m->err) {
                                handle_event(rt, m);
                                rt->last_input = xs_rt_now();
                                if (part >= 0 && part < 1024) {
                                        if (rt->at_eof[part])
                                                hold_idle_partitions(rt, part);
                                        rt->at_eof[part] = 0;
                                }
                        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                                if (part >= 0 && part < 1024) {
                                        rt->at_eof[part] = 1;
                                        rt->eof_hold_until[part] = xs_rt_now() + XS_EOF_HOLD_S;
                                }
                        } else if (!opts->quiet) {
                                fprintf(stderr, "xsell run: consumer: %s\n",
                                        rd_kafka_message_errstr(m));
                        }
                        rd_kafka_message_destroy(m);
                }
                advance_stream_time(rt);
                rd_kafka_poll(rt->producer, 0);
                if (xs_rt_now() - rt->last_commit >= (double)p->commit_interval / 1000.0)
                        xs_rt_commit_now(rt);
                if (idle_exit > 0 && !feeding && xs_rt_now() - rt->last_input >= idle_exit &&
                    all_at_eof(rt)) {
                        /* the input is finished: no partition holds stream time back now */
                        memset(rt->eof_hold_until, 0, sizeof(rt->eof_hold_until));
                        advance_stream_time(rt);
                        break;
                }
        }
        /* the input is finished (idle exit): let what would be due by then fire */
        if (!rt->fatal && opts->drain_ms > 0 && rt->stream_time != INT64_MIN &&
            !(opts->stop && *opts->stop)) {
                xs_engine_advance(rt->eng, rt->stream_time + p->allowed_lateness + opts->drain_ms);
                rd_kafka_poll(rt->producer, 0);
        }
        /* graceful shutdown: stop consuming, make what was processed durable, close */
        if (!rt->fatal) {
                if (xs_rt_commit_now(rt) != 0 && !rt->fatal)
                        fprintf(stderr, "xsell run: final commit did not complete\n");
        }
        if (rt->fatal)
                fprintf(stderr, "xsell run: stopping: %s\n", rt->fatal_msg);
        rc = rt->fatal ? 1 : 0;
out:
        if (rt->consumer) {
                rd_kafka_consumer_close(rt->consumer);
                rd_kafka_destroy(rt->consumer);
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
        if (rt->eng && !opts->quiet)
                print_summary(rt);
        xs_rt_txn_clear(rt);
        xs_rt_bad_ids_clear(rt);
        free(rt->txn);
        free(rt->buf);
        xs_engine_destroy(rt->eng);
        xs_codec_destroy(rt->codec);
        xs_registry_destroy(rt->reg);
        return rc;
}
