/*
 * Regression tests of the engine, one per bug found in review: each fails on the code before
 * its fix (some only under the sanitizer build, where noted: the bug was undefined behaviour).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/catalog.h"
#include "engine_fixture.h"
#include "util/intern.h"

static xs_err_t send_line(struct xs_engine *eng, enum xs_event_type type, const char *customer,
                          int64_t t, const char *product, int32_t qty, int64_t price)
{
        struct xs_line_item li = {.product_id = product, .quantity = qty, .unit_price = price};
        char eid[32];
        snprintf(eid, sizeof(eid), "l%d", ++event_seq);
        struct xs_event ev = {.event_id = eid,
                              .customer_id = customer,
                              .event_time = t,
                              .type = type,
                              .items = &li,
                              .n_items = product ? 1 : 0,
                              .currency = "EUR",
                              .order_id = eid};
        char err[256];
        return xs_engine_process(eng, &ev, err, sizeof(err));
}

static struct xs_stats stats(struct xs_engine *eng)
{
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        return st;
}

/* FORGET and UNSUBSCRIBE apply however late they arrive (they used to be dropped as late) */
static void test_late_forget_and_unsubscribe_apply(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        fx_train(eng);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0 + HOUR, NULL, "p100", NULL);
        fx_send(eng, XS_EV_SUBSCRIBE, "c2", T0 + HOUR, NULL, NULL);
        assert_int_equal(fx_send(eng, XS_EV_FORGET, "c1", T0, NULL, NULL), XS_OK); /* 1h late */
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_ERR_NOT_FOUND);
        assert_int_equal(stats(eng).customers_forgotten, 1);
        assert_int_equal(fx_send(eng, XS_EV_UNSUBSCRIBE, "c2", T0, NULL, NULL), XS_OK);
        memset(&cap, 0, sizeof(cap));
        fx_send(eng, XS_EV_PURCHASE, "c2", T0 + HOUR + MIN_MS, "o1", "p100", NULL);
        for (size_t i = 0; i < cap.n_offers; i++)
                assert_int_not_equal(cap.offers[i].channel, XS_CHANNEL_EMAIL);
        assert_int_equal(stats(eng).offers_suppressed_channel, 1);
        assert_int_equal(stats(eng).events_late, 0);
        xs_engine_destroy(eng);
}

/* event times after 9999 are a contract violation: deadlines computed from them overflowed
 * (UBSan), and the end-of-input advance may carry any value without overflowing */
static void test_event_time_after_year_9999_is_rejected(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        assert_int_equal(send_line(eng, XS_EV_ADD_TO_CART, "c1", INT64_MAX, "p100", 1, 10000),
                         XS_ERR_INVALID);
        assert_int_equal(send_line(eng, XS_EV_ADD_TO_CART, "c1", XS_MAX_TIME + 1, "p100", 1, 10000),
                         XS_ERR_INVALID);
        assert_int_equal(stats(eng).rejected_missing_field, 2);
        assert_int_equal(send_line(eng, XS_EV_ADD_TO_CART, "c1", XS_MAX_TIME, "p100", 1, 10000),
                         XS_OK);
        assert_int_equal(send_line(eng, XS_EV_PURCHASE, "c1", XS_MAX_TIME, "p100", 1, 10000),
                         XS_OK);
        xs_engine_advance(eng, INT64_MAX);
        xs_engine_advance(eng, INT64_MAX - 1);
        assert_int_equal(stats(eng).events_rejected, 2);
        xs_engine_destroy(eng);
}

/* advancing before any event (or to a meaningless time) is a no-op, not INT64_MIN - lateness */
static void test_advance_before_any_event_is_harmless(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        xs_engine_advance(eng, INT64_MIN);
        xs_engine_advance(eng, -5);
        assert_int_equal(fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0, NULL, "p100", NULL), XS_OK);
        assert_int_equal(stats(eng).events_late, 0);
        assert_int_equal(fx_count(XS_OFFER_UPSELL, "c1"), 1);
        xs_engine_destroy(eng);
}

