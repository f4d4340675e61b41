/*
 * Property test of the category price ladders (catalog.c): after every random catalog record,
 * learned line item, price change, category move and tombstone, each category's ladder, and
 * every price range of it, equals the brute-force oracle: all products whose category it is,
 * sorted by (price, product id string) from scratch. The ladder is kept in place incrementally
 * (binary search, memmove); the oracle never is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "test_rng.h"
#include "util/intern.h"

#define N_PRODUCTS   400
#define N_CATEGORIES 5

static const char *const cat_names[N_CATEGORIES] = {"a", "b", "c", "d", "e"};

struct priced {
        int64_t price;
        uint32_t id;
        const char *name;
};

/* by price, then by the product's own id (its string: the interned number follows the order of
 * first sight, which must not decide the ladder's order) */
static int by_price(const void *x, const void *y)
{
        const struct priced *a = x, *b = y;
        if (a->price != b->price)
                return a->price < b->price ? -1 : 1;
        return strcmp(a->name, b->name);
}

/* The oracle: the products of category with price in [lo, hi], sorted by (price, id). */
static size_t oracle(const struct xs_catalog *cat, struct xs_intern *products, uint32_t category,
                     int64_t lo, int64_t hi, struct priced *out)
{
        size_t n = 0;
        for (uint32_t id = 1; id <= xs_intern_count(products); id++) {
                const struct xs_cat_product *p = xs_catalog_get(cat, id);
                if (p && p->category == category && p->price >= lo && p->price <= hi)
                        out[n++] = (struct priced){p->price, id, xs_intern_str(products, id)};
        }
        qsort(out, n, sizeof(*out), by_price);
        return n;
}

static void check_all(struct xs_catalog *cat, struct xs_intern *products)
{
        static struct priced want[N_PRODUCTS + 1];
        /* every label the catalog knows (only categories are given here), and one past them */
        for (uint32_t category = 1; category <= N_CATEGORIES + 1; category++) {
                /* the whole ladder, then one random range */
                for (int pass = 0; pass < 2; pass++) {
                        int64_t lo = INT64_MIN, hi = INT64_MAX;
                        if (pass) {
                                lo = (int64_t)(rnd() % 1200) - 100;
                                hi = lo + (int64_t)(rnd() % 700) - 50;
                        }
                        size_t n_want = oracle(cat, products, category, lo, hi, want);
                        size_t n = 0;
                        const uint32_t *got = xs_catalog_ladder(cat, category, lo, hi, &n);
                        assert_int_equal(n, n_want);
                        for (size_t i = 0; i < n; i++)
                                assert_int_equal(got[i], want[i].id);
                }
        }
}

static void test_ladder_equals_resort(void **state)
{
        (void)state;
        for (int round = 0; round < 20; round++) {
                struct xs_intern *products = xs_intern_new();
                struct xs_catalog *cat = xs_catalog_new(products, N_PRODUCTS, 100000000);
                assert_non_null(products);
                assert_non_null(cat);
                char err[256], id[32];
                for (int step = 0; step < 3000; step++) {
                        unsigned op = (unsigned)(rnd() % 10);
                        unsigned pid = 1 + (unsigned)(rnd() % N_PRODUCTS);
                        const char *cname = cat_names[rnd() % N_CATEGORIES];
                        /* few distinct prices: ties by id are common */
                        int64_t price = (int64_t)(rnd() % 1000);
                        snprintf(id, sizeof(id), "p%u", pid);
                        if (op < 4) {
                                struct xs_product p = {.product_id = id,
                                                       .category = rnd() % 8 ? cname : NULL,
                                                       .price = price,
                                                       .currency = "EUR",
                                                       .in_stock = 1};
                                assert_int_equal(xs_catalog_put(cat, &p, err, sizeof(err)), 0);
                        } else if (op < 9) {
                                struct xs_line_item li = {.product_id = id,
                                                          .quantity = 1,
                                                          .unit_price = rnd() % 5 ? price : -1,
                                                          .category = cname};
                                uint32_t pi = xs_intern_put(products, id, N_PRODUCTS);
                                assert_true(pi != 0);
                                xs_catalog_learn(cat, pi, &li, "EUR");
                        } else {
                                xs_catalog_delete(cat, id);
                        }
                        if (step % 50 == 0)
                                check_all(cat, products);
                }
                check_all(cat, products);
                xs_catalog_destroy(cat);
                xs_intern_destroy(products);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ladder_equals_resort),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
