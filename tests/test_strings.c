/*
 * Issue 10 items 5 and 10: every string field of a decoded record is bounded (event.max_id_bytes,
 * event.max_label_bytes) and valid UTF-8 before it can become state, for events and catalog
 * records alike; an oversized or malformed one is a contract violation, counted by reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "util/utf8.h"

static void test_utf8_verdicts(void **state)
{
        (void)state;
        size_t len, at;
        assert_int_equal(xs_str_check(NULL, 4, &len, &at), XS_STR_OK);
        assert_int_equal(xs_str_check("", 4, &len, &at), XS_STR_OK);
        assert_int_equal(xs_str_check("abcd", 4, &len, &at), XS_STR_OK);
        assert_int_equal(len, 4);
        assert_int_equal(xs_str_check("abcde", 4, &len, &at), XS_STR_TOO_LONG);
        assert_int_equal(len, 5); /* read no further than the bound + 1 */
        assert_int_equal(xs_str_check("abcde", 0, &len, &at), XS_STR_OK);
        /* valid: 2-, 3- and 4-byte sequences at their limits */
        const char *good[] = {"caf\xc3\xa9",      "\xe2\x82\xac",     "\xef\xbf\xbf",
                              "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf",
                              "\xc2\x80"};
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_int_equal(xs_str_check(good[i], 64, NULL, NULL), XS_STR_OK);
        /* invalid, and where */
        const struct {
                const char *s;
                size_t at;
        } bad[] = {
            {"ab\xff", 2},           /* never in UTF-8 */
            {"a\x80z", 1},           /* a lone continuation byte */
            {"\xc0\xaf", 0},         /* overlong '/' */
            {"\xc1\xbf", 0},         /* overlong */
            {"\xe0\x80\xaf", 0},     /* overlong 3-byte */
            {"\xf0\x80\x80\xaf", 0}, /* overlong 4-byte */
            {"x\xed\xa0\x80", 1},    /* a surrogate, U+D800 */
            {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
            {"\xf5\x80\x80\x80", 0}, /* above U+10FFFF */
            {"abc\xc3", 3},          /* cut short at the end */
            {"\xe2\x82", 0},         /* cut short */
            {"\xe2\x28\xa1", 0},     /* a bad continuation */
            {"ok\xc3\xa9\xc3(", 4},  /* after a valid sequence */
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(xs_str_check(bad[i].s, 64, &len, &at), XS_STR_BAD_UTF8);
                assert_int_equal(at, bad[i].at);
        }
}

