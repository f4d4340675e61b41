/*
 * Per-customer state export/import: a customer restored into a fresh engine behaves as if the
 * engine had never stopped (same journey, timers, caps, attribution), and a corrupt record is
 * rejected, never trusted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine_fixture.h"

/* (upsell.rebuy_min_share=0: the post-purchase upsell of a phone, whose category has no
 * repeat buyers here) */
static const char *caps[] = {"caps.per_day=10", "caps.per_type_per_day=10",
                             "upsell.rebuy_min_share=0", NULL};

/* the journey of c1 after T0 + 10 min, run either uninterrupted or on a restored engine */
static void second_half(struct xs_engine *eng)
{
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 10 * MIN_MS, "o1", "p150", NULL);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0 + DAY, NULL, "p100", NULL); /* onboarding */
        xs_engine_advance(eng, T0 + DAY + HOUR);                             /* cart abandoned */
        fx_send(eng, XS_EV_USAGE_MILESTONE, "c1", T0 + 2 * DAY, NULL, NULL);
        xs_engine_advance(eng, T0 + 20 * DAY);
}

static void first_half(struct xs_engine *eng)
{
        fx_send(eng, XS_EV_SUBSCRIBE, "c1", T0 - HOUR, NULL, NULL);
        fx_send(eng, XS_EV_PRODUCT_VIEW, "c1", T0 - 30 * MIN_MS, NULL, "p100", NULL);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0, NULL, "p085", NULL);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0 + MIN_MS, NULL, "case1", NULL);
}

struct summary {
        size_t n;
        char line[64][400];
};

static void summarize(struct summary *s)
{
        s->n = 0;
        for (size_t i = 0; i < cap.n_offers && s->n < 64; i++) {
                const struct cap_offer *o = &cap.offers[i];
                snprintf(s->line[s->n++], sizeof(s->line[0]), "%s %s %s %s %s %lld", o->offer_id,
                         xs_offer_type_name(o->type), xs_stage_name(o->stage), o->rule, o->anchor,
                         (long long)o->created_at);
        }
        for (size_t i = 0; i < cap.n_outcomes && s->n < 64; i++)
                snprintf(s->line[s->n++], sizeof(s->line[0]), "outcome %s %s", cap.outcome_offer[i],
                         cap.outcome_product[i]);
}

/* The journey of c1 run uninterrupted: its offers and outcomes. */
static void straight_run(struct summary *straight)
{
        event_seq = 0;
        struct xs_engine *eng = fx_engine(caps);
        first_half(eng);
        memset(&cap, 0, sizeof(cap));
        second_half(eng);
        summarize(straight);
        xs_engine_destroy(eng);
}

static void assert_same(const struct summary *got, const struct summary *want)
{
        assert_int_equal(got->n, want->n);
        for (size_t i = 0; i < want->n; i++)
                assert_string_equal(got->line[i], want->line[i]);
}

static void test_restored_customer_continues_as_if_never_stopped(void **state)
{
        (void)state;
        struct summary straight, restored;

        straight_run(&straight);
        assert_true(straight.n >= 4); /* upsell + cross-sell at purchase, downsell, value upsell */

        event_seq = 0;
        struct xs_engine *eng = fx_engine(caps);
        first_half(eng);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_OK);
        xs_engine_destroy(eng);

        eng = fx_engine(caps);
        char err[256];
        assert_int_equal(xs_engine_customer_import(eng, buf, len, err, sizeof(err)), XS_OK);
        /* every field came back: the restored customer exports to the same bytes */
        unsigned char *same = NULL;
        size_t same_len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &same, &same_len), XS_OK);
        assert_int_equal(same_len, len);
        assert_memory_equal(same, buf, len);
        free(same);
        /* the restored engine has not seen time pass: move it to where the first one was */
        xs_engine_advance(eng, T0 + MIN_MS);
        memset(&cap, 0, sizeof(cap));
        second_half(eng);
        summarize(&restored);
        assert_same(&restored, &straight);

        /* exporting the restored customer gives the same bytes as exporting it again */
        unsigned char *again = NULL;
        size_t again_len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &again, &again_len), XS_OK);
        struct xs_engine *eng2 = fx_engine(caps);
        assert_int_equal(xs_engine_customer_import(eng2, again, again_len, err, sizeof(err)),
                         XS_OK);
        unsigned char *third = NULL;
        size_t third_len = 0;
        assert_int_equal(xs_engine_customer_export(eng2, "c1", &third, &third_len), XS_OK);
        assert_int_equal(third_len, again_len);
        assert_memory_equal(third, again, again_len);
        free(buf);
        free(again);
        free(third);
        xs_engine_destroy(eng);
        xs_engine_destroy(eng2);
}

