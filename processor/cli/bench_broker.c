/*
 * The measurements of `xsell bench` on the embedded mock cluster (bench_broker.h):
 *
 *   e2e      one topic pre-filled, read by a plain librdkafka consumer that only counts (the
 *            ceiling), then by `xsell run` (at-least-once and exactly-once) as fresh consumer
 *            groups; events per second and the ratio.
 *   latency  open loop at a set rate into the embedded broker, event time = wall clock; the
 *            offer's delivery acknowledgement is timestamped; percentiles from the scheduled
 *            send time of the customer's triggering event (no coordinated omission).
 *
 * Each prints its figures as "bench <what> key=value ..." lines on stdout. Bounds: partitions
 * are sized so the mock keeps under 2.5 MiB each; e2e waits at most 600 s for the raw consumer
 * and 900 s for each `xsell run`; latency keeps one sample per measured offer and a send-time
 * table of at least twice the customers.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/bench.h"
#include "cli/bench_broker.h"
#include "io/gen.h"
#include "kafka/kafka.h"
#include "util/conf_int.h"
#include "xsell/xsell.h"

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the embedded broker ------------------------------------------------------------ */

struct mock {
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        const char *bootstraps;
};

static int mock_start(struct mock *m, int partitions, const char *const *topics)
{
        char err[512];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "log_level", "3", err, sizeof(err));
        m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
        if (!m->rk || !(m->mc = rd_kafka_mock_cluster_new(m->rk, 1))) {
                fprintf(stderr, "xsell bench: cannot start the embedded broker\n");
                return -1;
        }
        m->bootstraps = rd_kafka_mock_cluster_bootstraps(m->mc);
        for (; *topics; topics++)
                rd_kafka_mock_topic_create(m->mc, *topics, partitions, 1);
        return 0;
}

static void mock_stop(struct mock *m)
{
        if (m->mc)
                rd_kafka_mock_cluster_destroy(m->mc);
        if (m->rk)
                rd_kafka_destroy(m->rk);
}

static rd_kafka_t *bench_producer(const char *bootstraps, const char *linger)
{
        char err[512];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        if (rd_kafka_conf_set(kc, "bootstrap.servers", bootstraps, err, sizeof(err)) ||
            rd_kafka_conf_set(kc, "linger.ms", linger, err, sizeof(err)) ||
            rd_kafka_conf_set(kc, "queue.buffering.max.messages", "1000000", err, sizeof(err)) ||
            rd_kafka_conf_set(kc, "enable.idempotence", "true", err, sizeof(err))) {
                fprintf(stderr, "xsell bench: %s\n", err);
                rd_kafka_conf_destroy(kc);
                return NULL;
        }
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
        if (!rk)
                fprintf(stderr, "xsell bench: %s\n", err);
        return rk;
}

static int produce_one(rd_kafka_t *rk, const char *topic, const char *key, const void *val,
                       size_t len)
{
        for (;;) {
                rd_kafka_resp_err_t e =
                    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                                      RD_KAFKA_V_VALUE((void *)val, len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                if (!e)
                        return 0;
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        fprintf(stderr, "xsell bench: produce: %s\n", rd_kafka_err2str(e));
                        return -1;
                }
                rd_kafka_poll(rk, 10);
        }
}

static int load_catalog_topic(rd_kafka_t *rk, struct xs_gen *gen, struct xs_codec *codec,
                              const char *topic)
{
        char err[256];
        unsigned char *buf = NULL;
        size_t cap = 0, n = xs_gen_catalog_size(gen);
        for (size_t i = 0; i < n; i++) {
                struct xs_product p;
                int tomb;
                xs_gen_catalog_record(gen, i, &p, &tomb);
                size_t len = 0;
                if (!tomb && !(len = xs_kafka_encode(codec, XS_KIND_PRODUCT, 2, &p, 0, &buf, &cap,
                                                     err, sizeof(err))))
                        continue;
                if (produce_one(rk, topic, p.product_id, len ? buf : NULL, len) != 0) {
                        free(buf);
                        return -1;
                }
        }
        free(buf);
        return rd_kafka_flush(rk, 60000) ? -1 : 0;
}

/* ---- e2e: raw consumer vs xsell run ----------------------------------------------- */

