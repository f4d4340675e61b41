/*
 * Frontier and stepper tests (issue 11): lateness and seal points per partition; an event
 * processed at the step its own partition's time decides, whatever the interleaving of the
 * partitions; a single partition processed before xs_stepper_process_one returns, across pane
 * boundaries (a stale limit once left each pane's first event held until the next one came,
 * and evaluate then processed a reused buffer: another event twice, this one never); a
 * partition's stage exported and imported elsewhere seals to the same deltas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/frontier.h"
#include "engine/stepper.h"
#include "test_rng.h"
#include "xsell/xsell.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define T0      1700000000000LL /* 2023-11-14 (any time: panes are floored) */

static void test_frontier_lateness_and_seal_points_are_per_partition(void **state)
{
        (void)state;
        struct xs_frontier *fr = xs_frontier_new(HOUR_MS, 10 * MIN_MS);
        assert_non_null(fr);
        int64_t base = xs_frontier_pane_floor(fr, T0);
        assert_int_equal(xs_frontier_push(fr, 0, base + 3 * HOUR_MS, NULL, 1), 0);
        /* partition 0's time decides what is late in it, partition 1 is not affected */
        assert_int_equal(xs_frontier_push(fr, 0, base + 3 * HOUR_MS - 11 * MIN_MS, NULL, 1), 1);
        assert_int_equal(xs_frontier_push(fr, 0, base + 3 * HOUR_MS - 9 * MIN_MS, NULL, 1), 0);
        assert_int_equal(xs_frontier_push(fr, 1, base, NULL, 1), 0);
        /* sealed = pane_floor(time - lateness) */
        assert_int_equal(xs_frontier_sealed(fr, 0), base + 2 * HOUR_MS);
        assert_int_equal(xs_frontier_sealed(fr, 1), base - HOUR_MS);
        /* the limit counts seals performed only, and the slowest partition */
        uint32_t part;
        int64_t upto;
        int seals = 0;
        while (xs_frontier_next_seal(fr, &part, &upto))
                seals++;
        assert_int_equal(seals, 2);
        assert_int_equal(xs_frontier_limit(fr), base - HOUR_MS);
        assert_int_equal(xs_frontier_laggard(fr), 1);
        /* an idle partition no longer holds it back */
        xs_frontier_set_idle(fr, 1, 1);
        assert_int_equal(xs_frontier_limit(fr), base + 2 * HOUR_MS);
        assert_int_equal(xs_frontier_held(fr), 3);
        assert_int_equal(xs_frontier_held_bytes(fr), 3);
        xs_frontier_destroy(fr, NULL);
}

static void test_frontier_ceiling_holds_seals_and_limit(void **state)
{
        (void)state;
        struct xs_frontier *fr = xs_frontier_new(HOUR_MS, 10 * MIN_MS);
        assert_non_null(fr);
        int64_t base = xs_frontier_pane_floor(fr, T0);
        assert_int_equal(xs_frontier_push(fr, 1, base + 5 * HOUR_MS, NULL, 1), 0);
        /* partition 0 taken over: its previous owner sealed it to base + 2h, this instance has
         * seen its markers up to base only */
        xs_frontier_set_time(fr, 0, base + 3 * HOUR_MS);
        xs_frontier_set_ceiling(fr, 0, base);
        assert_int_equal(xs_frontier_push(fr, 0, base + 4 * HOUR_MS, NULL, 1), 0);
        uint32_t part;
        int64_t upto;
        while (xs_frontier_next_seal(fr, &part, &upto))
                assert_true(part != 0 || upto <= base); /* nothing sealed past the ceiling */
        assert_int_equal(xs_frontier_limit(fr), base);
        xs_frontier_set_idle(fr, 0, 1); /* idle or not, the ceiling holds the limit */
        assert_int_equal(xs_frontier_limit(fr), base);
        assert_int_equal(xs_frontier_laggard(fr), 0);
        /* lifted: the seal held back is due, and the limit moves */
        xs_frontier_set_ceiling(fr, 0, INT64_MAX);
        assert_int_equal(xs_frontier_next_seal(fr, &part, &upto), 1);
        assert_int_equal(part, 0);
        assert_int_equal(upto, base + 3 * HOUR_MS);
        xs_frontier_set_idle(fr, 0, 0);
        assert_int_equal(xs_frontier_limit(fr), base + 3 * HOUR_MS);
        xs_frontier_destroy(fr, NULL);
}