static char *repeat(char c, size_t n)
{
        char *s = malloc(n + 1);
        assert_non_null(s);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

/* Every string field of an event, too long and not UTF-8 in turn: each is rejected, counted
 * by reason, and leaves no customer, product or dedup state behind. */
static void test_event_strings_bounded_and_utf8(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine((const char *const[]){
            "event.max_id_bytes=16", "event.max_label_bytes=32", "catalog.max_products=100", NULL});
        char err[256];
        char *long_id = repeat('i', 17), *long_label = repeat('l', 33);
        char *mega = repeat('m', 1 << 20); /* the 1 MB customer_id */
        const char *bad = "ok\xff";
        struct xs_stats st0;
        xs_engine_stats(eng, &st0);
        enum { ID, LABEL };
        const struct {
                const char *field;
                int kind;
        } fields[] = {{"event_id", ID},    {"customer_id", ID}, {"session_id", ID},
                      {"order_id", ID},    {"offer_id", ID},    {"product_id", ID},
                      {"category", LABEL}, {"brand", LABEL},    {"category_label", LABEL},
                      {"customer_id", -1}};
        uint64_t want_long = 0, want_bad = 0;
        for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
                for (int variant = 0; variant < 2; variant++) {
                        const char *v = variant                   ? bad
                                        : fields[f].kind == LABEL ? long_label
                                        : fields[f].kind == ID    ? long_id
                                                                  : mega;
                        struct xs_line_item li = {.product_id = "newp",
                                                  .quantity = 1,
                                                  .unit_price = 100,
                                                  .category = "cat",
                                                  .brand = "b",
                                                  .category_label = "c"};
                        struct xs_event ev = {.event_id = "x1",
                                              .customer_id = "c-new",
                                              .session_id = "s",
                                              .event_time = T0,
                                              .type = XS_EV_PURCHASE,
                                              .items = &li,
                                              .n_items = 1,
                                              .currency = "EUR",
                                              .order_id = "o1",
                                              .offer_id = "of"};
                        const char *name = fields[f].field;
                        const char **slot = !strcmp(name, "event_id")      ? &ev.event_id
                                            : !strcmp(name, "customer_id") ? &ev.customer_id
                                            : !strcmp(name, "session_id")  ? &ev.session_id
                                            : !strcmp(name, "order_id")    ? &ev.order_id
                                            : !strcmp(name, "offer_id")    ? &ev.offer_id
                                            : !strcmp(name, "product_id")  ? &li.product_id
                                            : !strcmp(name, "category")    ? &li.category
                                            : !strcmp(name, "brand")       ? &li.brand
                                                                           : &li.category_label;
                        *slot = v;
                        assert_int_equal(xs_engine_process(eng, &ev, err, sizeof(err)),
                                         XS_ERR_INVALID);
                        assert_non_null(strstr(err, name));
                        assert_null(strstr(err, v)); /* the bad string is never quoted */
                        assert_true(strlen(err) < 200);
                        if (variant)
                                want_bad++;
                        else
                                want_long++;
                }
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_int_equal(st.rejected_long_string, want_long);
        assert_int_equal(st.rejected_bad_utf8, want_bad);
        assert_int_equal(st.events_rejected, want_long + want_bad);
        assert_int_equal(st.events_processed, 0);
        assert_int_equal(st.customers_live, 0);
        assert_int_equal(st.catalog_products, st0.catalog_products); /* "newp" not learned */
        /* at the bounds exactly: accepted */
        struct xs_line_item li = {
            .product_id = "newp", .quantity = 1, .unit_price = 100, .category = long_label + 1};
        struct xs_event ev = {.event_id = long_id + 1,
                              .customer_id = "c\xc3\xa9",
                              .event_time = T0,
                              .type = XS_EV_ADD_TO_CART,
                              .items = &li,
                              .n_items = 1};
        assert_int_equal(xs_engine_process(eng, &ev, err, sizeof(err)), XS_OK);
        /* a bad currency is a bad string too */
        ev.event_id = "x2";
        memcpy(ev.currency, "E\xffR", 4);
        assert_int_equal(xs_engine_process(eng, &ev, err, sizeof(err)), XS_ERR_INVALID);
        assert_non_null(strstr(err, "currency"));
        xs_engine_stats(eng, &st);
        assert_int_equal(st.events_processed, 1);
        assert_int_equal(st.customers_live, 1);
        assert_int_equal(st.rejected_bad_utf8, want_bad + 1);
        free(long_id);
        free(long_label);
        free(mega);
        xs_engine_destroy(eng);
}

static void test_catalog_strings_bounded_and_utf8(void **state)
{
        (void)state;
        struct xs_engine *eng = fx_engine(
            (const char *const[]){"event.max_id_bytes=16", "event.max_label_bytes=32", NULL});
        char err[256];
        struct xs_stats st0, st;
        xs_engine_stats(eng, &st0);
        char *long_id = repeat('i', 17), *long_label = repeat('l', 33);
        const char *bad = "\xc0\xaf";
        const char *ok_targets[] = {"p100"};
        for (int field = 0; field < 7; field++)
                for (int variant = 0; variant < 2; variant++) {
                        const char *targets[] = {"p100"};
                        struct xs_product p = {.product_id = "np",
                                               .category = "phone",
                                               .brand = "acme",
                                               .price = 100,
                                               .currency = "EUR",
                                               .in_stock = 1,
                                               .upgrades = ok_targets,
                                               .n_upgrades = 1,
                                               .downgrades = ok_targets,
                                               .n_downgrades = 1,
                                               .category_label = "phones",
                                               .addon = ""};
                        const char *id = variant ? bad : long_id;
                        const char *label = variant ? bad : long_label;
                        switch (field) {
                        case 0:
                                p.product_id = id;
                                break;
                        case 1:
                                p.category = label;
                                break;
                        case 2:
                                p.brand = label;
                                break;
                        case 3:
                                p.category_label = label;
                                break;
                        case 4:
                                p.addon = label;
                                break;
                        case 5:
                                targets[0] = id;
                                p.upgrades = targets;
                                break;
                        default:
                                targets[0] = id;
                                p.downgrades = targets;
                                break;
                        }
                        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)),
                                         XS_ERR_INVALID);
                        assert_non_null(strstr(err, variant ? "UTF-8" : "event.max_"));
                }
        xs_engine_stats(eng, &st);
        assert_int_equal(st.catalog_rejected, st0.catalog_rejected + 14);
        assert_int_equal(st.rejected_long_string, 7);
        assert_int_equal(st.rejected_bad_utf8, 7);
        assert_int_equal(st.catalog_products, st0.catalog_products);
        assert_int_equal(st.catalog_upserts, st0.catalog_upserts);
        free(long_id);
        free(long_label);
        xs_engine_destroy(eng);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_utf8_verdicts),
            cmocka_unit_test(test_event_strings_bounded_and_utf8),
            cmocka_unit_test(test_catalog_strings_bounded_and_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