/* with an external clock not moved yet, duplicates are still suppressed (the dedup horizon
 * computed INT64_MIN - horizon and forgot every id at once) */
static void test_dedup_works_before_the_external_clock_moves(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        xs_engine_set_external_clock(eng, 1);
        struct xs_line_item li = {.product_id = "p100", .quantity = 1, .unit_price = 10000};
        struct xs_event ev = {.event_id = "same",
                              .customer_id = "c1",
                              .event_time = T0,
                              .type = XS_EV_PRODUCT_VIEW,
                              .items = &li,
                              .n_items = 1};
        char err[128];
        assert_int_equal(xs_engine_process(eng, &ev, err, sizeof(err)), XS_OK);
        assert_int_equal(xs_engine_process(eng, &ev, err, sizeof(err)), XS_OK);
        assert_int_equal(stats(eng).events_duplicate, 1);
        xs_engine_destroy(eng);
}

/* quantities saturate at event.max_quantity; money saturates at INT64_MAX (both overflowed) */
static void test_cart_quantity_and_money_saturate(void **state)
{
        (void)state;
        const char *s[] = {"event.max_quantity=1000000000",
                           "event.max_unit_price=4000000000000000000", "caps.per_day=100",
                           "caps.per_type_per_day=100", NULL};
        struct xs_engine *eng = fx_engine(s);
        for (int i = 0; i < 3; i++)
                assert_int_equal(send_line(eng, XS_EV_ADD_TO_CART, "c1", T0 + i * MIN_MS, "p100",
                                           1000000000, 10000),
                                 XS_OK);
        const struct cap_offer *o = fx_last("c1");
        assert_non_null(o);
        assert_true(o->cart_value == 10000LL * 1000000000LL); /* quantity capped at 1e9 */

        char err[256];
        struct xs_product gold = {.product_id = "gold",
                                  .category = "phone",
                                  .price = 4000000000000000000LL,
                                  .currency = "EUR",
                                  .in_stock = 1};
        assert_int_equal(xs_engine_catalog_put(eng, &gold, err, sizeof(err)), XS_OK);
        send_line(eng, XS_EV_ADD_TO_CART, "c2", T0, "gold", 3, 4000000000000000000LL);
        send_line(eng, XS_EV_ADD_TO_CART, "c2", T0 + MIN_MS, "p085", 1, 8500);
        o = fx_last("c2");
        assert_non_null(o);
        assert_string_equal(o->anchor, "p085");
        assert_true(o->cart_value == INT64_MAX);
        send_line(eng, XS_EV_CHECKOUT_START, "c2", T0 + 2 * MIN_MS, NULL, 0, 0);
        send_line(eng, XS_EV_PURCHASE, "c2", T0 + 3 * MIN_MS, "gold", 1000000000,
                  4000000000000000000LL); /* order value */
        xs_engine_destroy(eng);
}

/* a catalog price above event.max_unit_price is invalid (it overflowed the grade prices) */
static void test_catalog_price_above_max_unit_price_is_rejected(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        char err[256];
        struct xs_product p = {.product_id = "dear",
                               .category = "phone",
                               .price = 100000001,
                               .currency = "EUR",
                               .in_stock = 1};
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_ERR_INVALID);
        p.price = INT64_MAX;
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_ERR_INVALID);
        p.price = 100000000;
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_OK);
        assert_int_equal(stats(eng).catalog_rejected, 2);
        xs_engine_destroy(eng);
}

/* explicit targets are on the right side of the price too: a DOWNSELL never offers a dearer
 * product, an UPSELL never a cheaper one */
static void test_explicit_targets_respect_the_price_direction(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        char err[256];
        const char *ups[] = {"p070", "p150"}, *downs[] = {"p250", "p085"};
        struct xs_product p = {.product_id = "p100",
                               .category = "phone",
                               .brand = "acme",
                               .price = 10000,
                               .currency = "EUR",
                               .in_stock = 1,
                               .upgrades = ups,
                               .n_upgrades = 2,
                               .downgrades = downs,
                               .n_downgrades = 2};
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_OK);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0, NULL, "p100", NULL);
        const struct cap_offer *o = fx_last("c1");
        assert_non_null(o);
        assert_int_equal(o->type, XS_OFFER_UPSELL);
        assert_string_equal(o->items[0], "p150");
        assert_false(fx_has_item(o, "p070"));
        xs_engine_advance(eng, T0 + 2 * HOUR); /* abandoned */
        o = fx_last("c1");
        assert_int_equal(o->type, XS_OFFER_DOWNSELL);
        assert_int_equal(o->n, 1);
        assert_string_equal(o->items[0], "p085");
        xs_engine_destroy(eng);
}

