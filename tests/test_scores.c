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
        /* the score is k11: weight.purchase (5) x (orders + customer episodes holding both) */
        assert_int_equal(rel[0].evidence.k11, 100);
        assert_true(rel[0].score == 100.0);
        assert_true(rel[1].score == 80.0);
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
        const char *llr[] = {"cooc.rank=score", "window.size=30d", "window.pane=1h", NULL};
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
        const char *count[] = {"cooc.score=count", "cooc.min_score=90", "window.size=30d",
                               "window.pane=1h", NULL};
        struct xs_engine *eng = fx_engine(count);
        train_best_seller(eng);
        const struct cap_offer *o = post_purchase_cross_sell(eng);
        assert_non_null(o);
        assert_int_equal(o->n, 1); /* cable (100) passes, chg1 (80) does not */
        assert_string_equal(o->items[0], "cable");
        xs_engine_destroy(eng);

        const char *high[] = {"cooc.score=count", "cooc.min_score=101", "window.size=30d",
                              "window.pane=1h", NULL};
        eng = fx_engine(high);
        train_best_seller(eng);
        assert_null(post_purchase_cross_sell(eng));
        xs_engine_destroy(eng);
}

/* Item 1: the complement table counts transactions, not pair mass. 40 orders of 40 customers:
 * phone_a with case_1 in 10, 30 single-item orders of other products. The order view says lift
 * 4 and llr 44.99; the complement view (order + customer tables, weight.purchase each) must say
 * the same, and a buyer of phone_a gets case_1 offered (phone_a and case_1 are the fixture's
 * catalog products p100 and case1: with a catalog only catalog products are offered). On pair mass
 * it said lift 1, llr 0 (the single-item orders never entered the table) and offered nothing. */
static void test_item1_complement_table_counts_orders(void **state)
{
        (void)state;
        const char *s[] = {"window.size=30d", "window.pane=1h", NULL};
        struct xs_engine *eng = fx_engine(s);
        char cust[32], order[32], other[32];
        int64_t t = T0 - DAY;
        for (int i = 0; i < 40; i++) {
                snprintf(cust, sizeof(cust), "c%d", i);
                snprintf(order, sizeof(order), "o%d", i);
                snprintf(other, sizeof(other), "other%d", i);
                if (i % 4 == 0)
                        fx_send(eng, XS_EV_PURCHASE, cust, t, order, "p100", "case1", NULL);
                else
                        fx_send(eng, XS_EV_PURCHASE, cust, t, order, other, NULL);
                t += MIN_MS;
        }
        struct xs_related ord[4], comp[4];
        assert_int_equal(xs_engine_related(eng, "p100", XS_SCORE_ORDER, ord, 4), 1);
        assert_int_equal(xs_engine_related(eng, "p100", XS_SCORE_COMPLEMENT, comp, 4), 1);
        const struct xs_evidence *o = &ord[0].evidence, *c = &comp[0].evidence;
        assert_int_equal(o->k11, 10);
        assert_int_equal(o->k12, 0);
        assert_int_equal(o->k21, 0);
        assert_int_equal(o->k22, 30);
        assert_true(o->lift > 3.999 && o->lift < 4.001);
        assert_true(o->llr > 44.98 && o->llr < 44.99);
        /* 5 x (order table + customer table): the same proportions, the same llr */
        assert_int_equal(c->k11, 100);
        assert_int_equal(c->k12, 0);
        assert_int_equal(c->k21, 0);
        assert_int_equal(c->k22, 300);
        assert_true(c->lift > 3.999 && c->lift < 4.001);
        assert_true(c->llr > 44.98 && c->llr < 44.99);
        assert_int_equal(c->rel[XS_REL_ORDER], 10);
        assert_int_equal(c->rel[XS_REL_CUSTOMER], 10);
        memset(&cap, 0, sizeof(cap));
        fx_send(eng, XS_EV_PURCHASE, "buyer", T0, "ob", "p100", NULL);
        int offered = 0;
        for (size_t i = 0; i < cap.n_offers; i++)
                if (cap.offers[i].type == XS_OFFER_CROSS_SELL && cap.offers[i].n &&
                    !strcmp(cap.offers[i].items[0], "case1"))
                        offered = 1;
        assert_true(offered);
        xs_engine_destroy(eng);
}

/* Item 1: the customer relation's transaction is a customer episode, a customer's purchases
 * over cooc.customer_horizon (7d) from the first: a product enters an episode once, a pair
 * once. c1 buys a (day 0), b (day 2), a again (day 3): one episode {a, b}; then a and c in one
 * order on day 10: a second episode {a, c}. Order table: 4 orders, a in 3, b in 1. Customer
 * table: 2 episodes, a in 2, b in 1, {a, b} in 1. */
