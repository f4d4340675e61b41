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

static const char *caps[] = {"caps.per_day=10", "caps.per_type_per_day=10", NULL};

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

static void test_restored_customer_continues_as_if_never_stopped(void **state)
{
        (void)state;
        struct summary straight, restored;

        event_seq = 0;
        struct xs_engine *eng = fx_engine(caps);
        first_half(eng);
        memset(&cap, 0, sizeof(cap));
        second_half(eng);
        summarize(&straight);
        xs_engine_destroy(eng);
        assert_true(straight.n >= 4); /* upsell + cross-sell at purchase, downsell, value upsell */

        event_seq = 0;
        eng = fx_engine(caps);
        first_half(eng);
        unsigned char *buf = NULL;
        size_t len = 0;
        assert_int_equal(xs_engine_customer_export(eng, "c1", &buf, &len), XS_OK);
        xs_engine_destroy(eng);

        eng = fx_engine(caps);
        char err[256];
        assert_int_equal(xs_engine_customer_import(eng, buf, len, err, sizeof(err)), XS_OK);
        /* the restored engine has not seen time pass: move it to where the first one was */
        xs_engine_advance(eng, T0 + MIN_MS);
        memset(&cap, 0, sizeof(cap));
        second_half(eng);
        summarize(&restored);
        assert_int_equal(restored.n, straight.n);
        for (size_t i = 0; i < straight.n; i++)
                assert_string_equal(restored.line[i], straight.line[i]);

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

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_restored_customer_continues_as_if_never_stopped),
            cmocka_unit_test(test_corrupt_state_is_rejected_at_every_truncation_and_flip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