static void test_corrupt_state_is_rejected_at_every_truncation_and_flip(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(caps);
        first_half(eng);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 + 2 * MIN_MS, "o1", "p150", NULL);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_OK);
        xs_engine_destroy(eng);
        char err[256];
        for (size_t cut = 0; cut < len; cut++) {
                struct xs_engine *e = fx_engine(caps);
                assert_int_equal(xs_engine_customer_import(e, buf, cut, err, sizeof(err)),
                                 XS_ERR_DECODE);
                struct xs_stats st;
                xs_engine_stats(e, &st);
                assert_int_equal(st.customers_live, 0); /* nothing half-built is left */
                xs_engine_destroy(e);
        }
        /* flipped bytes: accepted or rejected, never a crash (ASan checks the rest) */
        for (size_t i = 0; i < len; i++) {
                struct xs_engine *e = fx_engine(caps);
                buf[i] ^= 0xff;
                xs_err_t rc = xs_engine_customer_import(e, buf, len, err, sizeof(err));
                assert_true(rc == XS_OK || rc == XS_ERR_DECODE);
                buf[i] ^= 0xff;
                xs_engine_destroy(e);
        }
        free(buf);
}

/* a record for customer_id, with hand-made fields: the layout of state.c, version 5 (the bought
 * set's entries with the customer's own repeats: the same bytes here, the set is empty), 4 (counts
 * of offer counters and timers, open offers with channel and expiry, the lead period, the purchase
 * episode, reorder_at), 3 (with the bought guard's set), 2 (without) or 1 (daily offer counters
 * as bytes, not varints) */
static int rec_version = 5;
static const char *rec_hist_product;    /* a purchase in the history, when set */
static const char *rec_pending_product; /* a post-purchase cross-sell open since T0, when set */
static int64_t rec_hist_t;
struct rec {
        unsigned char b[16384];
        size_t n;
};

static void r_bytes(struct rec *r, const void *p, size_t n)
{
        memcpy(r->b + r->n, p, n);
        r->n += n;
}

static void r_varint(struct rec *r, int64_t v)
{
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        do {
                unsigned char b = (unsigned char)(z & 0x7f);
                z >>= 7;
                if (z)
                        b |= 0x80;
                r_bytes(r, &b, 1);
        } while (z);
}

static void r_str(struct rec *r, const char *s)
{
        r_varint(r, s ? (int64_t)strlen(s) : -1);
        if (s)
                r_bytes(r, s, strlen(s));
}

/* A customer with one cart line (product, qty, price), one viewed product at view_t, and
 * the given cart timer; fields after the cart are empty. */
