/*
 * Ranking scores (PRODUCT.md §5): cooc.score=count ranks by the raw weighted pair count, the
 * no-significance baseline of `xsell evaluate`, and so recommends a best seller that the signed
 * LLR ranks below a true complement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine_fixture.h"

/* p100 + chg1 in 8 orders (chg1 is bought with nothing else); p100 + cable in 10 orders, but
 * cable is also in 40 kitchen orders: raw count says cable, significance says chg1. Every order
 * is a new customer, so only the same-order relation counts. The kitchen orders come first: an
 * anchor's complement list is refreshed when the anchor's own counts move (policy.c), not when
 * a candidate becomes a best seller elsewhere. */
static void train_best_seller(struct xs_engine *eng)
{
        char cust[32], order[32];
        int64_t t = T0 - 2 * DAY;
        for (int i = 0; i < 58; i++) {
                snprintf(cust, sizeof(cust), "t%d", i);
                snprintf(order, sizeof(order), "o%d", i);
                if (i < 40)
                        fx_send(eng, XS_EV_PURCHASE, cust, t, order, i % 2 ? "mug" : "pan", "cable",
                                NULL);
                else if (i % 9 < 4) /* 8 of the last 18 */
                        fx_send(eng, XS_EV_PURCHASE, cust, t, order, "p100", "chg1", NULL);
                else
                        fx_send(eng, XS_EV_PURCHASE, cust, t, order, "p100", "cable", NULL);
                t += MIN_MS;
        }
        memset(&cap, 0, sizeof(cap));
}

static const struct cap_offer *post_purchase_cross_sell(struct xs_engine *eng)
{
        fx_send(eng, XS_EV_PURCHASE, "buyer", T0, "ob", "p100", NULL);
        for (size_t i = 0; i < cap.n_offers; i++)
                if (cap.offers[i].type == XS_OFFER_CROSS_SELL &&
                    !strcmp(cap.offers[i].rule, "post_purchase_email_cross_sell"))
                        return &cap.offers[i];
        return NULL;
}

static void test_count_ranks_by_raw_pair_count(void **state)
{
        (void)state;
        const char *count[] = {"cooc.score=count", "window.size=30d", "window.pane=1h", NULL};
        struct xs_engine *eng = fx_engine(count);
        train_best_seller(eng);
        struct xs_related rel[8];
        size_t n = xs_engine_related(eng, "p100", XS_SCORE_COMPLEMENT, rel, 8);
        assert_int_equal(n, 2);
        assert_string_equal(rel[0].product_id, "cable");
        assert_string_equal(rel[1].product_id, "chg1");
        /* the score is k11: weight.purchase (5) x same-order pairs */
        assert_int_equal(rel[0].evidence.k11, 50);
        assert_true(rel[0].score == 50.0);
        assert_true(rel[1].score == 40.0);
        assert_true(rel[0].evidence.llr < rel[1].evidence.llr); /* evidence still carries llr */

        const struct cap_offer *o = post_purchase_cross_sell(eng);
        assert_non_null(o);
        assert_string_equal(o->items[0], "cable");
        assert_string_equal(o->score_kind, "count");
        assert_true(o->score[0] == (double)o->ev[0].k11);
        xs_engine_destroy(eng);
}

static void test_llr_ranks_the_complement_above_the_best_seller(void **state)
{
        (void)state;
        const char *llr[] = {"window.size=30d", "window.pane=1h", NULL};
        struct xs_engine *eng = fx_engine(llr);
        train_best_seller(eng);
        struct xs_related rel[8];
        size_t n = xs_engine_related(eng, "p100", XS_SCORE_COMPLEMENT, rel, 8);
        assert_true(n >= 1);
        assert_string_equal(rel[0].product_id, "chg1");
        const struct cap_offer *o = post_purchase_cross_sell(eng);
        assert_non_null(o);
        assert_string_equal(o->items[0], "chg1");
        assert_string_equal(o->score_kind, "llr");
        xs_engine_destroy(eng);
}

/* cooc.rank=support: the significance test still decides what may be offered (the best seller
 * that goes with everything is not), and what passes ranks by its weighted pair count */
static void test_rank_support_ranks_significant_pairs_by_count(void **state)
{
        (void)state;
        const char *support[] = {"cooc.rank=support", "window.size=30d", "window.pane=1h", NULL};
        struct xs_engine *eng = fx_engine(support);
        train_best_seller(eng);
        const struct cap_offer *o = post_purchase_cross_sell(eng);
        assert_non_null(o);
        assert_string_equal(o->items[0], "chg1");
        for (size_t i = 0; i < o->n; i++) {
                assert_string_not_equal(o->items[i], "cable");
                assert_true(o->score[i] == (double)o->ev[i].k11);
                assert_true(o->ev[i].llr >= 3.84);
                if (i > 0)
                        assert_true(o->score[i] <= o->score[i - 1]);
        }
        assert_string_equal(o->score_kind, "llr+support");
        xs_engine_destroy(eng);
}

/* min_score compares against the count: above every pair count, nothing is offered */
static void test_count_min_score_is_a_count(void **state)
{
        (void)state;
        const char *count[] = {"cooc.score=count", "cooc.min_score=45", "window.size=30d",
                               "window.pane=1h", NULL};
        struct xs_engine *eng = fx_engine(count);
        train_best_seller(eng);
        const struct cap_offer *o = post_purchase_cross_sell(eng);
        assert_non_null(o);
        assert_int_equal(o->n, 1); /* cable (50) passes, chg1 (40) does not */
        assert_string_equal(o->items[0], "cable");
        xs_engine_destroy(eng);

        const char *high[] = {"cooc.score=count", "cooc.min_score=51", "window.size=30d",
                              "window.pane=1h", NULL};
        eng = fx_engine(high);
        train_best_seller(eng);
        assert_null(post_purchase_cross_sell(eng));
        xs_engine_destroy(eng);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_count_ranks_by_raw_pair_count),
            cmocka_unit_test(test_llr_ranks_the_complement_above_the_best_seller),
            cmocka_unit_test(test_rank_support_ranks_significant_pairs_by_count),
            cmocka_unit_test(test_count_min_score_is_a_count),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
