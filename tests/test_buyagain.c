/*
 * Issue 9 item 11, buy again on time (PRODUCT.md §2 REORDER DUE): re-purchase intervals learned
 * from repeat buyers, the REORDER timer, the BUY_AGAIN e-mail and its evidence, the bought
 * guard, and the state that keeps a re-order from being offered twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/reorder.h"
#include "engine_fixture.h"
#include "util/intern.h"

/* n repeat buyers "r<i>" of product buy it at base and again gap later */
static void repeat_buyers(struct xs_engine *eng, const char *product, int n, int64_t base,
                          int64_t gap)
{
        char cust[32], order[32];
        for (int i = 0; i < n; i++) {
                snprintf(cust, sizeof(cust), "r%s%d", product, i);
                snprintf(order, sizeof(order), "o%s%d", product, i);
                fx_send(eng, XS_EV_PURCHASE, cust, base + i * MIN_MS, order, product, NULL);
        }
        for (int i = 0; i < n; i++) {
                snprintf(cust, sizeof(cust), "r%s%d", product, i);
                snprintf(order, sizeof(order), "p%s%d", product, i);
                fx_send(eng, XS_EV_PURCHASE, cust, base + gap + i * MIN_MS, order, product, NULL);
        }
}

/* the bought set keeps purchase minutes, rounded up */
static int64_t minute_up(int64_t t)
{
        return (t + MIN_MS - 1) / MIN_MS * MIN_MS;
}

static int64_t interval_of(struct xs_engine *eng, const char *product, int32_t *buyers)
{
        return xs_reorder_interval(eng, xs_intern_find(eng->products, product), buyers);
}

static size_t buy_again_offers(const char *customer, const struct cap_offer **last)
{
        size_t n = 0;
        for (size_t i = 0; i < cap.n_offers; i++)
                if (cap.offers[i].type == XS_OFFER_BUY_AGAIN &&
                    !strcmp(cap.offers[i].customer, customer)) {
                        n++;
                        if (last)
                                *last = &cap.offers[i];
                }
        return n;
}

/* five repeat buyers re-buy the mug after 40 days: a customer who bought it on day 50 gets one
 * BUY_AGAIN e-mail at day 90 (not before), with the interval and the last purchase as its
 * evidence, and no second one */
static void test_item11_buy_again_email_at_learned_interval(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        repeat_buyers(eng, "mug", 5, T0, 40 * DAY);
        int32_t buyers = 0;
        assert_true(interval_of(eng, "mug", &buyers) == 40 * DAY);
        assert_int_equal(buyers, 5);
        int64_t last = T0 + 50 * DAY;
        fx_send(eng, XS_EV_PURCHASE, "c1", last, "oc1", "mug", NULL);
        memset(&cap, 0, sizeof(cap));
        xs_engine_advance(eng, last + 40 * DAY - HOUR);
        assert_int_equal(buy_again_offers("c1", NULL), 0); /* not due yet */
        xs_engine_advance(eng, last + 40 * DAY + HOUR);
        const struct cap_offer *o = NULL;
        assert_int_equal(buy_again_offers("c1", &o), 1);
        assert_int_equal(o->stage, XS_STAGE_REORDER_DUE);
        assert_int_equal(o->channel, XS_CHANNEL_EMAIL);
        assert_string_equal(o->rule, "reorder_due_buy_again");
        assert_string_equal(o->score_kind, "reorder");
        assert_true(o->created_at == minute_up(last) + 40 * DAY);
        assert_int_equal(o->n, 1);
        assert_string_equal(o->items[0], "mug");
        assert_true(o->ev[0].reorder_interval_ms == 40 * DAY);
        assert_true(o->ev[0].last_purchase_at == minute_up(last));
        assert_int_equal(o->ev[0].repeat_buyers, 5);
        /* the journey stage of the moment, with its signal */
        int signalled = 0;
        for (size_t i = 0; i < cap.n_signals; i++)
                signalled |= !strcmp(cap.signals[i].customer, "c1") &&
                             cap.signals[i].to == XS_STAGE_REORDER_DUE;
        assert_true(signalled);
        xs_engine_advance(eng, last + 200 * DAY);
        assert_int_equal(buy_again_offers("c1", NULL), 1); /* one e-mail per re-order */
        xs_engine_destroy(eng);
}

/* the post-purchase e-mail carries the re-orders due: c2 buys something else two days before
 * the mug is due; the mug comes as a BUY_AGAIN offer of that purchase, not again on day 90 */