static void test_item1_complement_customer_table_counts_episodes(void **state)
{
        (void)state;
        const char *s[] = {"window.size=30d", "window.pane=1h", NULL};
        struct xs_engine *eng = fx_engine(s);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "a", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 2 * DAY, "o2", "b", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 3 * DAY, "o3", "a", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 10 * DAY, "o4", "a", "c", NULL);
        struct xs_related rel[4];
        size_t n = xs_engine_related(eng, "a", XS_SCORE_COMPLEMENT, rel, 4);
        assert_int_equal(n, 2);
        const struct xs_evidence *ev = NULL;
        for (size_t i = 0; i < n; i++)
                if (!strcmp(rel[i].product_id, "b"))
                        ev = &rel[i].evidence;
        assert_non_null(ev);
        assert_int_equal(ev->rel[XS_REL_ORDER], 0);
        assert_int_equal(ev->rel[XS_REL_CUSTOMER], 1);
        /* k11 = 5 (0 + 1), row a = 5 (3 + 2), row b = 5 (1 + 1), N = 5 (4 + 2) */
        assert_int_equal(ev->k11, 5);
        assert_int_equal(ev->k12, 20);
        assert_int_equal(ev->k21, 5);
        assert_int_equal(ev->k22, 0);
        xs_engine_destroy(eng);
}

/* Item 7: view-then-buy pairs a purchase with the views of the cooc.view_span (30m) before
 * it, not of cooc.customer_horizon (7d): a view three days before a purchase is no view-buy. */