static void make_record(struct rec *r, const char *id, const char *product, int64_t qty,
                        int64_t price, int64_t view_t, int64_t cart_due)
{
        r->n = 0;
        static const char *const magic[] = {"",        "XSC\x01", "XSC\x02",
                                            "XSC\x03", "XSC\x04", "XSC\x05"};
        r_bytes(r, magic[rec_version], 4);
        r_str(r, id);
        unsigned char stage = XS_STAGE_CART, flags = 2;
        r_bytes(r, &stage, 1);
        r_bytes(r, &flags, 1);
        for (int i = 0; i < 7; i++) /* stage_since .. cap_day */
                r_varint(r, i == 1 ? T0 : 0);
        unsigned char zero = 0;
        /* offers_today, then per type: 3 types before version 4, which writes the count */
        int n_types = rec_version >= 4 ? XS_OFFER_COUNT : 3;
        for (int i = 0; i < 1 + n_types; i++) {
                if (rec_version == 1)
                        r_bytes(r, &zero, 1);
                else
                        r_varint(r, 0);
                if (i == 0 && rec_version >= 4)
                        r_varint(r, n_types);
        }
        if (rec_version >= 4)
                r_varint(r, 4); /* timers: cart, onboarding, lead, reorder */
        r_varint(r, cart_due);
        r_varint(r, 0);
        r_varint(r, 0);
        if (rec_version >= 4)
                r_varint(r, 0);
        r_str(r, "ev-cart");
        r_str(r, NULL);
        r_bytes(r, "EUR", 4);
        r_varint(r, 1); /* cart */
        r_str(r, product);
        r_varint(r, qty);
        r_varint(r, price);
        unsigned char zero8[8] = {0};
        r_bytes(r, zero8, 8);   /* open order */
        r_varint(r, 0);         /* order items */
        if (rec_hist_product) { /* history: one purchase */
                r_varint(r, 1);
                r_str(r, rec_hist_product);
                r_varint(r, rec_hist_t);
                r_bytes(r, zero8, 8);
        } else {
                r_varint(r, 0);
        }
        r_varint(r, 1); /* views */
        r_str(r, "mug");
        r_varint(r, view_t);
        if (rec_pending_product) { /* pending: one e-mail cross-sell (v4 says so) */
                r_varint(r, 1);
                r_bytes(r, "0123456789abcdef0123456789abcdef", XS_OFFER_ID_LEN - 1);
                unsigned char b[4] = {XS_OFFER_CROSS_SELL, XS_STAGE_PURCHASED, 0, 1};
                r_bytes(r, b, 4);
                r_varint(r, T0);
                r_varint(r, T0 + 7 * DAY);
                if (rec_version >= 4) {
                        unsigned char ch = XS_CHANNEL_EMAIL;
                        r_bytes(r, &ch, 1);
                        r_varint(r, T0 + 7 * DAY);
                }
                r_str(r, rec_pending_product);
        } else {
                r_varint(r, 0);
        }
        if (rec_version >= 3) {
                r_varint(r, 0); /* bought set */
                r_varint(r, 0); /* bought_floor */
                r_bytes(r, zero8, 8);
        }
        if (rec_version >= 4) {
                r_varint(r, 0); /* lead period's products */
                r_varint(r, 0); /* purchase episode start: none */
                r_varint(r, 0); /* reorder_at */
        }
}

/* a hand-made record is accepted (the layout above is the real one) */
static void test_hand_made_record_is_accepted(void **state)
{
        (void)state;
        struct rec r;
        rec_version = 1; /* version 1 is still read */
        make_record(&r, "c1", "p100", 1, 10000, T0, T0 + HOUR);
        struct xs_engine *eng = fx_engine(caps);
        char err[256];
        assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_OK);
        xs_engine_destroy(eng);
        rec_version = 2; /* and version 2 */
        make_record(&r, "c1", "p100", 1, 10000, T0, T0 + HOUR);
        eng = fx_engine(caps);
        assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_OK);
        xs_engine_destroy(eng);
        rec_version = 3; /* and version 3 */
        make_record(&r, "c1", "p100", 1, 10000, T0, T0 + HOUR);
        eng = fx_engine(caps);
        assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_OK);
        xs_engine_destroy(eng);
        rec_version = 4; /* and version 4 */
        make_record(&r, "c1", "p100", 1, 10000, T0, T0 + HOUR);
        eng = fx_engine(caps);
        assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_OK);
        xs_engine_destroy(eng);
        rec_version = 5;
        make_record(&r, "c1", "p100", 1, 10000, T0, T0 + HOUR);
        eng = fx_engine(caps);
        assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_OK);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_OK);
        assert_int_equal(len, r.n);
        assert_memory_equal(buf, r.b, len);
        free(buf);
        xs_engine_destroy(eng);
}

/* a corrupt record (here: a long id, then garbage) never leaves a half-built customer, and a
 * corrupt record for a tracked customer leaves that customer's valid state alone */
