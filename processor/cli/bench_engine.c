/*
 * The in-process measurements of `xsell bench` (bench_engine.h):
 *
 *   engine   N pre-generated, pre-encoded events through decode + engine + offer encoding (or
 *            one of the parts); generation and encoding are outside the timed loop, which is the
 *            function xs_bench_timed_loop so that `valgrind --tool=callgrind
 *            --toggle-collect=xs_bench_timed_loop` counts exactly the measured instructions.
 *            Also: bytes per pair, per windowed event, per tracked customer (allocator and RSS),
 *            and with --latency the per-event time distribution, pane closes/expiries included.
 *   memory   an adversarial stream (every customer, product and pair new) under caps; RSS and
 *            allocator bytes sampled along the way must stay flat once the caps bite.
 *
 * Each prints its figures as "bench <what> key=value ..." lines on stdout. Bounds: the engine
 * run holds every generated event encoded (and, with --mode engine, decoded) in memory, and with
 * --latency one int64_t and one byte per measured event.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/bench_engine.h"
#include "io/gen.h"
#include "util/array.h"
#include "util/conf_int.h"
#include "xsell/xsell.h"

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

/* Records back to back: pre-encoded events (framed Avro, with their event times), or the
 * changelog records of `bench restore`. */
struct encoded {
        unsigned char *data;
        size_t len, cap;
        size_t *off; /* n + 1 offsets */
        int64_t *time;
        size_t n, cap_off, cap_time;
};

/* Appends record rec of len bytes, at event time t. Returns 0 or -1 (out of memory). */
static int encoded_push(struct encoded *e, const void *rec, size_t len, int64_t t)
{
        if (xs_array_fit((void **)&e->off, &e->cap_off, sizeof(*e->off), e->n + 1, 1 << 16,
                         SIZE_MAX) != 0 ||
            xs_array_fit((void **)&e->time, &e->cap_time, sizeof(*e->time), e->n, 1 << 16,
                         SIZE_MAX) != 0)
                return -1;
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
        memcpy(e->data + e->len, rec, len);
        e->off[e->n] = e->len;
        e->time[e->n] = t;
        e->len += len;
        e->n++;
        e->off[e->n] = e->len;
        return 0;
}

static int encoded_add(struct encoded *e, struct xs_codec *codec, const struct xs_event *ev)
{
        unsigned char tmp[1 << 16];
        size_t len = 0;
        xs_frame_header(tmp, 1);
        if (xs_codec_encode_event(codec, ev, tmp + XS_FRAME_HEADER, sizeof(tmp) - XS_FRAME_HEADER,
                                  &len) != XS_OK)
                return -1;
        return encoded_push(e, tmp, len + XS_FRAME_HEADER, ev->event_time);
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
                int64_t t0 = xs_bench_now_ns();
                one_event(l, i);
                l->lat_ns[i - l->from] = xs_bench_now_ns() - t0;
                if (l->mode != BM_DECODE) {
                        xs_engine_stats(l->eng, &st);
                        uint64_t p = st.panes_closed + st.panes_expired;
                        l->pane_event[i - l->from] = p != panes;
                        panes = p;
                }
        }
}

int xs_bench_engine(struct bopts *o)
{
        char err[512];
        int rc = 1;
        if (!o->events)
                o->events = 1000000;
        uint64_t total = o->events + o->warmup;
        struct xs_conf *conf = xs_bench_conf(o);
        struct xs_gen *gen = NULL;
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        struct bsink sink = {.codec = xs_codec_new(err, sizeof(err))};
        struct encoded enc = {0};
        struct xs_engine *eng = NULL;
        struct loop l = {0};
        if (!conf || !codec || !sink.codec || xs_bench_gen_setup(o, total, &gen) != 0)
                goto out;
        double tg = xs_bench_now_s();
        struct xs_event ev;
        while (xs_gen_next(gen, &ev))
                if (encoded_add(&enc, codec, &ev) != 0) {
                        fprintf(stderr, "xsell bench: cannot encode a generated event\n");
                        goto out;
                }
        if (!o->quiet)
                fprintf(stderr,
                        "xsell bench: %zu events generated and encoded (%.1f MB) in %.1fs\n", enc.n,
                        enc.len / 1e6, xs_bench_now_s() - tg);
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
        double t0 = xs_bench_now_s();
        if (o->latency)
                latency_loop(&l);
        else
                xs_bench_timed_loop(&l);
        double secs = xs_bench_now_s() - t0;
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
                qsort(l.lat_ns, n, sizeof(int64_t), xs_bench_cmp_i64);
                printf("bench engine_latency mode=%s window=%s customers=%" PRIu32
                       " events=%" PRIu64 " p50_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.1f"
                       " pane_events=%zu pane_max_us=%.1f panes_closed=%" PRIu64
                       " panes_expired=%" PRIu64 "\n",
                       o->mode, o->window, o->customers, n, xs_bench_pct(l.lat_ns, n, 0.5) / 1e3,
                       xs_bench_pct(l.lat_ns, n, 0.99) / 1e3,
                       xs_bench_pct(l.lat_ns, n, 0.999) / 1e3, l.lat_ns[n - 1] / 1e3, np,
                       pane_max / 1e3, st.panes_closed, st.panes_expired);
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
int xs_bench_memory(struct bopts *o)
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
        double t0 = xs_bench_now_s();
        for (uint64_t i = 0; i < o->events; i++) {
                snprintf(eid, sizeof(eid), "e%" PRIu64, i);
                snprintf(cid, sizeof(cid), "c%" PRIu64, i);
                snprintf(oid, sizeof(oid), "o%" PRIu64, i);
                for (int k = 0; k < 4; k++) {
                        snprintf(pid[k], sizeof(pid[k]), "p%" PRIu64, i * 4 + (uint64_t)k);
                        items[k] = (struct xs_line_item){pid[k], 1, 1000 + k, "cat", "brand", NULL};
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
                               " pairs_cap_hits=%" PRIu64 " customers_evicted=%" PRIu64
                               " memory_bytes=%" PRIu64 " memory_customers_evicted=%" PRIu64
                               " memory_pairs_refused=%" PRIu64 " memory_products_refused=%" PRIu64
                               "\n",
                               i + 1, rss, heap, st.customers_live, st.pairs_live,
                               st.catalog_products, st.pairs_cap_hits, st.customers_evicted,
                               st.memory_bytes, st.memory_customers_evicted,
                               st.memory_pairs_refused, st.memory_products_refused);
                        fflush(stdout);
                }
        }
        printf("bench memory_adversarial events=%" PRIu64 " seconds=%.1f caps_bitten_rss=%" PRIu64
               " max_rss_after=%" PRIu64 " rss_growth_pct=%.1f heap_at_caps=%" PRIu64
               " max_heap_after=%" PRIu64 " heap_growth_pct=%.1f\n",
               o->events, xs_bench_now_s() - t0, first_rss, max_rss,
               first_rss ? 100.0 * ((double)max_rss - first_rss) / first_rss : 0, first_heap,
               max_heap, first_heap ? 100.0 * ((double)max_heap - first_heap) / first_heap : 0);
        xs_engine_destroy(eng);
        xs_conf_destroy(conf);
        return 0;
}