static void test_item11_post_purchase_email_carries_due_reorders(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        repeat_buyers(eng, "mug", 5, T0, 40 * DAY);
        int64_t last = T0 + 50 * DAY;
        fx_send(eng, XS_EV_PURCHASE, "c2", last, "oc2a", "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c2", last + 38 * DAY, "oc2b", "pan", NULL);
        const struct cap_offer *o = NULL;
        assert_int_equal(buy_again_offers("c2", &o), 1);
        assert_int_equal(o->stage, XS_STAGE_PURCHASED);
        assert_string_equal(o->rule, "post_purchase_email_buy_again");
        assert_string_equal(o->items[0], "mug");
        assert_true(o->created_at == last + 38 * DAY);
        xs_engine_advance(eng, last + 100 * DAY);
        assert_int_equal(buy_again_offers("c2", NULL), 1);
        xs_engine_destroy(eng);
}

/* the bought guard wins: a product re-bought within guard.bought_horizon is never offered, an
 * interval within the horizon is never offered (and counted), and a re-purchase moves the
 * re-order time */
static void test_item11_buy_again_never_within_bought_horizon(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        repeat_buyers(eng, "cable", 5, T0, 10 * DAY); /* fast-moving: 10 days < 30 */
        repeat_buyers(eng, "mug", 5, T0 + 11 * DAY, 40 * DAY);
        assert_true(interval_of(eng, "cable", NULL) == 10 * DAY);
        int64_t base = T0 + 60 * DAY;
        fx_send(eng, XS_EV_PURCHASE, "c1", base, "oc1", "cable", "mug", NULL);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_true(st.reorder_within_horizon >= 1); /* c1's cable */
        /* the mug again on day 85: due moves from day 90 to day 122.5 (its own pace, below) */
        fx_send(eng, XS_EV_PURCHASE, "c1", base + 35 * DAY, "oc2", "mug", NULL);
        memset(&cap, 0, sizeof(cap));
        xs_engine_advance(eng, base + 70 * DAY);
        assert_int_equal(buy_again_offers("c1", NULL), 0);
        /* (a timer fires at the watermark: the intervals are those of the window then) */
        xs_engine_advance(eng, base + 76 * DAY);
        xs_engine_advance(eng, base + 200 * DAY);
        const struct cap_offer *o = NULL;
        assert_int_equal(buy_again_offers("c1", &o), 1);
        assert_int_equal(o->n, 1);
        assert_string_equal(o->items[0], "mug"); /* never the cable */
        /* two purchases of the mug 35 days apart: its own pace, shrunk toward the product's 40
         * days, (35 + 40) / 2 days after the last */
        assert_true(o->created_at == minute_up(base + 35 * DAY) + (35 * DAY + 40 * DAY) / 2);
        /* every buy-again item of every customer: last purchase beyond the horizon */
        for (size_t i = 0; i < cap.n_offers; i++)
                for (size_t k = 0; cap.offers[i].type == XS_OFFER_BUY_AGAIN && k < cap.offers[i].n;
                     k++)
                        assert_true(cap.offers[i].created_at -
                                        cap.offers[i].ev[k].last_purchase_at >
                                    30 * DAY);
        xs_engine_destroy(eng);

        /* a horizon longer than the interval: never offered */
        const char *long_guard[] = {"guard.bought_horizon=60d", NULL};
        eng = fx_engine(long_guard);
        repeat_buyers(eng, "mug", 5, T0, 40 * DAY);
        fx_send(eng, XS_EV_PURCHASE, "c1", base, "oc1", "mug", NULL);
        xs_engine_advance(eng, base + 300 * DAY);
        assert_int_equal(buy_again_offers("c1", NULL), 0);
        xs_engine_destroy(eng);
}

/* the interval: the median gap, only from reorder.min_buyers distinct buyers, gaps under a day
 * not counted, and forgotten when they leave reorder.window */
static void test_item11_interval_is_median_of_repeat_buyers_in_window(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        repeat_buyers(eng, "mug", 3, T0, 40 * DAY);
        /* one buyer re-buying often counts once: 5 gaps, 4 buyers < reorder.min_buyers */
        fx_send(eng, XS_EV_PURCHASE, "x", T0 + 41 * DAY, "x1", "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "x", T0 + 81 * DAY, "x2", "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "x", T0 + 121 * DAY, "x3", "mug", NULL);
        assert_true(interval_of(eng, "mug", NULL) == 0);
        /* a fifth buyer: gaps 40 x 5 and 60 (the same-day order is no gap): median 40 */
        fx_send(eng, XS_EV_PURCHASE, "y", T0 + 122 * DAY, "y1", "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "y", T0 + 182 * DAY, "y2", "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "y", T0 + 182 * DAY + HOUR, "y3", "mug", NULL);
        int32_t buyers = 0;
        assert_true(interval_of(eng, "mug", &buyers) == 40 * DAY);
        assert_int_equal(buyers, 5);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_true(st.reorder_short_gaps >= 1); /* y's same-day order */
        assert_int_equal(st.reorder_gaps, 6);
        assert_true(st.reorder_bytes > 0);
        /* the window moves on: every gap leaves */
        xs_engine_advance(eng, T0 + 182 * DAY + 181 * DAY);
        assert_true(interval_of(eng, "mug", NULL) == 0);
        xs_engine_destroy(eng);
}

