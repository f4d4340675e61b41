/*
 * `xsell bench`: repeatable measurements of throughput, latency and memory (BENCHMARKS.md).
 *
 *   engine   N pre-generated, pre-encoded events through decode + engine + offer encoding (or
 *            one of the parts); generation and encoding are outside the timed loop, which is the
 *            function xs_bench_timed_loop so that `valgrind --tool=callgrind
 *            --toggle-collect=xs_bench_timed_loop` counts exactly the measured instructions.
 *            Also: bytes per pair, per windowed event, per tracked customer (allocator and RSS),
 *            and with --latency the per-event time distribution, pane closes/expiries included.
 *   memory   an adversarial stream (every customer, product and pair new) under caps; RSS and
 *            allocator bytes sampled along the way must stay flat once the caps bite.
 *   e2e      the embedded mock cluster: one topic pre-filled, read by a plain librdkafka
 *            consumer that only counts (the ceiling), then by `xsell run` (at-least-once and
 *            exactly-once) as fresh consumer groups; events per second and the ratio.
 *   latency  open loop at a set rate into the embedded broker, event time = wall clock; the
 *            offer's delivery acknowledgement is timestamped; percentiles from the scheduled
 *            send time of the customer's triggering event (no coordinated omission).
 *
 * Timing is wall-clock and only printed, never asserted. Each figure is one line on stdout:
 * "bench <what> key=value ...".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "util/conf_int.h"
#include "io/gen.h"
#include "kafka/kafka.h"
#include "xsell/xsell.h"

/* ---- small helpers ------------------------------------------------------------------ */

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Resident set size of this process, bytes (VmRSS of /proc/self/status). */
static uint64_t rss_bytes(void)
{
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        uint64_t kb = 0;
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "VmRSS:", 6)) {
                        kb = strtoull(line + 6, NULL, 10);
                        break;
                }
        fclose(f);
        return kb * 1024;
}

/* Bytes handed out by malloc and not freed (heap arenas plus mmapped blocks). */
static uint64_t alloc_bytes(void)
{
        struct mallinfo2 mi = mallinfo2();
        return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of sorted v[n] (nearest rank). */
static int64_t pct(const int64_t *v, size_t n, double q)
{
        if (!n)
                return 0;
        size_t i = (size_t)ceil(q * (double)n);
        if (i < 1)
                i = 1;
        if (i > n)
                i = n;
        return v[i - 1];
}

static const char *arg_val(int argc, char **argv, int *i)
{
        if (*i + 1 >= argc) {
                fprintf(stderr, "xsell bench: %s needs a value\n", argv[*i]);
                return NULL;
        }
        return argv[++*i];
}

static int parse_num(const char *opt, const char *s, double *out)
{
        char *end;
        if (!s)
                return -1;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || v < 0) {
                fprintf(stderr, "xsell bench: %s: \"%s\" is not a non-negative number\n", opt, s);
                return -1;
        }
        *out = v;
        return 0;
}

/* Options shared by the subcommands. */
struct bopts {
        uint64_t events, warmup;
        uint32_t customers, products, days;
        uint64_t seed;
        const char *window, *pane, *mode;
        int latency, quiet, eos_only;
        double rate, seconds;
        struct xs_cli_conf cc;
};