/* ---- restore: the customers changelog's export and import ------------------------------- */

/* The sink of xs_engine_changes: each customer's state, back to back (tombstones skipped). */
static int cl_put(void *opaque, const char *id, uint32_t tag, const unsigned char *buf, size_t len)
{
        (void)id;
        (void)tag;
        return buf ? encoded_push(opaque, buf, len, 0) : 0;
}

int xs_bench_restore(struct bopts *o)
{
        char err[512];
        int rc = 1;
        if (!o->events)
                o->events = 3000000;
        struct xs_conf *conf = xs_bench_conf(o);
        struct xs_gen *gen = NULL;
        struct xs_engine *eng = NULL, *fresh = NULL;
        struct encoded b = {0};
        struct bsink sink = {0};
        struct xs_sink xsink = {bs_offer, bs_signal, bs_outcome, &sink};
        if (!conf || xs_bench_gen_setup(o, o->events, &gen) != 0)
                goto out;
        if (!(eng = xs_engine_new(conf, &xsink, err, sizeof(err))) ||
            !(fresh = xs_engine_new(conf, &xsink, err, sizeof(err)))) {
                fprintf(stderr, "xsell bench: %s\n", err);
                rc = 2;
                goto out;
        }
        load_catalog_engine(gen, eng);
        load_catalog_engine(gen, fresh);
        xs_engine_track_changes(eng, 1);
        double tg = xs_bench_now_s();
        struct xs_event ev;
        uint64_t n = 0;
        while (xs_gen_next(gen, &ev)) {
                xs_engine_process(eng, &ev, err, sizeof(err));
                xs_engine_advance(eng, ev.event_time);
                if (!o->quiet && ++n % 1000000 == 0)
                        fprintf(stderr, "xsell bench: %" PRIu64 " events processed\n", n);
        }
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        if (!o->quiet)
                fprintf(stderr, "xsell bench: %" PRIu64 " events, %" PRIu64 " customers in %.1fs\n",
                        n, st.customers_live, xs_bench_now_s() - tg);
        /* what one commit after all of it writes: every customer changed */
        double t0 = xs_bench_now_s();
        if (xs_engine_changes(eng, cl_put, &b) != 0) {
                fprintf(stderr, "xsell bench: out of memory exporting\n");
                goto out;
        }
        double t_export = xs_bench_now_s() - t0;
        xs_engine_destroy(eng);
        eng = NULL;
        malloc_trim(0);
        uint64_t rss0 = rss_bytes();
        t0 = xs_bench_now_s();
        uint64_t bad = 0;
        for (size_t i = 0; i < b.n; i++)
                if (xs_engine_customer_import(fresh, b.data + b.off[i], b.off[i + 1] - b.off[i],
                                              err, sizeof(err)) != XS_OK)
                        bad++;
        double t_import = xs_bench_now_s() - t0;
        xs_engine_stats(fresh, &st);
        uint64_t rss1 = rss_bytes();
        printf("bench restore events=%" PRIu64 " customers=%zu bytes=%zu bytes_per_customer=%.0f "
               "export_s=%.2f import_s=%.2f imported_per_s=%.0f bad=%" PRIu64
               " customers_live=%" PRIu64 " rss_before_import=%" PRIu64 " rss_after_import=%" PRIu64
               " customer_bytes=%" PRIu64 "\n",
               n, b.n, b.len, b.n ? (double)b.len / (double)b.n : 0.0, t_export, t_import,
               t_import > 0 ? (double)b.n / t_import : 0.0, bad, st.customers_live, rss0, rss1,
               st.memory_bytes);
        rc = bad ? 1 : 0;
out:
        xs_engine_destroy(eng);
        xs_engine_destroy(fresh);
        xs_gen_destroy(gen);
        xs_conf_destroy(conf);
        free(b.data);
        free(b.off);
        free(b.time);
        return rc;
}