static rd_kafka_t *raw_consumer(const char *bootstraps, const char *group, const char *topic)
{
        char err[512];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        const char *kv[] = {"bootstrap.servers",
                            bootstraps,
                            "group.id",
                            group,
                            "auto.offset.reset",
                            "earliest",
                            "enable.auto.commit",
                            "false",
                            "fetch.wait.max.ms",
                            "10",
                            "isolation.level",
                            "read_committed",
                            NULL};
        for (int i = 0; kv[i]; i += 2)
                if (rd_kafka_conf_set(kc, kv[i], kv[i + 1], err, sizeof(err))) {
                        fprintf(stderr, "xsell bench: %s\n", err);
                        rd_kafka_conf_destroy(kc);
                        return NULL;
                }
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err));
        if (!rk) {
                fprintf(stderr, "xsell bench: %s\n", err);
                return NULL;
        }
        rd_kafka_poll_set_consumer(rk);
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_subscribe(rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        return rk;
}

/* The ceiling: poll and count, nothing else. Seconds from the first record to the last. */
static double raw_consume(const char *bootstraps, const char *topic, uint64_t n, double *total)
{
        rd_kafka_t *rk = raw_consumer(bootstraps, "bench-raw", topic);
        if (!rk)
                return -1;
        uint64_t got = 0;
        double t_start = xs_bench_now_s(), t0 = 0, t1 = 0;
        while (got < n && xs_bench_now_s() - t_start < 600) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (!m)
                        continue;
                if (!m->err) {
                        if (!got)
                                t0 = xs_bench_now_s();
                        got++;
                }
                rd_kafka_message_destroy(m);
        }
        t1 = xs_bench_now_s();
        *total = t1 - t_start;
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return got == n ? t1 - t0 : -1;
}

struct watch {
        volatile sig_atomic_t stop;
        uint64_t total_bytes;
        double t_start, t0, t1;
};

/* Called by the runtime's loop each iteration: notes the first consumed record and the moment
 * every pre-filled byte was consumed, then stops the run (graceful shutdown follows). */
static int watch_feed(void *opaque, struct xs_rt *rt)
{
        struct watch *w = opaque;
        uint64_t b = xs_rt_consumed_bytes(rt);
        if (b && !w->t0)
                w->t0 = xs_bench_now_s();
        if (b >= w->total_bytes && !w->t1) {
                w->t1 = xs_bench_now_s();
                w->stop = 1;
        }
        if (xs_bench_now_s() - w->t_start > 900)
                w->stop = 1;
        return 1;
}

static int xsell_consume(const struct xs_conf *base, const char *bootstraps, const char *group,
                         const char *guarantee, uint64_t total_bytes, double *secs, double *total)
{
        char err[512];
        struct xs_conf *conf = xs_conf_dup(base);
        if (xs_conf_set(conf, "application.id", group, err, sizeof(err)) != XS_OK ||
            xs_conf_set(conf, "processing.guarantee", guarantee, err, sizeof(err)) != XS_OK ||
            xs_conf_set(conf, "state.restore", "none", err, sizeof(err)) != XS_OK ||
            /* no HTTP endpoint: nothing scrapes a benchmark, and it must not need a port */
            xs_conf_set(conf, "http.enable", "false", err, sizeof(err)) != XS_OK) {
                fprintf(stderr, "xsell bench: %s\n", err);
                xs_conf_destroy(conf);
                return -1;
        }
        struct watch w = {.total_bytes = total_bytes, .t_start = xs_bench_now_s()};
        struct xs_rt_opts ro = {.bootstrap = bootstraps,
                                .stop = &w.stop,
                                .feed = watch_feed,
                                .feed_opaque = &w,
                                .quiet = 1};
        int rc = xs_rt_run(conf, &ro);
        *total = xs_bench_now_s() - w.t_start;
        xs_conf_destroy(conf);
        if (rc != 0 || !w.t1)
                return -1;
        *secs = w.t1 - w.t0;
        return 0;
}

