/*
 * Window tests. The property test drives random increments, watermark moves and drain budgets
 * and checks, after every step, that every pair, row, occurrence and total equals a
 * brute-force recount of the increments whose pane has not expired.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/window.h"
#include "test_rng.h"

struct inc {
        int64_t t;
        uint32_t a, b; /* b == 0: occurrence; a == 0: a transaction of rel */
        int rel;
        int32_t delta;
};

static int64_t fdiv(int64_t a, int64_t b)
{
        int64_t q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

#define N_IDS 12

static void check_against_oracle(struct xs_window *w, const struct inc *incs, size_t n, int64_t wm,
                                 int64_t pane, int64_t window)
{
        int64_t expire_below = fdiv(wm - window, pane);
        int64_t pair[N_IDS + 1][N_IDS + 1][XS_REL_COUNT];
        int64_t row[N_IDS + 1][XS_REL_COUNT], occ[N_IDS + 1][XS_REL_COUNT];
        int64_t tot[XS_REL_COUNT] = {0}, tx[XS_REL_COUNT] = {0};
        memset(pair, 0, sizeof(pair));
        memset(row, 0, sizeof(row));
        memset(occ, 0, sizeof(occ));
        for (size_t i = 0; i < n; i++) {
                if (wm != INT64_MIN && fdiv(incs[i].t, pane) < expire_below)
                        continue;
                uint32_t a = incs[i].a, b = incs[i].b;
                if (a == 0) {
                        tx[incs[i].rel] += incs[i].delta;
                        continue;
                }
                if (b == 0) {
                        occ[a][incs[i].rel] += incs[i].delta;
                        continue;
                }
                uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
                pair[lo][hi][incs[i].rel] += incs[i].delta;
                row[a][incs[i].rel] += incs[i].delta;
                row[b][incs[i].rel] += incs[i].delta;
                tot[incs[i].rel] += incs[i].delta;
        }
        for (uint32_t a = 1; a <= N_IDS; a++) {
                int64_t got[XS_REL_COUNT];
                xs_window_row(w, a, got);
                for (int r = 0; r < XS_REL_COUNT; r++)
                        assert_int_equal(got[r], row[a][r]);
                xs_window_occurrence(w, a, got);
                for (int r = 0; r < XS_REL_COUNT; r++)
                        assert_int_equal(got[r], occ[a][r]);
                for (uint32_t b = a + 1; b <= N_IDS; b++) {
                        int32_t n32[XS_REL_COUNT];
                        xs_window_pair(w, b, a, n32);
                        for (int r = 0; r < XS_REL_COUNT; r++)
                                assert_int_equal(n32[r], pair[a][b][r]);
                }
        }
        int64_t t2[XS_REL_COUNT], tx2[XS_REL_COUNT];
        xs_window_totals(w, t2, tx2);
        for (int r = 0; r < XS_REL_COUNT; r++) {
                assert_int_equal(t2[r], tot[r]);
                assert_int_equal(tx2[r], tx[r]);
        }
}

struct nbr_ctx {
        int seen[N_IDS + 1];
};
static void count_nbr(void *opaque, uint32_t b, const int32_t n[XS_REL_COUNT])
{
        struct nbr_ctx *ctx = opaque;
        (void)n;
        ctx->seen[b]++;
}

static void test_window_counts_equal_bruteforce_recount(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 40; seed++) {
                rng_state = seed * 0x9e3779b97f4a7c15ULL;
                int64_t pane = 1000 + (int64_t)(rnd() % 3) * 500;
                int64_t window = pane * (int64_t)(1 + rnd() % 6);
                int64_t lateness = (int64_t)(rnd() % 3) * pane / 2;
                struct xs_window_params p = {.pane_ms = pane,
                                             .window_ms = window,
                                             .expiry_batch = 1 + rnd() % 5,
                                             .max_draining = 1 + rnd() % 3,
                                             .max_pairs = 1000000};
                struct xs_window *w = xs_window_new(&p);
                assert_non_null(w);
                size_t cap = 3000, n = 0;
                struct inc *incs = calloc(cap, sizeof(*incs));
                int64_t max_t = 0, wm = INT64_MIN;
                for (int step = 0; step < 2500; step++) {
                        int64_t t = max_t + (int64_t)(rnd() % 400) - (int64_t)(rnd() % 300);
                        if (rnd() % 50 == 0)
                                t += (int64_t)(rnd() % 8) * pane; /* jump ahead */
                        if (t < 0)
                                t = 0;
                        if (t > max_t)
                                max_t = t;
                        int64_t new_wm = max_t - lateness;
                        if (new_wm > wm)
                                wm = new_wm;
                        xs_window_advance(w, wm);
                        if (t >= wm || wm == INT64_MIN) {
                                struct inc in = {.t = t,
                                                 .a = 1 + (uint32_t)(rnd() % N_IDS),
                                                 .b = (uint32_t)(rnd() % (N_IDS + 1)),
                                                 .rel = (int)(rnd() % XS_REL_COUNT),
                                                 .delta = (int32_t)(rnd() % 5) - 1};
                                if (in.b == in.a)
                                        in.b = 0;
                                if (rnd() % 8 == 0)
                                        in.a = in.b = 0; /* a transaction (item 1) */
                                int rc =
                                    !in.a  ? xs_window_add_transactions(w, t, in.rel, in.delta)
                                    : in.b ? xs_window_add_pair(w, t, in.a, in.b, in.rel, in.delta)
                                           : xs_window_add_occurrence(w, t, in.a, in.rel, in.delta);
                                assert_int_equal(rc, 0);
                                incs[n++] = in;
                        }
                        xs_window_maintain(w, rnd() % 4);
                        if (step % 25 == 0)
                                check_against_oracle(w, incs, n, wm, pane, window);
                        if (step % 97 == 0) {
                                /* every neighbour is reported once, and only live ones */
                                struct nbr_ctx ctx = {{0}};
                                uint32_t a = 1 + (uint32_t)(rnd() % N_IDS);
                                xs_window_neighbors(w, a, count_nbr, &ctx);
                                for (uint32_t b = 1; b <= N_IDS; b++) {
                                        int32_t nn[XS_REL_COUNT];
                                        xs_window_pair(w, a, b, nn);
                                        int live = 0;
                                        for (int r = 0; r < XS_REL_COUNT; r++)
                                                live |= nn[r] != 0;
                                        assert_true(ctx.seen[b] <= 1);
                                        if (b != a)
                                                assert_int_equal(ctx.seen[b], live);
                                }
                        }
                }
                check_against_oracle(w, incs, n, wm, pane, window);
                xs_window_drain_all(w);
                check_against_oracle(w, incs, n, wm, pane, window);
                free(incs);
                xs_window_destroy(w);
        }
}