static struct xs_engine *engine(const char *pane, const char *lateness)
{
        char err[256];
        struct xs_conf *conf = xs_conf_new();
        assert_int_equal(xs_conf_set(conf, "window.pane", pane, err, sizeof(err)), XS_OK);
        assert_int_equal(xs_conf_set(conf, "window.allowed_lateness", lateness, err, sizeof(err)),
                         XS_OK);
        struct xs_engine *eng = xs_engine_new(conf, NULL, err, sizeof(err));
        xs_conf_destroy(conf);
        assert_non_null(eng);
        return eng;
}

static void test_stepper_single_partition_processes_before_returning(void **state)
{
        (void)state;
        struct xs_engine *eng = engine("5m", "1m");
        struct xs_stepper *st = xs_stepper_new(eng, NULL, NULL);
        assert_non_null(st);
        char err[256], id[32], cust[32], prod[32];
        int64_t t = T0;
        for (int i = 0; i < 2000; i++) {
                t += (int64_t)(rnd() % (7 * MIN_MS)); /* crosses pane boundaries often */
                snprintf(id, sizeof(id), "e%d", i);
                snprintf(cust, sizeof(cust), "c%d", (int)(rnd() % 50));
                snprintf(prod, sizeof(prod), "p%d", (int)(rnd() % 40));
                struct xs_line_item li = {.product_id = prod, .quantity = 1, .unit_price = 100};
                struct xs_event ev = {.event_id = id,
                                      .customer_id = cust,
                                      .event_time = t,
                                      .type = i % 3 ? XS_EV_PRODUCT_VIEW : XS_EV_PURCHASE,
                                      .items = &li,
                                      .n_items = 1};
                assert_int_equal(xs_stepper_process_one(st, &ev, err, sizeof(err)), XS_OK);
                /* nothing held: ev (a caller's buffer) was processed, now */
                assert_int_equal(xs_frontier_held(xs_stepper_frontier(st)), 0);
                struct xs_stats s;
                xs_engine_stats(eng, &s);
                assert_int_equal(s.events_processed, (uint64_t)i + 1);
                assert_int_equal(s.events_duplicate, 0);
        }
        xs_stepper_destroy(st);
        xs_engine_destroy(eng);
}

/* ---- the same steps whatever the interleaving ------------------------------------------ */

#define N_EV    3000
#define N_PARTS 4

struct rec {
        struct xs_event ev;
        struct xs_line_item li;
        char id[16], cust[16], prod[16];
        uint32_t part;
};

struct seen {
        int64_t step[N_EV]; /* the step each event was processed at */
        struct xs_engine *eng;
};

static void on_item(void *opaque, uint32_t part, void *item)
{
        struct seen *s = opaque;
        struct rec *r = item;
        char err[256];
        xs_engine_set_tag(s->eng, part);
        assert_int_equal(xs_engine_process(s->eng, &r->ev, err, sizeof(err)), XS_OK);
        s->step[atoi(r->id)] = xs_engine_step_at(s->eng);
}

static void run_interleaved(struct rec *recs, uint64_t seed, struct seen *out)
{
        out->eng = engine("5m", "2m");
        struct xs_stepper_ops ops = {.process = on_item};
        struct xs_stepper *st = xs_stepper_new(out->eng, &ops, out);
        assert_non_null(st);
        /* the partitions are known from the start, as a topic's are (replay --partitions,
         * run's assignment): one that has delivered nothing holds the step back */
        for (uint32_t p = 0; p < N_PARTS; p++)
                assert_int_equal(xs_stepper_add(st, p), 0);
        size_t next[N_PARTS] = {0};
        size_t idx[N_PARTS][N_EV], n[N_PARTS] = {0};
        for (size_t i = 0; i < N_EV; i++)
                idx[recs[i].part][n[recs[i].part]++] = i;
        rng_state = seed;
        int64_t max_t = INT64_MIN;
        for (size_t done = 0; done < N_EV;) {
                uint32_t p = (uint32_t)(rnd() % N_PARTS);
                if (next[p] == n[p])
                        continue;
                struct rec *r = &recs[idx[p][next[p]++]];
                done++;
                char err[256];
                assert_int_equal(xs_engine_check(out->eng, &r->ev, err, sizeof(err)), XS_OK);
                if (r->ev.event_time > max_t)
                        max_t = r->ev.event_time;
                int rc = xs_stepper_push(st, p, r->ev.event_time, r, 0);
                assert_true(rc == 0 || rc == 1);
                if (rc == 1)
                        out->step[atoi(r->id)] = -1; /* late in its partition */
                xs_stepper_run(st);
        }
        xs_stepper_finish(st, max_t);
        xs_stepper_destroy(st);
        xs_engine_destroy(out->eng);
}