static void test_item7_view_buy_uses_view_span(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        fx_send(eng, XS_EV_PRODUCT_VIEW, "c1", T0, NULL, "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 3 * DAY, "o1", "pan", NULL);
        struct xs_related rel[4];
        assert_int_equal(xs_engine_related(eng, "mug", XS_SCORE_COMPLEMENT, rel, 4), 0);
        fx_send(eng, XS_EV_PRODUCT_VIEW, "c2", T0 + 3 * DAY, NULL, "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c2", T0 + 3 * DAY + 10 * MIN_MS, "o2", "pan", NULL);
        assert_int_equal(xs_engine_related(eng, "mug", XS_SCORE_COMPLEMENT, rel, 4), 1);
        assert_string_equal(rel[0].product_id, "pan");
        assert_int_equal(rel[0].evidence.rel[XS_REL_VIEW_BUY], 1);
        /* its table: one view-buy transaction (c2's purchase) holding both (weight.view 1);
         * pan is in 2 orders and 2 customer episodes without mug (weight.purchase 5) */
        assert_int_equal(rel[0].evidence.k11, 1);
        assert_int_equal(rel[0].evidence.k12, 0);
        assert_int_equal(rel[0].evidence.k21, 20);
        assert_int_equal(rel[0].evidence.k22, 0);
        xs_engine_destroy(eng);
}

/* Item 9: no hidden cap on the items of an order: with cooc.max_basket_items above it, the
 * 300th item of an order pairs with the first (XS_ORDER_MAX cut at 256 before) */
static void test_item9_order_items_past_256_are_paired(void **state)
{
        (void)state;
        const char *s[] = {"cooc.max_basket_items=1000", NULL};
        struct xs_engine *eng = fx_engine(s);
        static struct xs_line_item items[300];
        static char names[300][16];
        for (int i = 0; i < 300; i++) {
                snprintf(names[i], sizeof(names[i]), "big%03d", i);
                items[i] =
                    (struct xs_line_item){.product_id = names[i], .quantity = 1, .unit_price = 100};
        }
        struct xs_event ev = {.event_id = "big",
                              .customer_id = "c1",
                              .session_id = "s",
                              .event_time = T0,
                              .type = XS_EV_PURCHASE,
                              .items = items,
                              .n_items = 300,
                              .currency = "EUR",
                              .order_id = "ob"};
        char err[256];
        assert_int_equal(xs_engine_process(eng, &ev, err, sizeof(err)), XS_OK);
        struct xs_related rel[400];
        assert_int_equal(xs_engine_related(eng, "big299", XS_SCORE_ORDER, rel, 400), 299);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_int_equal(st.basket_items_truncated, 0);
        xs_engine_destroy(eng);
        /* the configured cap still bites, and is counted */
        const char *small[] = {"cooc.max_basket_items=100", NULL};
        eng = fx_engine(small);
        ev.event_id = "big2";
        assert_int_equal(xs_engine_process(eng, &ev, err, sizeof(err)), XS_OK);
        xs_engine_stats(eng, &st);
        assert_int_equal(st.basket_items_truncated, 200);
        assert_int_equal(xs_engine_related(eng, "big299", XS_SCORE_ORDER, rel, 400), 0);
        xs_engine_destroy(eng);
}

/* Item 3: the default ranking (cooc.rank=basket) admits a product that is a significant
 * complement of at least one item of the basket and sums, over every item of the basket it is
 * positively associated with, the weighted pair count k11. 48 orders of 48 customers:
 * p100 + chg1 in 6, p100 + case1 in 4, pan + case1 in 4, mug + case1 in 4, p250 + case2 in 30.
 * A buyer of {p100, pan, mug}: chg1 is p100's best complement by count (k11 60) and by llr
 * (22.7), but case1 goes with all three items: 40 (pan) + 40 (mug) + 40 (p100). Its pair with
 * p100 (k11 40, llr 1.4) is not significant alone but positive: it counts in the sum (the first
 * version summed significant pairs only: 80), it does not admit case1 on its own. */
static void train_basket(struct xs_engine *eng)
{
        char cust[32], order[32];
        int64_t t = T0 - 2 * DAY;
        for (int i = 0; i < 48; i++) {
                snprintf(cust, sizeof(cust), "t%d", i);
                snprintf(order, sizeof(order), "o%d", i);
                const char *a = i < 10 ? "p100" : i < 14 ? "pan" : i < 18 ? "mug" : "p250";
                const char *b = i < 6 ? "chg1" : i < 18 ? "case1" : "case2";
                fx_send(eng, XS_EV_PURCHASE, cust, t, order, a, b, NULL);
                t += MIN_MS;
        }
        memset(&cap, 0, sizeof(cap));
}

static const struct cap_offer *basket_cross_sell(struct xs_engine *eng)
{
        fx_send(eng, XS_EV_PURCHASE, "buyer", T0, "ob", "p100", "pan", "mug", NULL);
        for (size_t i = 0; i < cap.n_offers; i++)
                if (cap.offers[i].type == XS_OFFER_CROSS_SELL &&
                    !strcmp(cap.offers[i].rule, "post_purchase_email_cross_sell"))
                        return &cap.offers[i];
        return NULL;
}

static void test_item3_rank_sums_counts_over_basket(void **state)
{
        (void)state;
        const char *defaults[] = {"window.size=30d", "window.pane=1h", NULL};
        struct xs_engine *eng = fx_engine(defaults);
        train_basket(eng);
        const struct cap_offer *o = basket_cross_sell(eng);
        assert_non_null(o);
        assert_string_equal(o->score_kind, "llr+basket");
        assert_int_equal(o->n, 2);
        assert_string_equal(o->items[0], "case1");
        assert_true(o->score[0] == 120.0);
        /* the evidence is the table of the largest significant part (pan's, the first of two
         * equal; not p100's, which is as large but not significant) */
        assert_int_equal(o->ev[0].k11, 40);
        assert_true(o->ev[0].llr >= 3.84);
        assert_string_equal(o->items[1], "chg1");
        assert_true(o->score[1] == 60.0);
        assert_int_equal(o->ev[1].k11, 60);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_int_equal(st.anchors_truncated, 0);
        /* a buyer of p100 alone: case1 is positive with it, not significant, so not offered */
        fx_send(eng, XS_EV_PURCHASE, "buyer2", T0 + HOUR, "ob2", "p100", NULL);
        o = NULL;
        for (size_t i = 0; i < cap.n_offers; i++)
                if (cap.offers[i].type == XS_OFFER_CROSS_SELL &&
                    !strcmp(cap.offers[i].customer, "buyer2"))
                        o = &cap.offers[i];
        assert_non_null(o);
        assert_int_equal(o->n, 1);
        assert_string_equal(o->items[0], "chg1");
        xs_engine_destroy(eng);

        /* the best pair alone (cooc.rank=support, the previous ranking) puts chg1 first */
        const char *support[] = {"cooc.rank=support", "window.size=30d", "window.pane=1h", NULL};
        eng = fx_engine(support);
        train_basket(eng);
        o = basket_cross_sell(eng);
        assert_non_null(o);
        assert_string_equal(o->items[0], "chg1");
        assert_string_equal(o->items[1], "case1");
        assert_true(o->score[1] == 40.0);
        xs_engine_destroy(eng);

        /* offer.max_anchors bounds the work: the two priciest (p100, pan) are summed, mug is
         * left out and counted */
        const char *two[] = {"offer.max_anchors=2", "window.size=30d", "window.pane=1h", NULL};
        eng = fx_engine(two);
        train_basket(eng);
        o = basket_cross_sell(eng);
        assert_non_null(o);
        assert_string_equal(o->items[0], "case1");
        assert_true(o->score[0] == 80.0);
        assert_string_equal(o->items[1], "chg1");
        xs_engine_stats(eng, &st);
        assert_int_equal(st.anchors_truncated, 1);
        xs_engine_destroy(eng);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_count_ranks_by_raw_pair_count),
            cmocka_unit_test(test_llr_ranks_the_complement_above_the_best_seller),
            cmocka_unit_test(test_rank_support_ranks_significant_pairs_by_count),
            cmocka_unit_test(test_count_min_score_is_a_count),
            cmocka_unit_test(test_item1_complement_table_counts_orders),
            cmocka_unit_test(test_item1_complement_customer_table_counts_episodes),
            cmocka_unit_test(test_item7_view_buy_uses_view_span),
            cmocka_unit_test(test_item9_order_items_past_256_are_paired),
            cmocka_unit_test(test_item3_rank_sums_counts_over_basket),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