static void test_window_pair_cap_drops_new_pairs_and_counts(void **state)
{
        (void)state;
        struct xs_window_params p = {.pane_ms = 1000,
                                     .window_ms = 10000,
                                     .expiry_batch = 10,
                                     .max_draining = 2,
                                     .max_pairs = 1000};
        struct xs_window *w = xs_window_new(&p);
        for (uint32_t a = 1; a <= 60; a++)
                for (uint32_t b = a + 1; b <= 60; b++)
                        xs_window_add_pair(w, 0, a, b, XS_REL_ORDER, 1);
        struct xs_window_stats st;
        xs_window_stats(w, &st);
        assert_int_equal(st.pairs_live, 1000);
        assert_int_equal(st.pairs_cap_hits, 60 * 59 / 2 - 1000);
        /* existing pairs still count */
        assert_int_equal(xs_window_add_pair(w, 0, 1, 2, XS_REL_ORDER, 1), 0);
        int32_t n[XS_REL_COUNT];
        xs_window_pair(w, 1, 2, n);
        assert_int_equal(n[XS_REL_ORDER], 2);
        xs_window_destroy(w);
}

static void test_window_churning_pairs_keep_memory_bounded(void **state)
{
        (void)state;
        /* a pair created and cancelled over and over (cart add, then remove) for products no
         * query ever walks: their adjacency lists must not grow with time */
        struct xs_window_params p = {.pane_ms = 1000,
                                     .window_ms = 10000,
                                     .expiry_batch = 10,
                                     .max_draining = 2,
                                     .max_pairs = 1000};
        struct xs_window *w = xs_window_new(&p);
        struct xs_window_stats st;
        uint64_t bytes_at_1000 = 0;
        for (int i = 0; i < 100000; i++) {
                uint32_t b = 2 + (uint32_t)(i % 50);
                assert_int_equal(xs_window_add_pair(w, 0, 1, b, XS_REL_CART, 1), 0);
                assert_int_equal(xs_window_add_pair(w, 0, 1, b, XS_REL_CART, -1), 0);
                if (i == 1000) {
                        xs_window_stats(w, &st);
                        bytes_at_1000 = st.bytes;
                }
        }
        xs_window_stats(w, &st);
        assert_int_equal(st.pairs_live, 0);
        assert_true(st.bytes <= bytes_at_1000 + 4096);
        /* and the counts are still exact */
        assert_int_equal(xs_window_add_pair(w, 0, 1, 7, XS_REL_CART, 3), 0);
        int32_t n[XS_REL_COUNT];
        xs_window_pair(w, 1, 7, n);
        assert_int_equal(n[XS_REL_CART], 3);
        xs_window_destroy(w);
}