/* reorder.max_gaps bounds memory and counts what it turns away */
static void test_item11_gap_cap_bounds_memory_and_is_counted(void **state)
{
        (void)state;
        const char *capped[] = {"reorder.max_gaps=4", "reorder.min_buyers=1", NULL};
        struct xs_engine *eng = fx_engine(capped);
        repeat_buyers(eng, "mug", 6, T0, 40 * DAY);
        repeat_buyers(eng, "pan", 2, T0 + 50 * DAY, 40 * DAY);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_true(st.reorder_gaps <= 4);
        assert_true(st.reorder_gaps_dropped >= 2); /* the pan had no room */
        assert_true(interval_of(eng, "mug", NULL) == 40 * DAY);
        xs_engine_destroy(eng);
}

/* the customer's re-order state survives export and import: no second e-mail after restore */
static void test_item11_reorder_state_survives_export(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        repeat_buyers(eng, "mug", 5, T0, 40 * DAY);
        int64_t last = T0 + 50 * DAY;
        fx_send(eng, XS_EV_PURCHASE, "c1", last, "oc1", "mug", NULL);
        xs_engine_advance(eng, last + 41 * DAY);
        assert_int_equal(buy_again_offers("c1", NULL), 1);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_OK);
        assert_memory_equal(buf, "XSC\x05", 4);
        struct xs_customer *c = xs_customer_find(eng, "c1");
        int64_t reorder_at = c->reorder_at;
        assert_true(reorder_at > 0);
        char err[256];
        assert_int_equal(xs_engine_customer_import(eng, buf, len, err, sizeof(err)), XS_OK);
        free(buf);
        c = xs_customer_find(eng, "c1");
        assert_true(c->reorder_at == reorder_at);
        xs_engine_advance(eng, last + 100 * DAY);
        assert_int_equal(buy_again_offers("c1", NULL), 1);
        xs_engine_destroy(eng);
}

/* the customer's own repeat evidence (xs_bought.times, span_h): a purchase a day or more after
 * the previous one of the product counts, a second order the same day does not; the span from
 * the first purchase grows either way */
static void test_item11_bought_set_counts_own_repeats(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "case1", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 2 * HOUR, "o2", "case1", NULL);
        struct xs_customer *c = xs_customer_find(eng, "c1");
        long i = xs_customer_bought_index(c, xs_intern_find(eng->products, "case1"));
        assert_true(i >= 0);
        assert_int_equal(c->bought[i].times, 1); /* the same day: one purchase */
        assert_int_equal(c->bought[i].span_h, 2);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 10 * DAY, "o3", "case1", NULL);
        c = xs_customer_find(eng, "c1");
        i = xs_customer_bought_index(c, xs_intern_find(eng->products, "case1"));
        assert_int_equal(c->bought[i].times, 2);
        assert_int_equal(c->bought[i].span_h, 240);
        assert_int_equal(sizeof(struct xs_bought), 12); /* no bytes beyond the padding */
        xs_engine_destroy(eng);
}

/* two products come due at the same time: the one the customer bought three times goes first,
 * before one it bought once that has more repeat buyers in the population */
static void test_item11_own_repeats_rank_first(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        repeat_buyers(eng, "mug", 9, T0, 40 * DAY);
        repeat_buyers(eng, "case1", 5, T0 + 41 * DAY, 40 * DAY);
        int64_t b = T0 + 90 * DAY;
        fx_send(eng, XS_EV_PURCHASE, "c1", b, "oc1", "case1", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", b + 40 * DAY, "oc2", "case1", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", b + 80 * DAY, "oc3", "case1", "mug", NULL);
        int32_t mug_buyers = 0, case_buyers = 0;
        assert_true(interval_of(eng, "mug", &mug_buyers) == 40 * DAY);
        assert_true(interval_of(eng, "case1", &case_buyers) == 40 * DAY);
        assert_true(mug_buyers > case_buyers); /* the population prefers the mug */
        memset(&cap, 0, sizeof(cap));
        xs_engine_advance(eng, b + 120 * DAY + HOUR);
        const struct cap_offer *o = NULL;
        assert_int_equal(buy_again_offers("c1", &o), 1);
        assert_int_equal(o->stage, XS_STAGE_REORDER_DUE);
        assert_int_equal(o->n, 2);
        assert_string_equal(o->items[0], "case1");
        assert_string_equal(o->items[1], "mug");
        /* (span 80 days + the product's 40) / 3 purchases: 40 days */
        assert_true(o->ev[0].reorder_interval_ms == 40 * DAY);
        xs_engine_destroy(eng);
}

