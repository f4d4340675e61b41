/*
 * Issue 9 item 10, post-purchase upsell that makes sense (PRODUCT.md §1 UPSELL): after a
 * purchase, add-ons and explicit upgrades of what was bought, and a better grade of the same
 * category only where customers re-buy it (the share of repeat buyers per category, learned from
 * the stream over reorder.window); a durable good gets no pricier copy of itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/catalog.h"
#include "engine/engine_ctx.h"
#include "engine/reorder.h"
#include "engine_fixture.h"
#include "test_rng.h"
#include "util/intern.h"

static void put_product(struct xs_engine *eng, const char *id, const char *category, int64_t price,
                        const char *const *ups, size_t n_ups, const char *addon)
{
        char err[256];
        struct xs_product p = {.product_id = id,
                               .category = category,
                               .brand = "home",
                               .price = price,
                               .currency = "EUR",
                               .in_stock = 1,
                               .upgrades = ups,
                               .n_upgrades = n_ups,
                               .addon = addon};
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_OK);
}

/* n customers "<prefix><i>" buy product at base; with again, each once more gap later (in
 * event-time order) */
static void buyers(struct xs_engine *eng, const char *prefix, const char *product, int n,
                   int64_t base, int64_t gap, int again)
{
        char cust[32], order[48];
        for (int round = 0; round < 1 + again; round++)
                for (int i = 0; i < n; i++) {
                        snprintf(cust, sizeof(cust), "%s%d", prefix, i);
                        snprintf(order, sizeof(order), "%s%d-%d", prefix, i, round);
                        fx_send(eng, XS_EV_PURCHASE, cust, base + round * gap + i * MIN_MS, order,
                                product, NULL);
                }
}

static const struct cap_offer *upsell_of(const char *customer)
{
        for (size_t i = 0; i < cap.n_offers; i++)
                if (cap.offers[i].type == XS_OFFER_UPSELL &&
                    !strcmp(cap.offers[i].customer, customer))
                        return &cap.offers[i];
        return NULL;
}

static int64_t category_buyers(struct xs_engine *eng, const char *category, int64_t t,
                               int64_t *repeat)
{
        uint32_t id = 0;
        /* the category of a product of it: labels are the catalog's */
        static const char *const of[][2] = {
            {"phone", "p100"}, {"kitchen", "mug"}, {"charger", "chg1"}, {"case", "case1"}};
        for (size_t i = 0; i < sizeof(of) / sizeof(of[0]); i++)
                if (!strcmp(of[i][0], category))
                        id = xs_catalog_get(eng->catalog, xs_intern_find(eng->products, of[i][1]))
                                 ->category;
        return xs_reorder_category(eng, id, t, repeat);
}

/* A phone is bought once (30 buyers, no repeat buyer): a customer who buys one gets no pricier
 * phone after the purchase, only the complements by e-mail; the skip is counted. With too few
 * buyers to judge, no ladder either. */
static void test_item10_durable_purchase_gets_no_pricier_copy(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        fx_train(eng); /* 30 customers buy a phone with a case or a charger, once */
        int64_t repeat = -1;
        assert_int_equal(category_buyers(eng, "phone", T0, &repeat), 30);
        assert_int_equal(repeat, 0);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        uint64_t skipped = st.upsell_ladder_skipped_not_rebought; /* the training's */
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "p100", NULL);
        assert_null(upsell_of("c1"));
        assert_int_equal(fx_count(XS_OFFER_CROSS_SELL, "c1"), 1); /* the complements e-mail */
        xs_engine_stats(eng, &st);
        assert_int_equal(st.upsell_ladder_skipped_not_rebought - skipped, 1);
        /* the cart upsell is not concerned: before the decision, a better phone is the offer */
        fx_send(eng, XS_EV_ADD_TO_CART, "c2", T0 + HOUR, NULL, "p100", NULL);
        assert_non_null(upsell_of("c2"));
        xs_engine_destroy(eng);

        /* a new category, too few buyers to know: no ladder (counted apart) */
        eng = fx_engine(NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "p100", NULL);
        assert_null(upsell_of("c1"));
        xs_engine_stats(eng, &st);
        assert_int_equal(st.upsell_ladder_skipped_few_buyers, 1);
        xs_engine_destroy(eng);
}