struct close_ctx {
        int panes;
        int64_t pairs, occ;
};
static void on_entry(void *opaque, uint32_t a, uint32_t b, const int32_t n[XS_REL_COUNT])
{
        struct close_ctx *ctx = opaque;
        (void)a;
        if (b)
                ctx->pairs += n[XS_REL_ORDER];
        else
                ctx->occ += n[XS_REL_ORDER];
}
static void on_close(void *opaque, const struct xs_window_pane *pane)
{
        struct close_ctx *ctx = opaque;
        ctx->panes++;
        assert_int_equal(xs_window_pane_end(pane) - xs_window_pane_start(pane), 1000);
        xs_window_pane_foreach(pane, on_entry, ctx);
}

static void test_window_closed_pane_deltas_are_exported_once(void **state)
{
        (void)state;
        struct xs_window_params p = {.pane_ms = 1000,
                                     .window_ms = 3000,
                                     .expiry_batch = 1,
                                     .max_draining = 4,
                                     .max_pairs = 1000};
        struct xs_window *w = xs_window_new(&p);
        struct close_ctx ctx = {0};
        xs_window_set_close_hook(w, on_close, &ctx);
        for (int64_t t = 0; t < 10000; t += 250) {
                xs_window_advance(w, t);
                xs_window_add_pair(w, t, 1, 2, XS_REL_ORDER, 1);
                xs_window_add_occurrence(w, t, 1, XS_REL_ORDER, 1);
                xs_window_maintain(w, 1);
        }
        xs_window_advance(w, 20000);
        assert_int_equal(ctx.panes, 10);
        assert_int_equal(ctx.pairs, 40);
        assert_int_equal(ctx.occ, 40);
        xs_window_drain_all(w);
        int32_t n[XS_REL_COUNT];
        xs_window_pair(w, 1, 2, n);
        assert_int_equal(n[XS_REL_ORDER], 0);
        struct xs_window_stats st;
        xs_window_stats(w, &st);
        assert_int_equal(st.pairs_live, 0);
        assert_int_equal(st.panes_expired, 10);
        xs_window_destroy(w);
}

struct entry_list {
        int n;
        uint32_t a[8], b[8];
        int32_t rel[8][XS_REL_COUNT];
};
static void collect_entry(void *opaque, uint32_t a, uint32_t b, const int32_t n[XS_REL_COUNT])
{
        struct entry_list *l = opaque;
        if (l->n < 8) {
                l->a[l->n] = a;
                l->b[l->n] = b;
                memcpy(l->rel[l->n], n, sizeof(l->rel[0]));
        }
        l->n++;
}
static void collect_pane(void *opaque, const struct xs_window_pane *pane)
{
        xs_window_pane_foreach(pane, collect_entry, opaque);
}

/* A pane keeps one cell per key and relation; its export has one entry per key, in the order
 * the keys first appeared, with every relation's count. */
static void test_window_pane_export_has_one_entry_per_key(void **state)
{
        (void)state;
        struct xs_window_params p = {.pane_ms = 1000,
                                     .window_ms = 3000,
                                     .expiry_batch = 1,
                                     .max_draining = 4,
                                     .max_pairs = 1000};
        struct xs_window *w = xs_window_new(&p);
        struct entry_list l = {0};
        xs_window_set_close_hook(w, collect_pane, &l);
        xs_window_add_pair(w, 0, 3, 4, XS_REL_VIEW, 2);
        xs_window_add_pair(w, 0, 1, 2, XS_REL_ORDER, 1);
        xs_window_add_pair(w, 0, 4, 3, XS_REL_CART, 5);
        xs_window_add_pair(w, 0, 2, 1, XS_REL_ORDER, 1);
        xs_window_add_pair(w, 0, 3, 4, XS_REL_CART, -1);
        xs_window_advance(w, 1000);
        assert_int_equal(l.n, 2);
        assert_int_equal(l.a[0], 3);
        assert_int_equal(l.b[0], 4);
        assert_int_equal(l.rel[0][XS_REL_VIEW], 2);
        assert_int_equal(l.rel[0][XS_REL_CART], 4);
        assert_int_equal(l.rel[0][XS_REL_ORDER], 0);
        assert_int_equal(l.a[1], 1);
        assert_int_equal(l.b[1], 2);
        assert_int_equal(l.rel[1][XS_REL_ORDER], 2);
        /* and what an expiring pane still holds is subtracted per relation */
        xs_window_advance(w, 10000);
        xs_window_maintain(w, 1); /* one cell drained, the rest pending */
        int32_t n[XS_REL_COUNT];
        xs_window_pair(w, 3, 4, n);
        assert_int_equal(n[XS_REL_VIEW], 0);
        assert_int_equal(n[XS_REL_CART], 0);
        xs_window_drain_all(w);
        xs_window_pair(w, 1, 2, n);
        assert_int_equal(n[XS_REL_ORDER], 0);
        xs_window_destroy(w);
}