/* a customer who re-buys every 60 days a product the population re-buys every 40 gets it at
 * its own pace, shrunk toward the product's: (120 + 40) / 3 days after the last purchase, not
 * 40; with no learned interval for the product, its own mean gap alone */
static void test_item11_own_interval_after_two_purchases(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "oc1", "mug", "pan", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 60 * DAY, "oc2", "mug", "pan", NULL);
        repeat_buyers(eng, "mug", 5, T0 + 61 * DAY, 40 * DAY);
        int64_t last = T0 + 120 * DAY;
        fx_send(eng, XS_EV_PURCHASE, "c1", last, "oc3", "mug", "pan", NULL);
        assert_true(interval_of(eng, "mug", NULL) == 40 * DAY);
        assert_true(interval_of(eng, "pan", NULL) == 0); /* one buyer: no product interval */
        memset(&cap, 0, sizeof(cap));
        xs_engine_advance(eng, last + 40 * DAY + HOUR);
        assert_int_equal(buy_again_offers("c1", NULL), 0); /* the product's pace: not yet */
        int64_t own = (120 * DAY + 40 * DAY) / 3;
        xs_engine_advance(eng, last + own + HOUR);
        const struct cap_offer *o = NULL;
        assert_int_equal(buy_again_offers("c1", &o), 1);
        assert_true(o->created_at == minute_up(last) + own);
        assert_int_equal(o->n, 2);
        assert_string_equal(o->items[0], "mug");
        assert_true(o->ev[0].reorder_interval_ms == own);
        /* the pan, due 60 days after the last purchase, within the e-mail's week: its own mean
         * gap, no repeat buyers behind it but the customer */
        assert_string_equal(o->items[1], "pan");
        assert_true(o->ev[1].reorder_interval_ms == 60 * DAY);
        assert_int_equal(o->ev[1].repeat_buyers, 0);
        xs_engine_advance(eng, last + 100 * DAY);
        assert_int_equal(buy_again_offers("c1", NULL), 1); /* both handled by that e-mail */
        xs_engine_destroy(eng);
}

/* the customer's own repeats survive a state export and import (version 5): the restored
 * customer keeps its purchases and span of each product, so its own interval */
static void test_item11_own_repeats_survive_export(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "mug", "pan", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 60 * DAY, "o2", "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 100 * DAY, "o3", "mug", NULL);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_OK);
        xs_engine_destroy(eng);
        eng = fx_engine(NULL);
        char err[256];
        assert_int_equal(xs_engine_customer_import(eng, buf, len, err, sizeof(err)), XS_OK);
        free(buf);
        struct xs_customer *c = xs_customer_find(eng, "c1");
        long mug = xs_customer_bought_index(c, xs_intern_find(eng->products, "mug"));
        long pan = xs_customer_bought_index(c, xs_intern_find(eng->products, "pan"));
        assert_true(mug >= 0 && pan >= 0);
        assert_int_equal(c->bought[mug].times, 3);
        assert_int_equal(c->bought[mug].span_h, 100 * 24);
        assert_int_equal(c->bought[pan].times, 1);
        assert_int_equal(c->bought[pan].span_h, 0);
        /* no learned interval for the mug in this engine: the customer's own, 50 days */
        memset(&cap, 0, sizeof(cap));
        xs_engine_advance(eng, T0 + 149 * DAY);
        assert_int_equal(buy_again_offers("c1", NULL), 0);
        xs_engine_advance(eng, T0 + 151 * DAY);
        const struct cap_offer *o = NULL;
        assert_int_equal(buy_again_offers("c1", &o), 1);
        assert_string_equal(o->items[0], "mug");
        assert_true(o->ev[0].reorder_interval_ms == 50 * DAY);
        xs_engine_destroy(eng);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_item11_buy_again_email_at_learned_interval),
            cmocka_unit_test(test_item11_post_purchase_email_carries_due_reorders),
            cmocka_unit_test(test_item11_buy_again_never_within_bought_horizon),
            cmocka_unit_test(test_item11_interval_is_median_of_repeat_buyers_in_window),
            cmocka_unit_test(test_item11_gap_cap_bounds_memory_and_is_counted),
            cmocka_unit_test(test_item11_reorder_state_survives_export),
            cmocka_unit_test(test_item11_bought_set_counts_own_repeats),
            cmocka_unit_test(test_item11_own_repeats_rank_first),
            cmocka_unit_test(test_item11_own_interval_after_two_purchases),
            cmocka_unit_test(test_item11_own_repeats_survive_export),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