static void corrupt_record_leaves_no_customer_and_keeps_the_old_one(void)
{
        char err[256];
        static char long_id[3000];
        memset(long_id, 'x', sizeof(long_id) - 1);
        struct rec r;
        make_record(&r, long_id, "p100", 1, 10000, T0, T0 + HOUR);
        r.n -= 3; /* truncated */
        /* ids this long are allowed explicitly (event.max_id_bytes, 256 by default) */
        static const char *long_ids[] = {"caps.per_day=10", "caps.per_type_per_day=10",
                                         "upsell.rebuy_min_share=0", "event.max_id_bytes=4096",
                                         NULL};
        struct xs_engine *eng = fx_engine(long_ids);
        assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_ERR_DECODE);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_int_equal(st.customers_live, 0);
        /* and the engine goes on: checkout of that customer finds nothing half-built */
        assert_int_equal(fx_send(eng, XS_EV_CHECKOUT_START, long_id, T0 + MIN_MS, NULL, NULL),
                         XS_OK);

        /* an existing customer with a cart keeps it when a corrupt record for it arrives */
        fx_send(eng, XS_EV_ADD_TO_CART, "c2", T0 + 2 * MIN_MS, NULL, "p100", NULL);
        unsigned char *before = NULL, *after = NULL;
        size_t before_len = 0, after_len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c2", &before, &before_len), XS_OK);
        make_record(&r, "c2", "p150", 1, 15000, T0, T0 + HOUR);
        r.n -= 1;
        assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_ERR_DECODE);
        assert_int_equal(xs_engine_customer_export(eng, "c2", &after, &after_len), XS_OK);
        assert_int_equal(after_len, before_len);
        assert_memory_equal(after, before, before_len);
        free(before);
        free(after);
        xs_engine_destroy(eng);
}

/* numbers outside what an event could have produced are a corrupt record, not trusted */
static void out_of_range_numbers_are_rejected(void)
{
        char err[256];
        struct {
                int64_t qty, price, view_t, due;
        } bad[] = {
            {0, 10000, T0, T0 + HOUR},        /* quantity 0 */
            {-5, 10000, T0, T0 + HOUR},       /* negative quantity */
            {20000, 10000, T0, T0 + HOUR},    /* above event.max_quantity */
            {1, -2, T0, T0 + HOUR},           /* price below -1 */
            {1, 200000000, T0, T0 + HOUR},    /* above event.max_unit_price */
            {1, 10000, INT64_MIN, T0 + HOUR}, /* view time */
            {1, 10000, -1, T0 + HOUR},        /* view time before 1970 */
            {1, 10000, XS_MAX_TIME + 1, T0},  /* view time after 9999 */
            {1, 10000, T0, INT64_MAX},        /* timer */
            {1, 10000, T0, -3},               /* timer */
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct rec r;
                make_record(&r, "c1", "p100", bad[i].qty, bad[i].price, bad[i].view_t, bad[i].due);
                struct xs_engine *eng = fx_engine(caps);
                assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)),
                                 XS_ERR_DECODE);
                /* and nothing of it is live: a view now must not meet a bad time */
                fx_send(eng, XS_EV_PRODUCT_VIEW, "c1", T0, NULL, "pan", NULL);
                xs_engine_destroy(eng);
        }
}

static void test_corrupt_record_leaves_no_customer_and_keeps_the_old_one(void **state)
{
        (void)state;
        for (rec_version = 1; rec_version <= 5; rec_version++)
                corrupt_record_leaves_no_customer_and_keeps_the_old_one();
        rec_version = 5;
}

static void test_out_of_range_numbers_are_rejected(void **state)
{
        (void)state;
        for (rec_version = 1; rec_version <= 5; rec_version++)
                out_of_range_numbers_are_rejected();
        rec_version = 5;
}

/* version 2 keeps daily offer counters above 255 */
static void test_offer_counters_above_255_survive_export(void **state)
{
        (void)state;
        const char *many[] = {"caps.per_day=1000", "caps.per_type_per_day=1000",
                              "journey.cart_abandon_timeout=30d", "offer.ttl=1m", NULL};
        struct xs_engine *eng = fx_engine(many);
        int64_t t = T0 - (T0 % DAY) + MIN_MS;
        for (int i = 0; i < 300; i++) {
                fx_send(eng, XS_EV_ADD_TO_CART, "c1", t + 2 * i * 61000, NULL, "p085", NULL);
                fx_send(eng, XS_EV_REMOVE_FROM_CART, "c1", t + (2 * i + 1) * 61000, NULL, "p085",
                        NULL);
        }
        assert_int_equal(fx_count(XS_OFFER_UPSELL, "c1"), 300);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_OK);
        xs_engine_destroy(eng);
        const char *capped[] = {"caps.per_day=301", "caps.per_type_per_day=301",
                                "journey.cart_abandon_timeout=30d", "offer.ttl=1m", NULL};
        eng = fx_engine(capped);
        char err[256];
        assert_int_equal(xs_engine_customer_import(eng, buf, len, err, sizeof(err)), XS_OK);
        free(buf);
        xs_engine_advance(eng, t + 600 * 61000);
        for (int i = 0; i < 3; i++) {
                fx_send(eng, XS_EV_ADD_TO_CART, "c1", t + (700 + 2 * i) * 61000, NULL, "p085",
                        NULL);
                fx_send(eng, XS_EV_REMOVE_FROM_CART, "c1", t + (701 + 2 * i) * 61000, NULL, "p085",
                        NULL);
        }
        assert_int_equal(fx_count(XS_OFFER_UPSELL, "c1"), 1); /* the 301st, then capped */
        xs_engine_destroy(eng);
}