static void test_window_expiry_is_spread_over_calls(void **state)
{
        (void)state;
        struct xs_window_params p = {.pane_ms = 1000,
                                     .window_ms = 1000,
                                     .expiry_batch = 10,
                                     .max_draining = 4,
                                     .max_pairs = 100000};
        struct xs_window *w = xs_window_new(&p);
        for (uint32_t a = 1; a <= 100; a++)
                xs_window_add_pair(w, 10, a, a + 1000, XS_REL_VIEW, 1);
        xs_window_advance(w, 5000);
        /* nothing subtracted yet, but queries already see the pane gone */
        int32_t n[XS_REL_COUNT];
        xs_window_pair(w, 7, 1007, n);
        assert_int_equal(n[XS_REL_VIEW], 0);
        size_t left = xs_window_maintain(w, 10);
        assert_true(left > 250 && left < 400); /* 100 pairs + 200 rows, 10 done */
        while (xs_window_maintain(w, 10))
                ;
        struct xs_window_stats st;
        xs_window_stats(w, &st);
        assert_int_equal(st.pairs_live, 0);
        xs_window_destroy(w);
}

/* A pane left out of the ring (its slot held by an older live pane) is found again after that
 * older pane expires: one pane per index, so the close hook fires once per pane. The ring is
 * capped at 200000 slots; 1 s panes over a 7-day window span more. */
struct starts {
        int64_t start[16];
        int n;
};

static void on_close_start(void *opaque, const struct xs_window_pane *pane)
{
        struct starts *s = opaque;
        if (s->n < 16)
                s->start[s->n] = xs_window_pane_start(pane);
        s->n++;
}

static void test_window_pane_beyond_the_ring_is_not_duplicated(void **state)
{
        (void)state;
        struct xs_window_params p = {.pane_ms = 1000,
                                     .window_ms = 7 * 86400000LL,
                                     .expiry_batch = 100,
                                     .max_draining = 4,
                                     .max_pairs = 1000};
        struct xs_window *w = xs_window_new(&p);
        struct starts s = {0};
        xs_window_set_close_hook(w, on_close_start, &s);
        int64_t far = 800000 * 1000LL; /* index 800000: the ring slot of index 0 */
        xs_window_add_pair(w, 500, 1, 2, XS_REL_ORDER, 1);
        xs_window_add_pair(w, far + 500, 1, 2, XS_REL_ORDER, 1);
        xs_window_advance(w, p.window_ms + 2000); /* pane 0 closes and expires */
        xs_window_drain_all(w);
        xs_window_add_pair(w, far + 600, 1, 3, XS_REL_ORDER, 1);
        xs_window_advance(w, far + 5000);
        assert_int_equal(s.n, 2);
        assert_true(s.start[0] == 0);
        assert_true(s.start[1] == far);
        int32_t n[XS_REL_COUNT];
        xs_window_pair(w, 1, 2, n);
        assert_int_equal(n[XS_REL_ORDER], 1);
        xs_window_pair(w, 1, 3, n);
        assert_int_equal(n[XS_REL_ORDER], 1);
        xs_window_destroy(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_window_counts_equal_bruteforce_recount),
            cmocka_unit_test(test_window_pair_cap_drops_new_pairs_and_counts),
            cmocka_unit_test(test_window_churning_pairs_keep_memory_bounded),
            cmocka_unit_test(test_window_closed_pane_deltas_are_exported_once),
            cmocka_unit_test(test_window_pane_export_has_one_entry_per_key),
            cmocka_unit_test(test_window_expiry_is_spread_over_calls),
            cmocka_unit_test(test_window_pane_beyond_the_ring_is_not_duplicated),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