int xs_bench_e2e(struct bopts *o)
{
        char err[512];
        int rc = 1;
        if (!o->events)
                o->events = 300000;
        struct xs_conf *conf = xs_bench_conf(o);
        struct xs_gen *gen = NULL;
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        struct mock mock = {0};
        rd_kafka_t *prod = NULL;
        unsigned char *buf = NULL;
        size_t cap = 0;
        if (!conf || !codec || xs_bench_gen_setup(o, o->events, &gen) != 0)
                goto out;
        const struct xs_params *p = xs_conf_params(conf);
        /* size the partitions: the mock keeps 5 MiB per partition; stay under 2.5 MiB */
        uint64_t est = o->events * 140;
        int parts = (int)(est / (5u << 19)) + 1;
        if (parts < 4)
                parts = 4;
        const char *topics[] = {p->topic_events,
                                p->topic_catalog,
                                p->topic_offers,
                                p->topic_signals,
                                p->topic_outcomes,
                                p->topic_dead_letter,
                                NULL};
        const char *used[8];
        int nu = 0;
        for (int i = 0; topics[i]; i++)
                if (*topics[i])
                        used[nu++] = topics[i];
        used[nu] = NULL;
        if (mock_start(&mock, parts, used) != 0 || !(prod = bench_producer(mock.bootstraps, "20")))
                goto out;
        if (load_catalog_topic(prod, gen, codec, p->topic_catalog) != 0)
                goto out;
        uint64_t total_bytes = 0;
        struct xs_event ev;
        double tl = xs_bench_now_s();
        while (xs_gen_next(gen, &ev)) {
                size_t len =
                    xs_kafka_encode(codec, XS_KIND_EVENT, 1, &ev, 0, &buf, &cap, err, sizeof(err));
                if (!len || produce_one(prod, p->topic_events, ev.customer_id, buf, len) != 0)
                        goto out;
                total_bytes += len + strlen(ev.customer_id);
                rd_kafka_poll(prod, 0);
        }
        if (rd_kafka_flush(prod, 120000)) {
                fprintf(stderr, "xsell bench: the input was not all acknowledged\n");
                goto out;
        }
        if (!o->quiet)
                fprintf(stderr,
                        "xsell bench: %" PRIu64 " events (%.1f MB) in %d partitions in %.1fs\n",
                        o->events, total_bytes / 1e6, parts, xs_bench_now_s() - tl);
        double raw_total = 0,
               raw = raw_consume(mock.bootstraps, p->topic_events, o->events, &raw_total);
        if (raw <= 0) {
                fprintf(stderr, "xsell bench: the raw consumer did not read every record (the "
                                "mock cluster may have dropped some)\n");
                goto out;
        }
        printf("bench e2e_raw events=%" PRIu64 " partitions=%d seconds=%.3f events_per_s=%.0f"
               " with_join_s=%.3f\n",
               o->events, parts, raw, o->events / raw, raw_total);
        fflush(stdout);
        const char *guar[] = {"at_least_once", "exactly_once"};
        for (int g = o->eos_only ? 1 : 0; g < 2; g++) {
                double secs = 0, total = 0;
                char group[64];
                snprintf(group, sizeof(group), "bench-%s", guar[g]);
                if (xsell_consume(conf, mock.bootstraps, group, guar[g], total_bytes, &secs,
                                  &total) != 0) {
                        fprintf(stderr, "xsell bench: xsell run (%s) did not finish\n", guar[g]);
                        goto out;
                }
                printf("bench e2e_xsell guarantee=%s events=%" PRIu64 " seconds=%.3f"
                       " events_per_s=%.0f ratio_to_raw=%.2f with_join_and_shutdown_s=%.3f\n",
                       guar[g], o->events, secs, o->events / secs, raw / secs, total);
                fflush(stdout);
        }
        rc = 0;
out:
        free(buf);
        if (prod)
                rd_kafka_destroy(prod);
        mock_stop(&mock);
        xs_gen_destroy(gen);
        xs_codec_destroy(codec);
        xs_conf_destroy(conf);
        return rc;
}

/* ---- latency: open loop into the embedded broker --------------------------------- */

/* customer id -> scheduled send time of the customer's latest event (ns, CLOCK_MONOTONIC):
 * an open-addressing table written by the load thread, read when an offer is acknowledged. */
struct sendmap {
        pthread_mutex_t mu;
        char **key;
        int64_t *t;
        size_t cap;
};