static void test_stepper_steps_do_not_depend_on_interleaving(void **state)
{
        (void)state;
        struct rec *recs = calloc(N_EV, sizeof(*recs));
        assert_non_null(recs);
        rng_state = 12345;
        int64_t t[N_PARTS];
        for (int p = 0; p < N_PARTS; p++)
                t[p] = T0;
        for (int i = 0; i < N_EV; i++) {
                struct rec *r = &recs[i];
                r->part = (uint32_t)(rnd() % N_PARTS);
                /* each partition's own clock, with some disorder (some of it late) */
                t[r->part] += (int64_t)(rnd() % (3 * MIN_MS));
                int64_t et = t[r->part] - (int64_t)(rnd() % 4 == 0 ? rnd() % (3 * MIN_MS) : 0);
                snprintf(r->id, sizeof(r->id), "%d", i);
                snprintf(r->cust, sizeof(r->cust), "c%d",
                         (int)(rnd() % 20) * N_PARTS + (int)r->part);
                snprintf(r->prod, sizeof(r->prod), "p%d", (int)(rnd() % 30));
                r->li =
                    (struct xs_line_item){.product_id = r->prod, .quantity = 1, .unit_price = 100};
                r->ev = (struct xs_event){.event_id = r->id,
                                          .customer_id = r->cust,
                                          .event_time = et,
                                          .type = i % 4 ? XS_EV_PRODUCT_VIEW : XS_EV_PURCHASE,
                                          .items = &r->li,
                                          .n_items = 1};
        }
        struct seen *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
        assert_non_null(a);
        assert_non_null(b);
        run_interleaved(recs, 1, a);
        int late = 0;
        for (int i = 0; i < N_EV; i++)
                late += a->step[i] == -1;
        assert_true(late > 0 && late < N_EV / 4); /* the test does cover late events */
        for (uint64_t seed = 2; seed < 8; seed++) {
                memset(b, 0, sizeof(*b));
                run_interleaved(recs, seed * 7919, b);
                assert_memory_equal(a->step, b->step, sizeof(a->step));
        }
        free(a);
        free(b);
        free(recs);
}

/* ---- a stage moving with its partition -------------------------------------------------- */

struct deltas {
        unsigned char *buf[256];
        size_t len[256];
        int n;
};

static void keep_delta(void *opaque, uint32_t part, const struct xs_pane_delta *d)
{
        struct deltas *ds = opaque;
        (void)part;
        assert_true(ds->n < 256);
        ds->buf[ds->n] = xs_pane_delta_encode(d, &ds->len[ds->n]);
        assert_non_null(ds->buf[ds->n]);
        ds->n++;
}

static int move_customer(void *opaque, const char *id, uint32_t tag, const unsigned char *buf,
                         size_t len)
{
        char err[256];
        (void)id;
        if (buf) {
                xs_engine_set_tag(opaque, tag);
                assert_int_equal(xs_engine_customer_import(opaque, buf, len, err, sizeof(err)),
                                 XS_OK);
        }
        return 0;
}

/* Events of one partition: purchases of 2-3 products (pairs in every relation), views, learned
 * products; processed from first to last, sealing as its time passes, into engine e. */
static void stage_events(struct xs_engine *e, int from, int to, struct deltas *out)
{
        char err[256], id[32], cust[32], prod[3][32], cat[16];
        uint64_t saved = rng_state;
        rng_state = 4242;
        int64_t t = T0;
        for (int i = 0; i < to; i++) {
                t += (int64_t)(rnd() % (2 * MIN_MS));
                snprintf(id, sizeof(id), "e%d", i);
                snprintf(cust, sizeof(cust), "c%d", (int)(rnd() % 60));
                struct xs_line_item li[3];
                int n = 1 + (int)(rnd() % 3);
                for (int k = 0; k < n; k++) {
                        snprintf(prod[k], sizeof(prod[k]), "p%d", (int)(rnd() % 50));
                        snprintf(cat, sizeof(cat), "k%d", (int)(rnd() % 5));
                        li[k] = (struct xs_line_item){.product_id = prod[k],
                                                      .category = cat,
                                                      .quantity = 1,
                                                      .unit_price = 100 + (int64_t)(rnd() % 900)};
                }
                if (n > 1 && !strcmp(prod[0], prod[1]))
                        n = 1;
                if (n > 2 && (!strcmp(prod[2], prod[0]) || !strcmp(prod[2], prod[1])))
                        n = 2;
                struct xs_event ev = {.event_id = id,
                                      .customer_id = cust,
                                      .event_time = t,
                                      .type = i % 3 ? XS_EV_PRODUCT_VIEW : XS_EV_PURCHASE,
                                      .items = li,
                                      .n_items = (size_t)n};
                if (i < from)
                        continue;
                xs_engine_set_tag(e, 0);
                assert_int_equal(xs_engine_process(e, &ev, err, sizeof(err)), XS_OK);
                assert_int_equal(xs_engine_seal(e, 0, t - 2 * MIN_MS, keep_delta, out), 0);
        }
        if (to == 900) /* the end: what is left */
                assert_int_equal(xs_engine_seal(e, 0, t + 365 * 24 * HOUR_MS, keep_delta, out), 0);
        rng_state = saved;
}