/* a late event of an earlier day counts against the current day; it used to reset the day's
 * counters, and then the current day's event reset them again */
static void test_late_event_of_an_earlier_day_does_not_reset_caps(void **state)
{
        (void)state;
        const char *s[] = {"caps.per_day=1", "caps.per_type_per_day=1",
                           "window.allowed_lateness=2d", NULL};
        struct xs_engine *eng = fx_engine(s);
        int64_t day = T0 - (T0 % DAY) + DAY;
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", day + HOUR, NULL, "p085", NULL);
        assert_int_equal(fx_count(XS_OFFER_UPSELL, "c1"), 1);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", day - HOUR, NULL, "p070", NULL); /* yesterday */
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", day + 2 * HOUR, NULL, "p150", NULL);
        assert_int_equal(fx_count(XS_OFFER_UPSELL, "c1"), 1);
        assert_int_equal(stats(eng).offers_suppressed_cap, 2);
        xs_engine_destroy(eng);
}

/* caps above 255 are enforced (the counters were 8 bits and wrapped) */
static void test_caps_above_255_are_enforced(void **state)
{
        (void)state;
        /* offer.ttl=1m and a minute between offers: not suppressed as repeats */
        const char *s[] = {"caps.per_day=300", "caps.per_type_per_day=300", "offer.ttl=1m", NULL};
        struct xs_engine *eng = fx_engine(s);
        int64_t t = T0 - (T0 % DAY) + MIN_MS;
        for (int i = 0; i < 400; i++) {
                fx_send(eng, XS_EV_ADD_TO_CART, "c1", t + 2 * i * 61000, NULL, "p085", NULL);
                fx_send(eng, XS_EV_REMOVE_FROM_CART, "c1", t + (2 * i + 1) * 61000, NULL, "p085",
                        NULL);
        }
        assert_int_equal(fx_count(XS_OFFER_UPSELL, "c1"), 300);
        xs_engine_destroy(eng);
}

/* a purchase made before the offer (arriving late) does not convert it */
static void test_late_purchase_made_before_the_offer_does_not_convert(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(NULL);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0, NULL, "p100", NULL);
        const struct cap_offer *o = fx_last("c1");
        assert_non_null(o);
        assert_true(fx_has_item(o, "p150"));
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 - MIN_MS, "o1", "p150", NULL);
        assert_int_equal(cap.n_outcomes, 0);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + MIN_MS, "o2", "p150", NULL);
        assert_int_equal(cap.n_outcomes, 1);
        xs_engine_destroy(eng);
}

/* offer ids of a customer with a long id differ by trigger and time (a 1024-byte buffer
 * truncated everything after the id) */
static void test_offer_ids_of_long_customer_ids_do_not_collide(void **state)
{
        (void)state;
        static char id[1500];
        memset(id, 'c', sizeof(id) - 1);
        /* ids this long are allowed explicitly (event.max_id_bytes, 256 by default) */
        const char *s[] = {"caps.per_day=10", "caps.per_type_per_day=10", "event.max_id_bytes=2048",
                           NULL};
        struct xs_engine *eng = fx_engine(s);
        fx_send(eng, XS_EV_ADD_TO_CART, id, T0, NULL, "p085", NULL);
        fx_send(eng, XS_EV_ADD_TO_CART, id, T0 + MIN_MS, NULL, "p150", NULL);
        assert_int_equal(cap.n_offers, 2);
        assert_int_equal(strlen(cap.offers[0].offer_id), 32);
        assert_string_not_equal(cap.offers[0].offer_id, cap.offers[1].offer_id);
        xs_engine_destroy(eng);
}