/* issue 9 item 2: the bought guard's set survives export and import (version 3), beyond the
 * history; a version 2 record (no set) gets one rebuilt from its history */
static void test_item2_bought_set_survives_export_and_v2_rebuilds_it(void **state)
{
        (void)state;
        const char *small[] = {"cooc.max_history=2", "guard.max_bought=3", NULL};
        struct xs_engine *eng = fx_engine(small);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 - 10 * DAY, "o1", "chg1", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 - 9 * DAY, "o2", "mug", "pan", NULL);
        fx_send(eng, XS_EV_PURCHASE, "c1", T0 - 8 * DAY, "o3", "cable", NULL); /* evicts chg1 */
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_OK);
        assert_memory_equal(buf, "XSC\x05", 4);
        xs_engine_destroy(eng);

        eng = fx_engine(small);
        fx_train(eng);
        char err[256];
        assert_int_equal(xs_engine_customer_import(eng, buf, len, err, sizeof(err)), XS_OK);
        unsigned char *again = NULL;
        size_t again_len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &again, &again_len), XS_OK);
        assert_int_equal(again_len, len); /* same set, floor and bits (ids re-sorted) */
        free(again);
        free(buf);
        fx_send(eng, XS_EV_ADD_TO_CART, "c1", T0, NULL, "p100", NULL);
        fx_send(eng, XS_EV_CHECKOUT_START, "c1", T0 + MIN_MS, NULL, NULL);
        assert_true(fx_count(XS_OFFER_CROSS_SELL, "c1") > 0);
        for (size_t i = 0; i < cap.n_offers; i++)
                assert_false(fx_has_item(&cap.offers[i], "chg1")); /* evicted, still guarded */
        xs_engine_destroy(eng);

        /* version 2: the charger in the history, bought 10 days ago */
        struct rec r;
        rec_version = 2;
        rec_hist_product = "chg1";
        rec_hist_t = T0 - 10 * DAY;
        make_record(&r, "c1", "p100", 1, 10000, T0, 0);
        rec_hist_product = NULL;
        rec_version = 5;
        eng = fx_engine(caps);
        fx_train(eng);
        assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_OK);
        fx_send(eng, XS_EV_CHECKOUT_START, "c1", T0 + MIN_MS, NULL, NULL);
        assert_true(fx_count(XS_OFFER_CROSS_SELL, "c1") > 0);
        for (size_t i = 0; i < cap.n_offers; i++)
                assert_false(fx_has_item(&cap.offers[i], "chg1"));
        xs_engine_destroy(eng);
}

/* issue 9 item 8: open offers keep their channel and expiry (version 4), so the e-mail repeat
 * guard survives a restore; a version 3 record's post-purchase cross-sell is taken for the
 * e-mail it was; the lead period's products and its stop survive too */