static size_t hash_str(const char *s)
{
        size_t h = 1469598103934665603ull;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

static void sendmap_put(struct sendmap *m, const char *k, int64_t t)
{
        pthread_mutex_lock(&m->mu);
        size_t i = hash_str(k) & (m->cap - 1);
        while (m->key[i] && strcmp(m->key[i], k))
                i = (i + 1) & (m->cap - 1);
        if (!m->key[i])
                m->key[i] = strdup(k);
        m->t[i] = t;
        pthread_mutex_unlock(&m->mu);
}

static int64_t sendmap_get(struct sendmap *m, const char *k)
{
        int64_t t = -1;
        pthread_mutex_lock(&m->mu);
        size_t i = hash_str(k) & (m->cap - 1);
        while (m->key[i] && strcmp(m->key[i], k))
                i = (i + 1) & (m->cap - 1);
        if (m->key[i])
                t = m->t[i];
        pthread_mutex_unlock(&m->mu);
        return t;
}

struct lat {
        struct sendmap map;
        struct xs_gen *gen;
        rd_kafka_t *prod;
        const char *topic;
        double rate, seconds;
        volatile int done, consuming;
        volatile sig_atomic_t stop;
        int64_t start_ns; /* offers of events scheduled before this are not measured */
        uint64_t sent, behind;
        int64_t *samples;
        size_t n, cap;
        int64_t end_ns;
        char line[4096];
        size_t line_len;
};

static void *load_thread(void *opaque)
{
        struct lat *L = opaque;
        char err[256];
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        unsigned char *buf = NULL;
        size_t cap = 0;
        char eid[32];
        struct xs_event ev;
        /* warm-up, not measured: one event every 10 ms until the processor has joined its
         * group and consumes, then half a second more */
        for (uint64_t i = 0; !L->consuming && !L->stop && codec && xs_gen_next(L->gen, &ev); i++) {
                snprintf(eid, sizeof(eid), "W%" PRIu64, i);
                ev.event_id = eid;
                ev.event_time = wall_ms();
                size_t len =
                    xs_kafka_encode(codec, XS_KIND_EVENT, 1, &ev, 0, &buf, &cap, err, sizeof(err));
                if (len)
                        produce_one(L->prod, L->topic, ev.customer_id, buf, len);
                rd_kafka_poll(L->prod, 10);
        }
        nanosleep(&(struct timespec){0, 500000000}, NULL);
        int64_t start = xs_bench_now_ns(), period = (int64_t)(1e9 / L->rate);
        L->start_ns = start;
        uint64_t total = (uint64_t)(L->rate * L->seconds);
        for (uint64_t i = 0; i < total && codec && xs_gen_next(L->gen, &ev); i++) {
                int64_t sched = start + (int64_t)i * period, now = xs_bench_now_ns();
                if (sched > now) {
                        struct timespec ts = {sched / 1000000000, sched % 1000000000};
                        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                } else if (now - sched > 1000000) {
                        L->behind++;
                }
                snprintf(eid, sizeof(eid), "L%" PRIu64, i);
                ev.event_id = eid;
                ev.event_time = wall_ms();
                size_t len =
                    xs_kafka_encode(codec, XS_KIND_EVENT, 1, &ev, 0, &buf, &cap, err, sizeof(err));
                if (!len)
                        continue;
                sendmap_put(&L->map, ev.customer_id, sched);
                if (produce_one(L->prod, L->topic, ev.customer_id, buf, len) != 0)
                        break;
                L->sent++;
                rd_kafka_poll(L->prod, 0);
        }
        rd_kafka_flush(L->prod, 10000);
        L->end_ns = xs_bench_now_ns();
        L->done = 1;
        free(buf);
        xs_codec_destroy(codec);
        return NULL;
}

/* The runtime prints each acknowledged offer as a JSON line here (fopencookie). */
static ssize_t lat_write(void *cookie, const char *data, size_t size)
{
        struct lat *L = cookie;
        int64_t t = xs_bench_now_ns();
        for (size_t k = 0; k < size; k++) {
                char c = data[k];
                if (c != '\n') {
                        if (L->line_len < sizeof(L->line) - 1)
                                L->line[L->line_len++] = c;
                        continue;
                }
                L->line[L->line_len] = 0;
                L->line_len = 0;
                const char *p = strstr(L->line, "\"customer_id\":\"");
                if (!p)
                        continue;
                p += 15;
                const char *q = strchr(p, '"');
                if (!q || q - p > 200)
                        continue;
                char cid[256];
                memcpy(cid, p, (size_t)(q - p));
                cid[q - p] = 0;
                int64_t s = sendmap_get(&L->map, cid);
                if (s < 0 || !L->start_ns || s < L->start_ns)
                        continue;
                if (L->n == L->cap) {
                        size_t nc = L->cap ? L->cap * 2 : 65536;
                        int64_t *ns = realloc(L->samples, nc * sizeof(int64_t));
                        if (!ns)
                                continue;
                        L->samples = ns;
                        L->cap = nc;
                }
                L->samples[L->n++] = t - s;
        }
        return (ssize_t)size;
}

static int lat_feed(void *opaque, struct xs_rt *rt)
{
        struct lat *L = opaque;
        if (xs_rt_consumed_bytes(rt))
                L->consuming = 1;
        /* after the load: a second for the tail of offers, then a graceful stop */
        if (L->done && xs_bench_now_ns() - L->end_ns > 1000000000)
                L->stop = 1;
        return 1;
}

int xs_bench_latency(struct bopts *o)
{
        char err[512];
        int rc = 1;
        if (o->rate <= 0) {
                fprintf(stderr, "xsell bench latency: --rate R (events per second)\n");
                return 2;
        }
        /* short panes and window, so panes close every second and expire during the run */
        if (!o->pane)
                o->pane = "1s";
        if (!strcmp(o->window, "7d"))
                o->window = "1m";
        struct xs_conf *conf = xs_bench_conf(o);
        struct lat L = {.rate = o->rate, .seconds = o->seconds};
        struct mock mock = {0};
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        FILE *sinkf = NULL;
        pthread_t th;
        int started = 0;
        pthread_mutex_init(&L.map.mu, NULL);
        L.map.cap = 1;
        while (L.map.cap < (size_t)o->customers * 2 + 1024)
                L.map.cap <<= 1;
        L.map.key = calloc(L.map.cap, sizeof(char *));
        L.map.t = calloc(L.map.cap, sizeof(int64_t));
        if (!conf || !codec || !L.map.key || !L.map.t ||
            xs_bench_gen_setup(o, (uint64_t)(o->rate * o->seconds) + 100000, &L.gen) != 0)
                goto out;
        const struct xs_params *p = xs_conf_params(conf);
        struct xs_conf *rconf = xs_conf_dup(conf);
        xs_conf_set(rconf, "application.id", "bench-latency", err, sizeof(err));
        xs_conf_set(rconf, "state.restore", "none", err, sizeof(err));
        xs_conf_set(rconf, "http.enable", "false", err, sizeof(err));
        uint64_t est = (uint64_t)(o->rate * o->seconds) * 140;
        int parts = (int)(est / (5u << 19)) + 1;
        if (parts < 4)
                parts = 4;
        const char *used[] = {p->topic_events, p->topic_catalog, p->topic_offers,
                              p->topic_dead_letter, NULL};
        if (mock_start(&mock, parts, used) != 0 ||
            !(L.prod = bench_producer(mock.bootstraps, "1")) ||
            load_catalog_topic(L.prod, L.gen, codec, p->topic_catalog) != 0) {
                xs_conf_destroy(rconf);
                goto out;
        }
        L.topic = p->topic_events;
        cookie_io_functions_t io = {.write = lat_write};
        sinkf = fopencookie(&L, "w", io);
        setvbuf(sinkf, NULL, _IONBF, 0);
        struct xs_rt_opts ro = {.bootstrap = mock.bootstraps,
                                .stop = &L.stop,
                                .print = sinkf,
                                .print_json = 1,
                                .feed = lat_feed,
                                .feed_opaque = &L,
                                .quiet = 1};
        if (pthread_create(&th, NULL, load_thread, &L) != 0) {
                xs_conf_destroy(rconf);
                goto out;
        }
        started = 1;
        int rrc = xs_rt_run(rconf, &ro);
        xs_conf_destroy(rconf);
        pthread_join(th, NULL);
        started = 0;
        if (rrc != 0)
                goto out;
        qsort(L.samples, L.n, sizeof(int64_t), xs_bench_cmp_i64);
        printf("bench latency rate=%.0f seconds=%.0f window=%s pane=%s sent=%" PRIu64
               " offers=%zu sends_late_1ms=%" PRIu64 " p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f"
               " max_ms=%.2f\n",
               o->rate, o->seconds, o->window, o->pane, L.sent, L.n, L.behind,
               xs_bench_pct(L.samples, L.n, 0.5) / 1e6, xs_bench_pct(L.samples, L.n, 0.99) / 1e6,
               xs_bench_pct(L.samples, L.n, 0.999) / 1e6, L.n ? L.samples[L.n - 1] / 1e6 : 0.0);
        rc = 0;
out:
        if (started)
                pthread_join(th, NULL);
        if (sinkf)
                fclose(sinkf);
        if (L.prod)
                rd_kafka_destroy(L.prod);
        mock_stop(&mock);
        for (size_t i = 0; L.map.key && i < L.map.cap; i++)
                free(L.map.key[i]);
        free(L.map.key);
        free(L.map.t);
        free(L.samples);
        xs_gen_destroy(L.gen);
        xs_codec_destroy(codec);
        xs_conf_destroy(conf);
        return rc;
}