static void usage(FILE *f)
{
        fprintf(f,
                "usage: xsell bench SUBCOMMAND [options]    (one line per figure on stdout)\n"
                "  engine    pre-generated, pre-encoded events through the engine\n"
                "  memory    adversarial stream under caps: RSS and allocator samples\n"
                "  e2e       embedded broker: raw consumer vs xsell run (and exactly_once)\n"
                "  latency   open loop at --rate into the embedded broker; offer latency\n"
                "options:\n"
                "  --events N        events measured (engine default 1000000)\n"
                "  --warmup N        events processed before the measured ones (default 0)\n"
                "  --customers N     generator customers (default 10000)\n"
                "  --products N      generator products (default 20000)\n"
                "  --days N          days the generated events span (default 14)\n"
                "  --seed N          generator seed (default 1)\n"
                "  --window DUR      window.size (default 7d); --pane DUR window.pane\n"
                "                    (default: 1h, or window/12 for windows under 12h)\n"
                "  --mode M          engine: full (decode+engine+encode, default), engine,\n"
                "                    decode\n"
                "  --latency         engine: also per-event time percentiles (adds clock reads)\n"
                "  --rate R          latency: events per second offered (open loop)\n"
                "  --seconds S       latency: duration (default 20)\n"
                "  --eos-only        e2e: skip the at-least-once run\n"
                "  -X key=value      engine configuration (also kafka.* for e2e/latency)\n"
                "  -q                no progress on stderr\n");
}

static int parse_opts(int argc, char **argv, struct bopts *o)
{
        memset(o, 0, sizeof(*o));
        o->events = 0;
        o->customers = 10000;
        o->products = 20000;
        o->days = 14;
        o->seed = 1;
        o->window = "7d";
        o->mode = "full";
        o->seconds = 20;
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i];
                double v = 0;
                if (!strcmp(a, "--latency")) {
                        o->latency = 1;
                } else if (!strcmp(a, "-q")) {
                        o->quiet = 1;
                } else if (!strcmp(a, "--eos-only")) {
                        o->eos_only = 1;
                } else if (!strcmp(a, "-X")) {
                        const char *s = arg_val(argc, argv, &i);
                        if (!s || xs_cli_conf_set(&o->cc, s) != 0)
                                return -1;
                } else if (!strcmp(a, "--window")) {
                        if (!(o->window = arg_val(argc, argv, &i)))
                                return -1;
                } else if (!strcmp(a, "--pane")) {
                        if (!(o->pane = arg_val(argc, argv, &i)))
                                return -1;
                } else if (!strcmp(a, "--mode")) {
                        if (!(o->mode = arg_val(argc, argv, &i)))
                                return -1;
                        if (strcmp(o->mode, "full") && strcmp(o->mode, "engine") &&
                            strcmp(o->mode, "decode")) {
                                fprintf(stderr, "xsell bench: --mode full, engine or decode\n");
                                return -1;
                        }
                } else if (!strcmp(a, "--events") || !strcmp(a, "--warmup") ||
                           !strcmp(a, "--customers") || !strcmp(a, "--products") ||
                           !strcmp(a, "--days") || !strcmp(a, "--seed") || !strcmp(a, "--rate") ||
                           !strcmp(a, "--seconds")) {
                        if (parse_num(a, arg_val(argc, argv, &i), &v) != 0)
                                return -1;
                        if (!strcmp(a, "--events"))
                                o->events = (uint64_t)v;
                        else if (!strcmp(a, "--warmup"))
                                o->warmup = (uint64_t)v;
                        else if (!strcmp(a, "--customers"))
                                o->customers = (uint32_t)v;
                        else if (!strcmp(a, "--products"))
                                o->products = (uint32_t)v;
                        else if (!strcmp(a, "--days"))
                                o->days = (uint32_t)v;
                        else if (!strcmp(a, "--seed"))
                                o->seed = (uint64_t)v;
                        else if (!strcmp(a, "--rate"))
                                o->rate = v;
                        else
                                o->seconds = v;
                } else {
                        fprintf(stderr, "xsell bench: unknown option \"%s\"\n", a);
                        return -1;
                }
        }
        return 0;
}