static int str_cmp(const char *x, const char *y)
{
        return strcmp(x ? x : "", y ? y : "");
}

/* Two encoded deltas mean the same: the same entries in the same order, a pair's two products
 * in either order (each engine lists a pair by its own interned ids), the same transactions and
 * learned products. */
static void assert_same_delta(const unsigned char *x, size_t xl, const unsigned char *y, size_t yl)
{
        struct xs_pane_delta a, b;
        assert_int_equal(xs_pane_delta_decode(x, xl, &a), 0);
        assert_int_equal(xs_pane_delta_decode(y, yl, &b), 0);
        assert_int_equal(a.pane_start, b.pane_start);
        assert_memory_equal(a.tx, b.tx, sizeof(a.tx));
        assert_int_equal(a.n_entries, b.n_entries);
        for (size_t i = 0; i < a.n_entries; i++) {
                const struct xs_pane_entry *p = &a.entries[i], *q = &b.entries[i];
                int same = !str_cmp(p->a, q->a) && !str_cmp(p->b, q->b),
                    swapped = p->b && q->b && !strcmp(p->a, q->b) && !strcmp(p->b, q->a);
                assert_true(same || swapped);
                assert_memory_equal(p->rel, q->rel, sizeof(p->rel));
        }
        assert_int_equal(a.n_products, b.n_products);
        for (size_t i = 0; i < a.n_products; i++) {
                const struct xs_pane_product *p = &a.products[i], *q = &b.products[i];
                assert_string_equal(p->id, q->id);
                assert_int_equal(str_cmp(p->category, q->category), 0);
                assert_int_equal(p->price, q->price);
                assert_int_equal(p->price_at, q->price_at);
        }
        free((void *)a.entries);
        free((void *)b.entries);
}

static struct xs_engine *stepped_engine(void)
{
        struct xs_engine *e = engine("10m", "2m");
        char err[256];
        (void)err;
        xs_engine_set_stepped(e, 1);
        xs_engine_track_changes(e, 1);
        return e;
}

/* A partition's staged panes exported mid-pane (with its customers, as the changelog moves
 * them) and imported by another engine seal there to exactly the deltas one engine makes
 * reading the partition from first to last; a malformed stage is refused and leaves none. */
static void test_stage_moves_with_its_partition(void **state)
{
        (void)state;
        struct deltas whole = {0}, split = {0};
        struct xs_engine *a = stepped_engine();
        stage_events(a, 0, 900, &whole);
        assert_true(whole.n > 5);
        for (int cut = 137; cut < 900; cut += 251) {
                struct xs_engine *b = stepped_engine(), *c = stepped_engine();
                split.n = 0;
                stage_events(b, 0, cut, &split);
                assert_true(xs_engine_stage_dirty(b, 0));
                unsigned char *buf;
                size_t len;
                assert_int_equal(xs_engine_stage_export(b, 0, &buf, &len), 0);
                assert_false(xs_engine_stage_dirty(b, 0));
                assert_true(len > 8);
                assert_int_equal(xs_engine_changes(b, move_customer, c), 0);
                char err[256];
                /* every truncation is refused, and leaves an empty stage */
                for (size_t k = 0; k < len; k += 1 + len / 40)
                        assert_int_equal(xs_engine_stage_import(c, 0, buf, k, err, sizeof(err)),
                                         -1);
                assert_int_equal(xs_engine_stage_import(c, 0, buf, len, err, sizeof(err)), 0);
                free(buf);
                stage_events(c, cut, 900, &split);
                assert_int_equal(split.n, whole.n);
                for (int i = 0; i < whole.n; i++) {
                        assert_same_delta(split.buf[i], split.len[i], whole.buf[i], whole.len[i]);
                        free(split.buf[i]);
                }
                xs_engine_destroy(b);
                xs_engine_destroy(c);
        }
        for (int i = 0; i < whole.n; i++)
                free(whole.buf[i]);
        xs_engine_destroy(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_frontier_lateness_and_seal_points_are_per_partition),
            cmocka_unit_test(test_frontier_ceiling_holds_seals_and_limit),
            cmocka_unit_test(test_stepper_single_partition_processes_before_returning),
            cmocka_unit_test(test_stepper_steps_do_not_depend_on_interleaving),
            cmocka_unit_test(test_stage_moves_with_its_partition),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