/* After a purchase: add-ons and explicit upgrades of what was bought whatever the category, a
 * better grade of the ladder only in a category customers re-buy; in an order of a phone and a
 * mug, the mug (re-bought kitchenware) is the anchor of the better grade, not the phone. */
static void test_item10_post_purchase_upsell_only_addons_or_rebought_categories(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        put_product(eng, "mug2", "kitchen", 1800, NULL, 0, NULL); /* 1.5x the mug */
        /* kitchenware is re-bought: 20 customers buy a mug again three weeks later */
        buyers(eng, "k", "mug", 20, T0 - 40 * DAY, 21 * DAY, 1);
        fx_train(eng);
        int64_t repeat = 0;
        assert_int_equal(category_buyers(eng, "kitchen", T0, &repeat), 50); /* + fx_train's 30 */
        assert_int_equal(repeat, 20); /* 0.4 >= upsell.rebuy_min_share */
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "mug", NULL);
        const struct cap_offer *o = upsell_of("c1");
        assert_non_null(o);
        assert_string_equal(o->rule, "post_purchase_upsell");
        assert_string_equal(o->anchor, "mug");
        assert_string_equal(o->items[0], "mug2");
        /* a phone and a mug: the phone's ladder is skipped, the mug's is offered */
        fx_send(eng, XS_EV_PURCHASE, "c2", T0 + MIN_MS, "o2", "p100", "mug", NULL);
        o = upsell_of("c2");
        assert_non_null(o);
        assert_string_equal(o->anchor, "mug");
        assert_string_equal(o->items[0], "mug2");

        /* explicit targets of the phone: an add-on, then an explicit upgrade, never the ladder */
        const char *wty[] = {"wty2y"}, *up[] = {"p180"};
        put_product(eng, "wty2y", "warranty", 1500, NULL, 0, "warranty");
        put_product(eng, "p100", "phone", 10000, wty, 1, NULL);
        fx_send(eng, XS_EV_PURCHASE, "c3", T0 + 2 * MIN_MS, "o3", "p100", NULL);
        o = upsell_of("c3");
        assert_non_null(o);
        assert_string_equal(o->rule, "post_purchase_addon_upsell");
        assert_int_equal(o->n, 1);
        assert_string_equal(o->items[0], "wty2y");
        put_product(eng, "p100", "phone", 10000, up, 1, NULL);
        fx_send(eng, XS_EV_PURCHASE, "c4", T0 + 3 * MIN_MS, "o4", "p100", NULL);
        o = upsell_of("c4");
        assert_non_null(o);
        assert_string_equal(o->rule, "post_purchase_upsell");
        assert_int_equal(o->n, 1); /* p180 only: p150, the ladder's first step, is not offered */
        assert_string_equal(o->items[0], "p180");
        xs_engine_destroy(eng);

        /* upsell.rebuy_min_share: a share under it is a durable good */
        const char *strict[] = {"upsell.rebuy_min_share=0.5", NULL};
        eng = fx_engine(strict);
        put_product(eng, "mug2", "kitchen", 1800, NULL, 0, NULL);
        buyers(eng, "k", "mug", 20, T0 - 40 * DAY, 21 * DAY, 1); /* 20 of 50: 0.4 */
        fx_train(eng);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "mug", NULL);
        assert_null(upsell_of("c1"));
        xs_engine_destroy(eng);
}

/* The counts: a customer counts once however often it buys; a second order the same day is no
 * re-purchase; an earlier purchase beyond reorder.window makes a new buyer, not a repeat one;
 * everything leaves with the window (at its granularity, reorder.window / 64). */