/* The engine configuration: window and pane first, then the user's -F/-X on top. */
static struct xs_conf *bench_conf(const struct bopts *o)
{
        char pane[32];
        const char *p = o->pane;
        if (!p) {
                struct xs_conf *tmp = xs_conf_new();
                char err[256];
                if (xs_conf_set(tmp, "window.size", o->window, err, sizeof(err)) != XS_OK) {
                        fprintf(stderr, "xsell bench: --window: %s\n", err);
                        xs_conf_destroy(tmp);
                        return NULL;
                }
                int64_t w = xs_conf_params(tmp)->window_size;
                xs_conf_destroy(tmp);
                if (w < 12 * 3600000LL)
                        snprintf(pane, sizeof(pane), "%" PRId64 "ms",
                                 w / 12 < 1000 ? 1000 : w / 12);
                else
                        snprintf(pane, sizeof(pane), "1h");
                p = pane;
        }
        char ws[64], ps[64];
        snprintf(ws, sizeof(ws), "window.size=%s", o->window);
        snprintf(ps, sizeof(ps), "window.pane=%s", p);
        const char *extra[] = {ws, ps, NULL};
        return xs_cli_conf_build(&o->cc, extra);
}

static int gen_setup(const struct bopts *o, uint64_t events, struct xs_gen **gen)
{
        char err[512];
        struct xs_gen_conf gc;
        xs_gen_conf_defaults(&gc);
        gc.seed = o->seed;
        gc.customers = o->customers;
        gc.products = o->products;
        gc.days = o->days;
        gc.events = events;
        if (gc.categories > gc.products)
                gc.categories = gc.products;
        *gen = xs_gen_new(&gc, err, sizeof(err));
        if (!*gen) {
                fprintf(stderr, "xsell bench: generator: %s\n", err);
                return -1;
        }
        return 0;
}

static void load_catalog_engine(struct xs_gen *gen, struct xs_engine *eng)
{
        char err[256];
        size_t n = xs_gen_catalog_size(gen);
        for (size_t i = 0; i < n; i++) {
                struct xs_product p;
                int tomb;
                xs_gen_catalog_record(gen, i, &p, &tomb);
                if (tomb)
                        xs_engine_catalog_delete(eng, p.product_id);
                else
                        xs_engine_catalog_put(eng, &p, err, sizeof(err));
        }
}

/* ---- engine ------------------------------------------------------------------------- */

/* Pre-encoded events: framed Avro records back to back. */
struct encoded {
        unsigned char *data;
        size_t len, cap;
        size_t *off; /* n + 1 offsets */
        int64_t *time;
        size_t n;
};

static int encoded_add(struct encoded *e, struct xs_codec *codec, const struct xs_event *ev)
{
        unsigned char tmp[1 << 16];
        size_t len = 0;
        xs_frame_header(tmp, 1);
        if (xs_codec_encode_event(codec, ev, tmp + XS_FRAME_HEADER, sizeof(tmp) - XS_FRAME_HEADER,
                                  &len) != XS_OK)
                return -1;
        len += XS_FRAME_HEADER;
        if (e->len + len > e->cap) {
                size_t nc = e->cap ? e->cap * 2 : 1 << 20;
                while (nc < e->len + len)
                        nc *= 2;
                unsigned char *nd = realloc(e->data, nc);
                if (!nd)
                        return -1;
                e->data = nd;
                e->cap = nc;
        }
        memcpy(e->data + e->len, tmp, len);
        e->off[e->n] = e->len;
        e->time[e->n] = ev->event_time;
        e->len += len;
        e->n++;
        e->off[e->n] = e->len;
        return 0;
}

/* The sink of the benchmark encodes every output as the Kafka runtime does. */
struct bsink {
        struct xs_codec *codec;
        unsigned char buf[1 << 16];
        uint64_t offers, signals, outcomes, bytes;
        int encode;
};

static void bs_offer(void *opaque, const struct xs_offer *o)
{
        struct bsink *s = opaque;
        size_t len = 0;
        s->offers++;
        if (s->encode && xs_codec_encode_offer(s->codec, o, s->buf + XS_FRAME_HEADER,
                                               sizeof(s->buf) - XS_FRAME_HEADER, &len) == XS_OK)
                s->bytes += len + XS_FRAME_HEADER;
}