/* timers deferred by timers.max_fire_per_event all fire over later events at the same time */
static void test_deferred_timers_fire_on_later_events_at_the_same_time(void **state)
{
        (void)state;
        const char *s[] = {"timers.max_fire_per_event=1", NULL};
        struct xs_engine *eng = fx_engine(s);
        char cust[16];
        for (int i = 0; i < 6; i++) {
                snprintf(cust, sizeof(cust), "c%d", i);
                fx_send(eng, XS_EV_ADD_TO_CART, cust, T0, NULL, "p100", NULL);
        }
        for (int i = 0; i < 6; i++)
                fx_send(eng, XS_EV_PRODUCT_VIEW, "z", T0 + 2 * HOUR, NULL, "mug", NULL);
        struct xs_stats st = stats(eng);
        assert_int_equal(st.timers_fired, 6);
        assert_true(st.timers_deferred > 0);
        assert_int_equal(st.stage_entries[XS_STAGE_CART_ABANDONED], 6);
        xs_engine_destroy(eng);
}

/* a product dropped by catalog.max_products does not take the event's other items with it */
static void test_product_dropped_by_the_cap_keeps_the_rest_of_the_event(void **state)
{
        (void)state;
        /* the fixture's 14 products; no onboarding, so the cart upsell below is made */
        const char *s[] = {"catalog.max_products=14", "journey.onboarding_period=0", NULL};
        struct xs_engine *eng = fx_engine(s);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "p100", "newthing", "case1", "p100", NULL);
        assert_int_equal(stats(eng).catalog_cap_hits, 1);
        struct xs_related rel[4];
        size_t n = xs_engine_related(eng, "p100", XS_SCORE_ORDER, rel, 4);
        assert_int_equal(n, 1);
        assert_string_equal(rel[0].product_id, "case1");
        assert_int_equal(rel[0].evidence.k11, 1);
        /* and the purchase is history: not offered again within the horizon */
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0 + MIN_MS, NULL, "p085", NULL);
        const struct cap_offer *o = fx_last("c1");
        assert_non_null(o);
        assert_int_equal(o->type, XS_OFFER_UPSELL);
        assert_true(fx_has_item(o, "p150"));
        assert_false(fx_has_item(o, "p100"));
        xs_engine_destroy(eng);
}

/* repeat purchases of one product do not push other products out of the bounded history, so
 * the bought-within-horizon guard still sees them */
static void test_repeat_purchases_do_not_push_out_the_history(void **state)
{
        (void)state;
        const char *s[] = {"cooc.max_history=2", "journey.onboarding_period=0", "caps.per_day=10",
                           "caps.per_type_per_day=10", NULL};
        struct xs_engine *eng = fx_engine(s);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0, "o1", "p100", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + DAY, "o2", "case1", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 2 * DAY, "o3", "case1", NULL);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0 + 3 * DAY, NULL, "p085", NULL);
        const struct cap_offer *o = fx_last("c1");
        assert_non_null(o);
        assert_string_equal(o->rule, "cart_upsell");
        assert_true(fx_has_item(o, "p150"));
        assert_false(fx_has_item(o, "p100")); /* bought 3 days ago */
        xs_engine_destroy(eng);
}

/* learning keeps a product's first category and brand (labels grew on every event whose line
 * item named another one), and labels are capped at 2 * catalog.max_products */