static void test_item10_rebuy_share_counts_each_buyer_once_in_window(void **state)
{
        (void)state;
        const char *w[] = {"reorder.window=64d", NULL}; /* buckets of one day */
        struct xs_engine *eng = fx_engine(w);
        int64_t t = T0 - T0 % DAY; /* on a bucket boundary */
        fx_send(eng, XS_EV_PURCHASE, "a", t, "a1", "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "a", t + HOUR, "a2", "pan", NULL); /* same day */
        int64_t repeat = 0;
        assert_int_equal(category_buyers(eng, "kitchen", t + DAY, &repeat), 1);
        assert_int_equal(repeat, 0);
        fx_send(eng, XS_EV_PURCHASE, "a", t + 10 * DAY, "a3", "mug", NULL);
        fx_send(eng, XS_EV_PURCHASE, "a", t + 20 * DAY, "a4", "pan", NULL);
        fx_send(eng, XS_EV_PURCHASE, "b", t + 20 * DAY, "b1", "pan", NULL);
        assert_int_equal(category_buyers(eng, "kitchen", t + 21 * DAY, &repeat), 2);
        assert_int_equal(repeat, 1); /* a, once */
        /* a's status holds while its latest purchase is in the window; b's first leaves */
        assert_int_equal(category_buyers(eng, "kitchen", t + 83 * DAY, &repeat), 2);
        assert_int_equal(repeat, 1);
        assert_int_equal(category_buyers(eng, "kitchen", t + 84 * DAY, &repeat), 0);
        assert_int_equal(repeat, 0);
        /* b again after more than the window: a new buyer, not a repeat one */
        fx_send(eng, XS_EV_PURCHASE, "b", t + 90 * DAY, "b2", "mug", NULL);
        assert_int_equal(category_buyers(eng, "kitchen", t + 90 * DAY, &repeat), 1);
        assert_int_equal(repeat, 0);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_true(st.reorder_bytes > 0);
        xs_engine_destroy(eng);
}

/* Property: against a brute-force recount from every purchase (each customer's latest purchase
 * per category, in the window at bucket granularity; repeat when the purchase before it was a
 * day to reorder.window earlier, or the same day and itself a repeat), on a random stream. The
 * bought set outlives the window here (guard.bought_horizon 70d), so nothing is pruned early. */
#define P_CUST 40
#define P_BUYS 1500
static void test_item10_rebuy_counts_match_a_brute_force_recount(void **state)
{
        (void)state;
        const char *w[] = {"reorder.window=64d", "guard.bought_horizon=70d", NULL};
        struct xs_engine *eng = fx_engine(w);
        static const char *const products[] = {"mug", "pan", "chg1", "cable", "case1", "case2"};
        static const char *const cats[] = {"kitchen", "kitchen", "charger",
                                           "charger", "case",    "case"};
        static struct {
                int cust, cat;
                int64_t t;
        } buys[P_BUYS];
        int64_t t = T0 - T0 % DAY;
        for (int i = 0; i < P_BUYS; i++) {
                t += (int64_t)(rnd() % (6 * 60)) * MIN_MS; /* 0-6 hours on */
                int cust = (int)(rnd() % P_CUST);
                int prod = (int)(rnd() % 6);
                char c[16], o[16];
                snprintf(c, sizeof(c), "u%d", cust);
                snprintf(o, sizeof(o), "o%d", i);
                fx_send(eng, XS_EV_PURCHASE, c, t, o, products[prod], NULL);
                buys[i].cust = cust;
                buys[i].cat = prod / 2;
                buys[i].t = t;
                if (i % 100 != 99)
                        continue;
                int64_t width = 64 * DAY / 64, now = t / width;
                for (int k = 0; k < 3; k++) {
                        int64_t want = 0, want_repeat = 0;
                        for (int u = 0; u < P_CUST; u++) {
                                /* u's purchases in category k, in order: the status of each */
                                int64_t last = -1;
                                int again = 0;
                                for (int j = 0; j <= i; j++) {
                                        if (buys[j].cust != u || buys[j].cat != k ||
                                            buys[j].t == last)
                                                continue;
                                        int64_t gap = buys[j].t - last;
                                        again = last < 0 || gap > 64 * DAY ? 0
                                                : gap < DAY                ? again
                                                                           : 1;
                                        last = buys[j].t;
                                }
                                if (last >= 0 && last / width > now - 64) {
                                        want++;
                                        want_repeat += again;
                                }
                        }
                        int64_t repeat = 0;
                        assert_int_equal(category_buyers(eng, cats[2 * k], t, &repeat), want);
                        assert_int_equal(repeat, want_repeat);
                }
        }
        xs_engine_destroy(eng);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_item10_durable_purchase_gets_no_pricier_copy),
            cmocka_unit_test(test_item10_post_purchase_upsell_only_addons_or_rebought_categories),
            cmocka_unit_test(test_item10_rebuy_share_counts_each_buyer_once_in_window),
            cmocka_unit_test(test_item10_rebuy_counts_match_a_brute_force_recount),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