static void bs_signal(void *opaque, const struct xs_signal *sg)
{
        struct bsink *s = opaque;
        size_t len = 0;
        s->signals++;
        if (s->encode && xs_codec_encode_signal(s->codec, sg, s->buf + XS_FRAME_HEADER,
                                                sizeof(s->buf) - XS_FRAME_HEADER, &len) == XS_OK)
                s->bytes += len + XS_FRAME_HEADER;
}

static void bs_outcome(void *opaque, const struct xs_outcome *oc)
{
        struct bsink *s = opaque;
        size_t len = 0;
        s->outcomes++;
        if (s->encode && xs_codec_encode_outcome(s->codec, oc, s->buf + XS_FRAME_HEADER,
                                                 sizeof(s->buf) - XS_FRAME_HEADER, &len) == XS_OK)
                s->bytes += len + XS_FRAME_HEADER;
}

enum bmode { BM_FULL, BM_ENGINE, BM_DECODE };

struct loop {
        enum bmode mode;
        struct xs_engine *eng;
        struct xs_codec *codec;
        const struct encoded *enc;
        struct xs_event **decoded; /* BM_ENGINE: events decoded beforehand */
        size_t from, to;
        int64_t *lat_ns;     /* per event, when measuring latency */
        uint8_t *pane_event; /* per event: 1 if it closed or expired a pane */
        uint64_t errors;
};

static void one_event(struct loop *l, size_t i)
{
        char err[256];
        struct xs_event ev;
        const struct xs_event *evp = &ev;
        if (l->mode == BM_ENGINE) {
                evp = l->decoded[i];
        } else {
                const void *body;
                size_t blen;
                uint32_t id;
                const struct encoded *e = l->enc;
                if (xs_frame_parse(e->data + e->off[i], e->off[i + 1] - e->off[i], &id, &body,
                                   &blen) != XS_OK ||
                    xs_codec_decode_event(l->codec, NULL, body, blen, &ev, err, sizeof(err)) !=
                        XS_OK) {
                        l->errors++;
                        return;
                }
                if (l->mode == BM_DECODE)
                        return;
        }
        if (xs_engine_process(l->eng, evp, err, sizeof(err)) != XS_OK)
                l->errors++;
}

/* The measured loop: nothing else runs inside it (the callgrind toggle names it). */
__attribute__((noinline)) void xs_bench_timed_loop(struct loop *l);
__attribute__((noinline)) void xs_bench_timed_loop(struct loop *l)
{
        for (size_t i = l->from; i < l->to; i++)
                one_event(l, i);
}

/* Like the timed loop, with a clock read around each event and pane activity noted. */
static void latency_loop(struct loop *l)
{
        struct xs_stats st;
        xs_engine_stats(l->eng, &st);
        uint64_t panes = st.panes_closed + st.panes_expired;
        for (size_t i = l->from; i < l->to; i++) {
                int64_t t0 = now_ns();
                one_event(l, i);
                l->lat_ns[i - l->from] = now_ns() - t0;
                if (l->mode != BM_DECODE) {
                        xs_engine_stats(l->eng, &st);
                        uint64_t p = st.panes_closed + st.panes_expired;
                        l->pane_event[i - l->from] = p != panes;
                        panes = p;
                }
        }
}

