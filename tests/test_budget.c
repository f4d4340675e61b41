/*
 * The memory budget (memory.budget, engine/budget.c): the accounted bytes grow with the length
 * of ids (a count cap does not see them); a small budget evicts customers, refuses new products
 * and new pairs, counts each, and the engine's bytes never pass the budget by more than
 * SLACK; the running totals agree with a recount from scratch; memory.budget parses sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/budget.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/window.h"
#include "engine_fixture.h"
#include "util/conf_int.h"
#include "util/intern.h"

/* What the state may hold beyond the budget (budget.h: what one event adds between two checks).
 * Here: a 64 KiB string block of the product table, a few KB of ids, arrays and doublings. */
#define SLACK (128 * 1024)

/* Small fixed tables, so that small budgets are possible: the pair table is sized for
 * cooc.max_pairs up front and the dedup ring is reserved at dedup.capacity. Ids up to 4 KB
 * allowed (event.max_id_bytes bounds each id; the budget bounds them all together). */
#define SMALL_TABLES                                                                               \
        "cooc.max_pairs=1000", "dedup.capacity=1000", "event.max_id_bytes=4096",                   \
            "window.pane=1h" /* the orders of test_budget_refuses_products_and_pairs: one pane */

static char *long_id(char *buf, size_t len, const char *prefix, int i)
{
        int n = snprintf(buf, len + 1, "%s%d-", prefix, i);
        memset(buf + n, 'x', len - (size_t)n);
        buf[len] = '\0';
        return buf;
}

/* The oracle: every running total recounted from the structures themselves. */
static void check_totals(struct xs_engine *eng)
{
        uint64_t customers = 0;
        struct xs_customer *c, *tmp;
        HASH_ITER(hh, eng->customers, c, tmp)
        {
                customers += xs_customer_bytes(c);
        }
        assert_int_equal(eng->customer_bytes, customers);
        struct xs_window_stats ws;
        xs_window_stats(eng->window, &ws);
        assert_int_equal(xs_window_bytes(eng->window), ws.bytes);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_int_equal(st.memory_bytes, xs_budget_bytes(eng));
}

static uint64_t memory_of(struct xs_engine *eng)
{
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        return st.memory_bytes;
}

/* 2000 customers view a product, each with an id of len bytes; no budget. */
static uint64_t bytes_with_ids(size_t len)
{
        const char *settings[] = {SMALL_TABLES, "memory.budget=0", NULL};
        struct xs_engine *eng = fx_engine(settings);
        char id[4200];
        for (int i = 0; i < 2000; i++)
                assert_int_equal(fx_send(eng, XS_EV_PRODUCT_VIEW, long_id(id, len, "c", i),
                                         T0 + i * 1000, NULL, "mug", NULL),
                                 XS_OK);
        check_totals(eng);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_int_equal(st.customers_live, 2000);
        assert_int_equal(
            st.memory_customers_evicted + st.memory_products_refused + st.memory_pairs_refused, 0);
        xs_engine_destroy(eng);
        return st.memory_bytes;
}

static void test_bytes_grow_with_id_length(void **state)
{
        (void)state;
        uint64_t b16 = bytes_with_ids(16), b1k = bytes_with_ids(1024), b4k = bytes_with_ids(4096);
        /* every byte of every id is counted, and not much else changes */
        assert_true(b1k - b16 >= 2000 * (1024 - 16));
        assert_true(b1k - b16 <= 2000 * (1024 - 16) * 11 / 10);
        assert_true(b4k - b1k >= 2000 * (4096 - 1024));
        assert_true(b4k - b1k <= 2000 * (4096 - 1024) * 11 / 10);
}

/* The engine's own bytes before any event, with the small tables. */
static uint64_t fixed_bytes(void)
{
        const char *settings[] = {SMALL_TABLES, "memory.budget=0", NULL};
        struct xs_engine *eng = fx_engine(settings);
        uint64_t b = memory_of(eng);
        xs_engine_destroy(eng);
        return b;
}

static struct xs_engine *engine_with_budget(uint64_t budget)
{
        char setting[64];
        snprintf(setting, sizeof(setting), "memory.budget=%llu", (unsigned long long)budget);
        const char *settings[] = {SMALL_TABLES, setting, NULL};
        return fx_engine(settings);
}

static void test_budget_evicts_customers(void **state)
{
        (void)state;
        uint64_t budget = fixed_bytes() + 1024 * 1024;
        struct xs_engine *eng = engine_with_budget(budget);
        char id[4200];
        /* 2000 customers of 4 KB ids: 8 MB of ids alone */
        for (int i = 0; i < 2000; i++) {
                assert_int_equal(fx_send(eng, XS_EV_PRODUCT_VIEW, long_id(id, 4096, "c", i),
                                         T0 + i * 1000, NULL, "mug", NULL),
                                 XS_OK);
                assert_true(memory_of(eng) <= budget + SLACK);
        }
        check_totals(eng);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        /* about 1 MB / 4.4 KB customers stay; the rest were evicted for the budget, not by
         * customers.max */
        assert_true(st.memory_customers_evicted > 1500);
        assert_true(st.customers_live > 100 && st.customers_live < 300);
        assert_int_equal(st.customers_evicted, 0);
        assert_true(st.memory_bytes_peak <= budget + SLACK);
        /* the most recent customer is still there, the first is gone */
        assert_non_null(xs_customer_find(eng, long_id(id, 4096, "c", 1999)));
        assert_null(xs_customer_find(eng, long_id(id, 4096, "c", 0)));
        xs_engine_destroy(eng);
}