static void test_learned_labels_are_bounded(void **state)
{
        (void)state;
        struct xs_intern *products = xs_intern_new();
        struct xs_catalog *cat = xs_catalog_new(products, 4, 1000000);
        uint32_t id = xs_intern_put(products, "p", 4);
        char label[32];
        size_t bytes = 0;
        for (int i = 0; i < 5000; i++) {
                snprintf(label, sizeof(label), "category-%d", i);
                struct xs_line_item li = {.product_id = "p",
                                          .quantity = 1,
                                          .unit_price = 100 + i,
                                          .category = label,
                                          .brand = label};
                xs_catalog_learn(cat, id, &li, "EUR");
                if (i == 10)
                        bytes = xs_catalog_bytes(cat);
        }
        const struct xs_cat_product *pr = xs_catalog_get(cat, id);
        assert_string_equal(xs_catalog_label(cat, pr->category), "category-0");
        assert_int_equal(pr->price, 100 + 4999); /* the price follows */
        assert_int_equal(xs_catalog_bytes(cat), bytes);
        /* records: 8 labels at most, then no category (counted) */
        char err[128];
        for (int i = 0; i < 10; i++) {
                char pid[8], c[16], b[16];
                snprintf(pid, sizeof(pid), "r%d", i % 2);
                snprintf(c, sizeof(c), "cat%d", i);
                snprintf(b, sizeof(b), "brand%d", i);
                struct xs_product p = {.product_id = pid, .category = c, .brand = b, .price = 1};
                xs_catalog_put(cat, &p, err, sizeof(err));
        }
        assert_true(xs_catalog_label_cap_hits(cat) > 0);
        xs_catalog_destroy(cat);
        xs_intern_destroy(products);
}

/* explicit upgrade targets rank first; a full candidate set (64) must not evict them in
 * favour of better-scored ladder products */
static void test_explicit_targets_survive_a_full_candidate_set(void **state)
{
        (void)state;
        const char *s[] = {"catalog.max_products=1000", NULL};
        struct xs_engine *eng = fx_engine(s);
        char err[256], pid[16], cust[16];
        const char *ups[] = {"tx"};
        struct xs_product p = {.product_id = "ta",
                               .category = "tv",
                               .price = 10000,
                               .currency = "EUR",
                               .in_stock = 1,
                               .upgrades = ups,
                               .n_upgrades = 1};
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_OK);
        p.upgrades = NULL;
        p.n_upgrades = 0;
        p.product_id = "tx";
        p.price = 19900;
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_OK);
        for (int i = 0; i < 80; i++) {
                snprintf(pid, sizeof(pid), "t%02d", i);
                p.product_id = pid;
                p.price = 11000 + 100 * i % 8000;
                assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_OK);
        }
        /* co-views of ta with every ladder product (positive scores), plus unrelated
         * co-views so that the pairs stand out */
        int64_t t = T0 - DAY;
        for (int i = 0; i < 80; i++) {
                snprintf(pid, sizeof(pid), "t%02d", i);
                for (int k = 0; k < 3; k++) {
                        snprintf(cust, sizeof(cust), "v%d_%d", i, k);
                        fx_send(eng, XS_EV_PRODUCT_VIEW, cust, t, NULL, "ta", NULL);
                        fx_send(eng, XS_EV_PRODUCT_VIEW, cust, t + 1000, NULL, pid, NULL);
                        t += 10000;
                }
        }
        for (int i = 0; i < 200; i++) {
                snprintf(cust, sizeof(cust), "n%d", i);
                fx_send(eng, XS_EV_PRODUCT_VIEW, cust, t, NULL, "mug", NULL);
                fx_send(eng, XS_EV_PRODUCT_VIEW, cust, t + 1000, NULL, "pan", NULL);
                t += 10000;
        }
        struct xs_related rel[2];
        assert_int_equal(xs_engine_related(eng, "ta", XS_SCORE_ALTERNATIVE, rel, 1), 1);
        assert_true(rel[0].score > 0);
        memset(&cap, 0, sizeof(cap));
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0, NULL, "ta", NULL);
        const struct cap_offer *o = fx_last("c1");
        assert_non_null(o);
        assert_string_equal(o->items[0], "tx");
        xs_engine_destroy(eng);
}

/* rankings of engines in different threads do not share state (a static engine pointer and a
 * static catalog pointer were set before every qsort) */
struct thread_run {
        uint64_t digest;
        int n;
};

static void digest_offer(void *opaque, const struct xs_offer *o)
{
        struct thread_run *r = opaque;
        for (size_t i = 0; i < o->n_items; i++)
                for (const char *c = o->items[i].product_id; *c; c++)
                        r->digest = (r->digest ^ (unsigned char)*c) * 1099511628211ULL;
        r->n++;
}