static int cmd_engine(struct bopts *o)
{
        char err[512];
        int rc = 1;
        if (!o->events)
                o->events = 1000000;
        uint64_t total = o->events + o->warmup;
        struct xs_conf *conf = bench_conf(o);
        struct xs_gen *gen = NULL;
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        struct bsink sink = {.codec = xs_codec_new(err, sizeof(err))};
        struct encoded enc = {0};
        struct xs_engine *eng = NULL;
        struct loop l = {0};
        if (!conf || !codec || !sink.codec || gen_setup(o, total, &gen) != 0)
                goto out;
        enc.off = malloc((total + 1) * sizeof(size_t));
        enc.time = malloc(total * sizeof(int64_t));
        if (!enc.off || !enc.time)
                goto out;
        double tg = now_s();
        struct xs_event ev;
        while (xs_gen_next(gen, &ev))
                if (encoded_add(&enc, codec, &ev) != 0) {
                        fprintf(stderr, "xsell bench: cannot encode a generated event\n");
                        goto out;
                }
        if (!o->quiet)
                fprintf(stderr,
                        "xsell bench: %zu events generated and encoded (%.1f MB) in %.1fs\n", enc.n,
                        enc.len / 1e6, now_s() - tg);
        l.mode = !strcmp(o->mode, "engine")   ? BM_ENGINE
                 : !strcmp(o->mode, "decode") ? BM_DECODE
                                              : BM_FULL;
        sink.encode = l.mode == BM_FULL;
        struct xs_sink xsink = {bs_offer, bs_signal, bs_outcome, &sink};
        if (!(eng = xs_engine_new(conf, &xsink, err, sizeof(err)))) {
                fprintf(stderr, "xsell bench: %s\n", err);
                rc = 2;
                goto out;
        }
        load_catalog_engine(gen, eng);
        l.eng = eng;
        l.codec = codec;
        l.enc = &enc;
        if (l.mode == BM_ENGINE) {
                /* decoded copies of every event, made before the clock starts */
                if (!(l.decoded = calloc(enc.n, sizeof(*l.decoded))))
                        goto out;
                for (size_t i = 0; i < enc.n; i++) {
                        const void *body;
                        size_t blen;
                        uint32_t id;
                        xs_frame_parse(enc.data + enc.off[i], enc.off[i + 1] - enc.off[i], &id,
                                       &body, &blen);
                        if (xs_codec_decode_event(codec, NULL, body, blen, &ev, err, sizeof(err)) !=
                                XS_OK ||
                            !(l.decoded[i] = xs_event_copy(&ev)))
                                goto out;
                }
        }
        if (o->latency) {
                l.lat_ns = malloc(o->events * sizeof(int64_t));
                l.pane_event = calloc(o->events, 1);
                if (!l.lat_ns || !l.pane_event)
                        goto out;
        }
        /* warm-up: outside the measured function */
        l.from = 0;
        l.to = o->warmup;
        for (size_t i = l.from; i < l.to; i++)
                one_event(&l, i);
        malloc_trim(0);
        uint64_t rss0 = rss_bytes(), al0 = alloc_bytes();
        l.from = o->warmup;
        l.to = enc.n;
        double t0 = now_s();
        if (o->latency)
                latency_loop(&l);
        else
                xs_bench_timed_loop(&l);
        double secs = now_s() - t0;
        uint64_t n = l.to - l.from;
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        uint64_t rss1 = rss_bytes(), al1 = alloc_bytes();
        printf("bench engine mode=%s window=%s customers=%" PRIu32 " products=%" PRIu32
               " events=%" PRIu64 " warmup=%" PRIu64 " seconds=%.3f events_per_s=%.0f "
               "ns_per_event=%.0f errors=%" PRIu64 " offers=%" PRIu64 " encoded_bytes=%.1f\n",
               o->mode, o->window, o->customers, o->products, n, o->warmup, secs, n / secs,
               secs * 1e9 / (double)n, l.errors, sink.offers, (double)enc.len / (double)enc.n);
        if (l.mode != BM_DECODE) {
                /* events in the window at the end: event time within window.size of the
                 * watermark (the events' time is non-decreasing) */
                int64_t wsize = xs_conf_params(conf)->window_size;
                uint64_t in_win = 0;
                for (size_t i = 0; i < enc.n; i++)
                        if (enc.time[i] > (int64_t)st.watermark_ms - wsize)
                                in_win++;
                uint64_t heap = al1 > al0 ? al1 - al0 : 0, rss = rss1 > rss0 ? rss1 - rss0 : 0;
                if (o->warmup) {
                        /* after a warm-up the delta is growth only: measure the whole engine */
                        heap = al1;
                        rss = rss1;
                }
                printf("bench memory window=%s customers=%" PRIu32 " events_in_window=%" PRIu64
                       " pairs_live=%" PRIu64 " customers_live=%" PRIu64 " products=%" PRIu64
                       " heap_bytes=%" PRIu64 " rss_bytes=%" PRIu64
                       " heap_per_windowed_event=%.1f rss_per_windowed_event=%.1f"
                       " heap_per_pair=%.1f heap_per_customer=%.1f window_bytes=%" PRIu64
                       " catalog_bytes=%" PRIu64 " window_per_windowed_event=%.1f\n",
                       o->window, o->customers, in_win, st.pairs_live, st.customers_live,
                       st.catalog_products, heap, rss, in_win ? (double)heap / in_win : 0,
                       in_win ? (double)rss / in_win : 0,
                       st.pairs_live ? (double)heap / st.pairs_live : 0,
                       st.customers_live ? (double)heap / st.customers_live : 0, st.window_bytes,
                       st.catalog_bytes, in_win ? (double)st.window_bytes / in_win : 0);
        }
        if (o->latency) {
                /* the pane events' times first, then all */
                size_t np = 0;
                int64_t pane_max = 0;
                for (size_t i = 0; i < n; i++)
                        if (l.pane_event[i]) {
                                np++;
                                if (l.lat_ns[i] > pane_max)
                                        pane_max = l.lat_ns[i];
                        }
                qsort(l.lat_ns, n, sizeof(int64_t), cmp_i64);
                printf("bench engine_latency mode=%s window=%s customers=%" PRIu32
                       " events=%" PRIu64 " p50_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.1f"
                       " pane_events=%zu pane_max_us=%.1f panes_closed=%" PRIu64
                       " panes_expired=%" PRIu64 "\n",
                       o->mode, o->window, o->customers, n, pct(l.lat_ns, n, 0.5) / 1e3,
                       pct(l.lat_ns, n, 0.99) / 1e3, pct(l.lat_ns, n, 0.999) / 1e3,
                       l.lat_ns[n - 1] / 1e3, np, pane_max / 1e3, st.panes_closed,
                       st.panes_expired);
        }
        rc = 0;
out:
        if (l.decoded) {
                for (size_t i = 0; i < enc.n; i++)
                        if (l.decoded[i])
                                xs_event_free(l.decoded[i]);
                free(l.decoded);
        }
        free(l.lat_ns);
        free(l.pane_event);
        xs_engine_destroy(eng);
        free(enc.data);
        free(enc.off);
        free(enc.time);
        xs_gen_destroy(gen);
        xs_codec_destroy(codec);
        xs_codec_destroy(sink.codec);
        xs_conf_destroy(conf);
        return rc;
}