static void test_budget_refuses_products_and_pairs(void **state)
{
        (void)state;
        uint64_t budget = fixed_bytes() + 512 * 1024;
        struct xs_engine *eng = engine_with_budget(budget);
        char a[1100], b[1100], old1[16], old2[16], order[32];
        /* one customer's orders: two new products of 1 KB ids, and two of 60 short-id products
         * known from the start, so new pairs of known products keep coming. All in one pane
         * (a second apart): a pair already counted adds no memory there (in a new pane it
         * would add pane cells, which the budget does not refuse: budget.h) */
        for (int k = 0; k < 60; k++) {
                snprintf(old1, sizeof(old1), "old%d", k);
                fx_send(eng, XS_EV_PRODUCT_VIEW, "seed", T0, NULL, old1, NULL);
        }
        for (int i = 0; i < 1500; i++) {
                snprintf(old1, sizeof(old1), "old%d", i % 60);
                snprintf(old2, sizeof(old2), "old%d", (i * 7 + 1) % 60);
                snprintf(order, sizeof(order), "o%d", i);
                assert_int_equal(fx_send(eng, XS_EV_PURCHASE, "buyer", T0 + i * 1000, order,
                                         long_id(a, 1024, "a", i), long_id(b, 1024, "b", i), old1,
                                         old2, NULL),
                                 XS_OK);
                assert_true(memory_of(eng) <= budget + SLACK);
        }
        check_totals(eng);
        struct xs_stats st;
        xs_engine_stats(eng, &st);
        assert_true(st.memory_products_refused > 0);
        assert_true(st.memory_pairs_refused > 0);
        assert_true(st.memory_bytes_peak <= budget + SLACK);
        assert_int_equal(st.catalog_cap_hits, 0);
        assert_int_equal(st.pairs_cap_hits, 0);
        /* refused products are not known; the known ones still are */
        assert_int_equal(xs_intern_find(eng->products, long_id(a, 1024, "a", 1499)), 0);
        assert_true(xs_intern_find(eng->products, "old59") != 0);
        /* a catalog record of a new product is refused too, an update of a known one is not */
        char err[256];
        struct xs_product p = {.product_id = long_id(a, 1024, "z", 1), .price = 100, .in_stock = 1};
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_ERR_NOMEM);
        assert_non_null(strstr(err, "memory.budget"));
        p.product_id = "old3";
        assert_int_equal(xs_engine_catalog_put(eng, &p, err, sizeof(err)), XS_OK);
        xs_engine_destroy(eng);
}

static void test_budget_below_fixed_is_an_error(void **state)
{
        (void)state;
        struct xs_conf *conf = xs_conf_new();
        char err[512];
        assert_int_equal(xs_conf_set(conf, "memory.budget", "1MiB", err, sizeof(err)), XS_OK);
        /* the default pair table alone (cooc.max_pairs 4M) is 8 MB */
        assert_null(xs_engine_new(conf, NULL, err, sizeof(err)));
        assert_non_null(strstr(err, "memory.budget 1MiB is below"));
        xs_conf_destroy(conf);
}

static void test_budget_parses_sizes(void **state)
{
        (void)state;
        struct xs_conf *conf = xs_conf_new();
        char err[256], buf[64];
        assert_int_equal(xs_conf_get(conf, "memory.budget", buf, sizeof(buf)), XS_OK);
        assert_string_equal(buf, "1GiB");
        const char *good[][2] = {{"512MiB", "512MiB"}, {"1536KiB", "1536KiB"},
                                 {"2048", "2KiB"},     {"1000", "1000"},
                                 {"0", "0"},           {"7B", "7"},
                                 {"1TiB", "1TiB"}};
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                assert_int_equal(xs_conf_set(conf, "memory.budget", good[i][0], err, sizeof(err)),
                                 XS_OK);
                assert_int_equal(xs_conf_get(conf, "memory.budget", buf, sizeof(buf)), XS_OK);
                assert_string_equal(buf, good[i][1]);
        }
        const char *bad[] = {"1GB", "1.5GiB", "1GiBx",   "-1",
                             "",    "GiB",    "2048TiB", "99999999999999999999"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_not_equal(xs_conf_set(conf, "memory.budget", bad[i], err, sizeof(err)),
                                     XS_OK);
                assert_non_null(strstr(err, "memory.budget"));
        }
        int64_t v;
        assert_int_equal(xs_parse_bytes("3GiB", &v), 0);
        assert_int_equal(v, 3LL << 30);
        xs_conf_destroy(conf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_budget_parses_sizes),
            cmocka_unit_test(test_budget_below_fixed_is_an_error),
            cmocka_unit_test(test_bytes_grow_with_id_length),
            cmocka_unit_test(test_budget_evicts_customers),
            cmocka_unit_test(test_budget_refuses_products_and_pairs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