static void *thread_main(void *arg)
{
        struct thread_run *r = arg;
        char err[256], pid[16], cust[16];
        struct xs_conf *conf = xs_conf_new();
        xs_conf_set(conf, "control.share", "0", err, sizeof(err));
        xs_conf_set(conf, "caps.per_day", "1000", err, sizeof(err));
        xs_conf_set(conf, "caps.per_type_per_day", "1000", err, sizeof(err));
        struct xs_sink sink = {.offer = digest_offer, .opaque = r};
        struct xs_engine *eng = xs_engine_new(conf, &sink, err, sizeof(err));
        xs_conf_destroy(conf);
        for (int i = 0; i < 60; i++) {
                snprintf(pid, sizeof(pid), "q%02d", i);
                struct xs_product p = {.product_id = pid,
                                       .category = "q",
                                       .price = 10000 + 100 * (i % 7),
                                       .currency = "EUR",
                                       .in_stock = 1};
                xs_engine_catalog_put(eng, &p, err, sizeof(err));
        }
        for (int i = 0; i < 400; i++) {
                struct xs_line_item li = {.product_id = "q00", .quantity = 1, .unit_price = 9000};
                snprintf(cust, sizeof(cust), "c%d", i);
                snprintf(pid, sizeof(pid), "e%d", i);
                struct xs_event ev = {.event_id = pid,
                                      .customer_id = cust,
                                      .event_time = T0 + i,
                                      .type = XS_EV_ADD_TO_CART,
                                      .items = &li,
                                      .n_items = 1};
                xs_engine_process(eng, &ev, err, sizeof(err));
                /* a price change: the ladder is sorted again on the next offer */
                snprintf(pid, sizeof(pid), "q%02d", 1 + i % 59);
                struct xs_product p = {.product_id = pid,
                                       .category = "q",
                                       .price = 10000 + 100 * ((i * 7) % 11),
                                       .currency = "EUR",
                                       .in_stock = 1};
                xs_engine_catalog_put(eng, &p, err, sizeof(err));
        }
        xs_engine_destroy(eng);
        return NULL;
}

static void test_engines_in_threads_rank_independently(void **state)
{
        (void)state;
        struct thread_run alone = {0};
        thread_main(&alone);
        assert_true(alone.n > 0);
        for (int round = 0; round < 5; round++) {
                pthread_t th[4];
                struct thread_run runs[4];
                memset(runs, 0, sizeof(runs));
                for (int i = 0; i < 4; i++)
                        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &runs[i]), 0);
                for (int i = 0; i < 4; i++) {
                        pthread_join(th[i], NULL);
                        assert_int_equal(runs[i].n, alone.n);
                        assert_true(runs[i].digest == alone.digest);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_late_forget_and_unsubscribe_apply),
            cmocka_unit_test(test_event_time_after_year_9999_is_rejected),
            cmocka_unit_test(test_advance_before_any_event_is_harmless),
            cmocka_unit_test(test_dedup_works_before_the_external_clock_moves),
            cmocka_unit_test(test_cart_quantity_and_money_saturate),
            cmocka_unit_test(test_catalog_price_above_max_unit_price_is_rejected),
            cmocka_unit_test(test_explicit_targets_respect_the_price_direction),
            cmocka_unit_test(test_late_event_of_an_earlier_day_does_not_reset_caps),
            cmocka_unit_test(test_caps_above_255_are_enforced),
            cmocka_unit_test(test_late_purchase_made_before_the_offer_does_not_convert),
            cmocka_unit_test(test_offer_ids_of_long_customer_ids_do_not_collide),
            cmocka_unit_test(test_deferred_timers_fire_on_later_events_at_the_same_time),
            cmocka_unit_test(test_product_dropped_by_the_cap_keeps_the_rest_of_the_event),
            cmocka_unit_test(test_repeat_purchases_do_not_push_out_the_history),
            cmocka_unit_test(test_learned_labels_are_bounded),
            cmocka_unit_test(test_explicit_targets_survive_a_full_candidate_set),
            cmocka_unit_test(test_engines_in_threads_rank_independently),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