/* ---- memory: adversarial stream under caps ---------------------------------------- */

/* Every event a purchase by a new customer of 4 never-seen products, one second apart: each
 * makes 6 new pairs, 4 new products and a new customer, so the customer and catalog caps bite
 * (the pair cap only if cooc.max_pairs is lowered below what the capped catalog makes). The
 * products share one category: the worst case for the price ladder. */
static int cmd_memory(struct bopts *o)
{
        char err[512];
        if (!o->events)
                o->events = 4000000;
        char ws[64];
        snprintf(ws, sizeof(ws), "window.size=%s", o->window);
        const char *extra[] = {ws,
                               "window.pane=1h",
                               "customers.max=100000",
                               "cooc.max_pairs=1000000",
                               "catalog.max_products=20000",
                               "dedup.capacity=200000",
                               NULL};
        struct xs_conf *conf = xs_cli_conf_build(&o->cc, extra);
        if (!conf)
                return 2;
        struct bsink sink = {0};
        struct xs_sink xsink = {bs_offer, bs_signal, bs_outcome, &sink};
        struct xs_engine *eng = xs_engine_new(conf, &xsink, err, sizeof(err));
        if (!eng) {
                fprintf(stderr, "xsell bench: %s\n", err);
                xs_conf_destroy(conf);
                return 2;
        }
        char eid[32], cid[32], oid[32], pid[4][32];
        struct xs_line_item items[4];
        struct xs_event ev = {.event_id = eid,
                              .customer_id = cid,
                              .type = XS_EV_PURCHASE,
                              .items = items,
                              .n_items = 4,
                              .order_id = oid};
        memcpy(ev.currency, "EUR", 4);
        uint64_t samples = 10, step = o->events / samples;
        uint64_t first_rss = 0, first_heap = 0, max_rss = 0, max_heap = 0;
        double t0 = now_s();
        for (uint64_t i = 0; i < o->events; i++) {
                snprintf(eid, sizeof(eid), "e%" PRIu64, i);
                snprintf(cid, sizeof(cid), "c%" PRIu64, i);
                snprintf(oid, sizeof(oid), "o%" PRIu64, i);
                for (int k = 0; k < 4; k++) {
                        snprintf(pid[k], sizeof(pid[k]), "p%" PRIu64, i * 4 + (uint64_t)k);
                        items[k] = (struct xs_line_item){pid[k], 1, 1000 + k, "cat", "brand"};
                }
                ev.event_time = 1700000000000LL + (int64_t)i * 1000;
                xs_engine_process(eng, &ev, err, sizeof(err));
                if (step && (i + 1) % step == 0) {
                        struct xs_stats st;
                        xs_engine_stats(eng, &st);
                        uint64_t rss = rss_bytes(), heap = alloc_bytes();
                        if (!first_rss && st.customers_evicted) {
                                first_rss = rss;
                                first_heap = heap;
                        }
                        if (first_rss) {
                                max_rss = rss > max_rss ? rss : max_rss;
                                max_heap = heap > max_heap ? heap : max_heap;
                        }
                        printf("bench memory_sample events=%" PRIu64 " rss_bytes=%" PRIu64
                               " heap_bytes=%" PRIu64 " customers_live=%" PRIu64
                               " pairs_live=%" PRIu64 " products=%" PRIu64
                               " pairs_cap_hits=%" PRIu64 " customers_evicted=%" PRIu64 "\n",
                               i + 1, rss, heap, st.customers_live, st.pairs_live,
                               st.catalog_products, st.pairs_cap_hits, st.customers_evicted);
                        fflush(stdout);
                }
        }
        printf("bench memory_adversarial events=%" PRIu64 " seconds=%.1f caps_bitten_rss=%" PRIu64
               " max_rss_after=%" PRIu64 " rss_growth_pct=%.1f heap_at_caps=%" PRIu64
               " max_heap_after=%" PRIu64 " heap_growth_pct=%.1f\n",
               o->events, now_s() - t0, first_rss, max_rss,
               first_rss ? 100.0 * ((double)max_rss - first_rss) / first_rss : 0, first_heap,
               max_heap, first_heap ? 100.0 * ((double)max_heap - first_heap) / first_heap : 0);
        xs_engine_destroy(eng);
        xs_conf_destroy(conf);
        return 0;
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
        double t_start = now_s(), t0 = 0, t1 = 0;
        while (got < n && now_s() - t_start < 600) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (!m)
                        continue;
                if (!m->err) {
                        if (!got)
                                t0 = now_s();
                        got++;
                }
                rd_kafka_message_destroy(m);
        }
        t1 = now_s();
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
                w->t0 = now_s();
        if (b >= w->total_bytes && !w->t1) {
                w->t1 = now_s();
                w->stop = 1;
        }
        if (now_s() - w->t_start > 900)
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
            xs_conf_set(conf, "state.restore", "none", err, sizeof(err)) != XS_OK) {
                fprintf(stderr, "xsell bench: %s\n", err);
                xs_conf_destroy(conf);
                return -1;
        }
        struct watch w = {.total_bytes = total_bytes, .t_start = now_s()};
        struct xs_rt_opts ro = {.bootstrap = bootstraps,
                                .stop = &w.stop,
                                .feed = watch_feed,
                                .feed_opaque = &w,
                                .quiet = 1};
        int rc = xs_rt_run(conf, &ro);
        *total = now_s() - w.t_start;
        xs_conf_destroy(conf);
        if (rc != 0 || !w.t1)
                return -1;
        *secs = w.t1 - w.t0;
        return 0;
}