static void test_item8_email_guard_and_lead_period_survive_export(void **state)
{
        (void)state;
        char err[256];
        for (rec_version = 3; rec_version <= 5; rec_version++) {
                struct rec r;
                rec_pending_product = "case1";
                make_record(&r, "c1", "p100", 1, 10000, T0, 0);
                rec_pending_product = NULL;
                struct xs_engine *eng = fx_engine(caps);
                fx_train(eng);
                assert_int_equal(xs_engine_customer_import(eng, r.b, r.n, err, sizeof(err)), XS_OK);
                /* day 2: on site it would have expired (offer.ttl 1d); the e-mail lives 7d */
                fx_send(eng, XS_EV_CHECKOUT_START, "c1", T0 + 2 * DAY, NULL, NULL);
                assert_true(fx_count(XS_OFFER_CROSS_SELL, "c1") > 0);
                for (size_t i = 0; i < cap.n_offers; i++)
                        assert_false(fx_has_item(&cap.offers[i], "case1"));
                xs_engine_destroy(eng);
        }
        rec_version = 5;

        /* a lead who got two e-mails (journey.lead_max_emails=2), restored before the stop */
        const char *two[] = {"journey.lead_max_emails=2", NULL};
        struct xs_engine *eng = fx_engine(two);
        fx_send(eng, XS_EV_PRODUCT_VIEW, "lead", T0, NULL, "p150", NULL);
        fx_send(eng, XS_EV_SUBSCRIBE, "lead", T0 + MIN_MS, NULL, NULL);
        xs_engine_advance(eng, T0 + 11 * DAY);
        assert_int_equal(fx_count(XS_OFFER_DOWNSELL, "lead"), 2);
        char first[64], second[64];
        snprintf(first, sizeof(first), "%s", cap.offers[0].items[0]);
        snprintf(second, sizeof(second), "%s", cap.offers[1].items[0]);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "lead", &buf, &len), XS_OK);
        xs_engine_destroy(eng);
        /* restored with a higher limit: the third e-mail is neither earlier product */
        const char *three[] = {"journey.lead_max_emails=3", NULL};
        eng = fx_engine(three);
        assert_int_equal(xs_engine_customer_import(eng, buf, len, err, sizeof(err)), XS_OK);
        free(buf);
        xs_engine_advance(eng, T0 + 40 * DAY);
        assert_int_equal(fx_count(XS_OFFER_DOWNSELL, "lead"), 1);
        assert_string_not_equal(cap.offers[0].items[0], first);
        assert_string_not_equal(cap.offers[0].items[0], second);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_int_equal(st.lead_stopped, 1);
        /* and the stop itself survives */
        assert_int_equal(xs_engine_customer_export(eng, "lead", &buf, &len), XS_OK);
        xs_engine_destroy(eng);
        eng = fx_engine(three);
        assert_int_equal(xs_engine_customer_import(eng, buf, len, err, sizeof(err)), XS_OK);
        free(buf);
        fx_send(eng, XS_EV_SUBSCRIBE, "lead", T0 + 41 * DAY, NULL, NULL); /* still subscribed */
        xs_engine_advance(eng, T0 + 60 * DAY);
        assert_int_equal(fx_count(XS_OFFER_DOWNSELL, "lead"), 0);
        xs_engine_destroy(eng);
}

/* The changelog's view of a journey: what xs_engine_changes writes, collected as a compacted
 * topic would keep it (the last record per customer; a tombstone removes it). */
struct changelog {
        size_t n;
        char id[16][32];
        uint32_t tag[16];
        unsigned char *buf[16]; /* NULL: tombstone */
        size_t len[16];
        size_t calls, tombstones;
        int refuse_after; /* >0: the cb refuses once this many calls were made */
};

static int collect(void *opaque, const char *id, uint32_t tag, const unsigned char *buf, size_t len)
{
        struct changelog *cl = opaque;
        if (cl->refuse_after && cl->calls >= (size_t)cl->refuse_after)
                return -1;
        cl->calls++;
        cl->tombstones += buf == NULL;
        size_t i = 0;
        while (i < cl->n && strcmp(cl->id[i], id) != 0)
                i++;
        if (i == cl->n) {
                assert_true(cl->n < 16);
                snprintf(cl->id[cl->n++], sizeof(cl->id[0]), "%s", id);
        }
        free(cl->buf[i]);
        cl->buf[i] = buf ? malloc(len) : NULL;
        if (buf)
                memcpy(cl->buf[i], buf, len);
        cl->len[i] = len;
        cl->tag[i] = tag;
        return 0;
}

static void changelog_free(struct changelog *cl)
{
        for (size_t i = 0; i < cl->n; i++)
                free(cl->buf[i]);
        memset(cl, 0, sizeof(*cl));
}