static int cmd_e2e(struct bopts *o)
{
        char err[512];
        int rc = 1;
        if (!o->events)
                o->events = 300000;
        struct xs_conf *conf = bench_conf(o);
        struct xs_gen *gen = NULL;
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        struct mock mock = {0};
        rd_kafka_t *prod = NULL;
        unsigned char *buf = NULL;
        size_t cap = 0;
        if (!conf || !codec || gen_setup(o, o->events, &gen) != 0)
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
        double tl = now_s();
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
                        o->events, total_bytes / 1e6, parts, now_s() - tl);
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
        int64_t start = now_ns(), period = (int64_t)(1e9 / L->rate);
        L->start_ns = start;
        uint64_t total = (uint64_t)(L->rate * L->seconds);
        for (uint64_t i = 0; i < total && codec && xs_gen_next(L->gen, &ev); i++) {
                int64_t sched = start + (int64_t)i * period, now = now_ns();
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
        L->end_ns = now_ns();
        L->done = 1;
        free(buf);
        xs_codec_destroy(codec);
        return NULL;
}

/* The runtime prints each acknowledged offer as a JSON line here (fopencookie). */
static ssize_t lat_write(void *cookie, const char *data, size_t size)
{
        struct lat *L = cookie;
        int64_t t = now_ns();
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
        if (L->done && now_ns() - L->end_ns > 1000000000)
                L->stop = 1;
        return 1;
}

static int cmd_latency(struct bopts *o)
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
        struct xs_conf *conf = bench_conf(o);
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
            gen_setup(o, (uint64_t)(o->rate * o->seconds) + 100000, &L.gen) != 0)
                goto out;
        const struct xs_params *p = xs_conf_params(conf);
        struct xs_conf *rconf = xs_conf_dup(conf);
        xs_conf_set(rconf, "application.id", "bench-latency", err, sizeof(err));
        xs_conf_set(rconf, "state.restore", "none", err, sizeof(err));
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
        qsort(L.samples, L.n, sizeof(int64_t), cmp_i64);
        printf("bench latency rate=%.0f seconds=%.0f window=%s pane=%s sent=%" PRIu64
               " offers=%zu sends_late_1ms=%" PRIu64 " p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f"
               " max_ms=%.2f\n",
               o->rate, o->seconds, o->window, o->pane, L.sent, L.n, L.behind,
               pct(L.samples, L.n, 0.5) / 1e6, pct(L.samples, L.n, 0.99) / 1e6,
               pct(L.samples, L.n, 0.999) / 1e6, L.n ? L.samples[L.n - 1] / 1e6 : 0.0);
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

int xs_cmd_bench(int argc, char **argv)
{
        struct bopts o;
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (parse_opts(argc, argv, &o) != 0)
                return 2;
        const char *sub = argv[1];
        if (!strcmp(sub, "engine"))
                return cmd_engine(&o);
        if (!strcmp(sub, "memory"))
                return cmd_memory(&o);
        if (!strcmp(sub, "e2e"))
                return cmd_e2e(&o);
        if (!strcmp(sub, "latency"))
                return cmd_latency(&o);
        fprintf(stderr, "xsell bench: unknown subcommand \"%s\"\n\n", sub);
        usage(stderr);
        return 2;
}