static void test_changelog_restores_the_journey_and_tombstones_forgotten(void **state)
{
        (void)state;
        struct summary straight, restored;
        straight_run(&straight);

        event_seq = 0;
        struct xs_engine *eng = fx_engine(caps);
        xs_engine_track_changes(eng, 1);
        xs_engine_set_tag(eng, 3);
        first_half(eng);
        int seq = event_seq; /* the second half's event ids as in the straight run */
        fx_send(eng, XS_EV_PRODUCT_VIEW, "gone", T0, NULL, "p100", NULL);
        struct changelog cl = {0};
        /* a refusing sink keeps the rest for the next call */
        cl.refuse_after = 1;
        assert_int_equal(xs_engine_changes(eng, collect, &cl), -1);
        assert_int_equal(cl.calls, 1);
        assert_true(xs_engine_changes_pending(eng) > 0);
        cl.refuse_after = 0;
        assert_int_equal(xs_engine_changes(eng, collect, &cl), 0);
        assert_int_equal(xs_engine_changes_pending(eng), 0);
        assert_int_equal(cl.n, 2);
        assert_int_equal(cl.tag[0], 3);
        /* nothing changed: nothing written */
        size_t calls = cl.calls;
        assert_int_equal(xs_engine_changes(eng, collect, &cl), 0);
        assert_int_equal(cl.calls, calls);
        /* FORGET writes a tombstone; a revoked partition's customers (drop_tag) move: none */
        fx_send(eng, XS_EV_FORGET, "gone", T0 + MIN_MS, NULL, NULL);
        assert_int_equal(xs_engine_changes(eng, collect, &cl), 0);
        assert_int_equal(cl.tombstones, 1);
        assert_null(cl.buf[1]);
        calls = cl.calls;
        assert_int_equal(xs_engine_drop_tag(eng, 3), 1);
        assert_int_equal(xs_engine_changes(eng, collect, &cl), 0);
        assert_int_equal(cl.calls, calls);
        xs_engine_destroy(eng);

        /* the new owner restores from the changelog and continues as if nothing moved */
        eng = fx_engine(caps);
        char err[256];
        for (size_t i = 0; i < cl.n; i++)
                if (cl.buf[i]) {
                        xs_engine_set_tag(eng, cl.tag[i]);
                        assert_int_equal(
                            xs_engine_customer_import(eng, cl.buf[i], cl.len[i], err, sizeof(err)),
                            XS_OK);
                }
        xs_engine_advance(eng, T0 + MIN_MS);
        memset(&cap, 0, sizeof(cap));
        event_seq = seq;
        second_half(eng);
        summarize(&restored);
        assert_same(&restored, &straight);
        xs_engine_destroy(eng);
        changelog_free(&cl);
}

/* A timer's firing changes its customer: listed like an event's change. */
static void test_changelog_lists_a_customer_changed_by_a_timer(void **state)
{
        (void)state;
        event_seq = 0;
        struct xs_engine *eng = fx_engine(caps);
        xs_engine_track_changes(eng, 1);
        first_half(eng);
        struct changelog cl = {0};
        assert_int_equal(xs_engine_changes(eng, collect, &cl), 0);
        size_t calls = cl.calls;
        xs_engine_advance(eng, T0 + DAY); /* the cart is abandoned: a timer fires */
        assert_int_equal(xs_engine_changes(eng, collect, &cl), 0);
        assert_int_equal(cl.calls, calls + 1);
        xs_engine_destroy(eng);
        changelog_free(&cl);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_restored_customer_continues_as_if_never_stopped),
            cmocka_unit_test(test_corrupt_state_is_rejected_at_every_truncation_and_flip),
            cmocka_unit_test(test_hand_made_record_is_accepted),
            cmocka_unit_test(test_corrupt_record_leaves_no_customer_and_keeps_the_old_one),
            cmocka_unit_test(test_out_of_range_numbers_are_rejected),
            cmocka_unit_test(test_offer_counters_above_255_survive_export),
            cmocka_unit_test(test_item2_bought_set_survives_export_and_v2_rebuilds_it),
            cmocka_unit_test(test_item8_email_guard_and_lead_period_survive_export),
            cmocka_unit_test(test_changelog_restores_the_journey_and_tombstones_forgotten),
            cmocka_unit_test(test_changelog_lists_a_customer_changed_by_a_timer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
