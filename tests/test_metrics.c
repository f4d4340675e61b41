/*
 * The Prometheus text writer (util/metrics.c): label values and help texts escaped as the
 * exposition format says (a customer-supplied string cannot end a label or a line), integers
 * exact to 2^64-1, histograms cumulative with +Inf equal to _count, and the whole text checked
 * line by line against the format's grammar.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/metrics.h"

static void test_label_escaping(void **state)
{
        (void)state;
        struct xs_prom w = {0};
        xs_prom_u64(&w, "m", (const char *const[]){"a", "x\\y\"z\nw", "b", "", NULL}, 7);
        assert_string_equal(w.buf, "m{a=\"x\\\\y\\\"z\\nw\",b=\"\"} 7\n");
        xs_prom_reset(&w);
        xs_prom_u64(&w, "m", NULL, UINT64_MAX);
        assert_string_equal(w.buf, "m 18446744073709551615\n");
        xs_prom_reset(&w);
        xs_prom_i64(&w, "m", (const char *const[]){NULL}, -3);
        assert_string_equal(w.buf, "m -3\n");
        xs_prom_free(&w);
}

static void test_help_escaping(void **state)
{
        (void)state;
        struct xs_prom w = {0};
        /* in HELP only backslash and newline are escaped; a double quote stays */
        xs_prom_family(&w, "m_total", "counter", "a \"b\" c\\d\ne");
        assert_string_equal(w.buf, "# HELP m_total a \"b\" c\\\\d\\ne\n# TYPE m_total counter\n");
        xs_prom_free(&w);
}

static void test_doubles(void **state)
{
        (void)state;
        struct xs_prom w = {0};
        xs_prom_dbl(&w, "a", NULL, 0.1);
        xs_prom_dbl(&w, "b", NULL, INFINITY);
        xs_prom_dbl(&w, "c", NULL, -INFINITY);
        xs_prom_dbl(&w, "d", NULL, NAN);
        xs_prom_dbl(&w, "e", NULL, 1e300);
        assert_string_equal(
            w.buf, "a 0.10000000000000001\nb +Inf\nc -Inf\nd NaN\ne 1.0000000000000001e+300\n");
        /* round trip: the text parses back to the same double */
        assert_true(strtod(w.buf + 2, NULL) == 0.1);
        xs_prom_free(&w);
}

static void test_histogram(void **state)
{
        (void)state;
        static const double bounds[] = {0.001, 0.01, 0.1};
        struct xs_histo h;
        xs_histo_init(&h, bounds, 3);
        const double obs[] = {0.0005, 0.001, 0.002, 0.05, 0.05, 5, 0};
        for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
                xs_histo_observe(&h, obs[i]);
        struct xs_prom w = {0};
        xs_prom_histo(&w, "lat_seconds", "latency", &h);
        /* le is an upper bound inclusive: 0.001 falls in the 0.001 bucket */
        const char *want = "# HELP lat_seconds latency\n"
                           "# TYPE lat_seconds histogram\n"
                           "lat_seconds_bucket{le=\"0.001\"} 3\n"
                           "lat_seconds_bucket{le=\"0.01\"} 4\n"
                           "lat_seconds_bucket{le=\"0.1\"} 6\n"
                           "lat_seconds_bucket{le=\"+Inf\"} 7\n";
        assert_memory_equal(w.buf, want, strlen(want));
        assert_non_null(strstr(w.buf, "\nlat_seconds_count 7\n"));
        double sum = 0;
        for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
                sum += obs[i];
        const char *s = strstr(w.buf, "\nlat_seconds_sum ");
        assert_non_null(s);
        assert_true(strtod(s + strlen("\nlat_seconds_sum "), NULL) == sum);
        xs_prom_free(&w);
}

/* Many lines: the buffer grows and every line stays whole. */
static void test_growth(void **state)
{
        (void)state;
        struct xs_prom w = {0};
        char v[32];
        for (int i = 0; i < 20000; i++) {
                snprintf(v, sizeof(v), "%d", i);
                xs_prom_u64(&w, "x_total", (const char *const[]){"i", v, NULL}, (uint64_t)i);
        }
        assert_false(w.oom);
        int lines = 0;
        for (size_t i = 0; i < w.len; i++)
                lines += w.buf[i] == '\n';
        assert_int_equal(lines, 20000);
        assert_int_equal(strlen(w.buf), w.len);
        assert_non_null(strstr(w.buf, "x_total{i=\"19999\"} 19999\n"));
        xs_prom_free(&w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_label_escaping), cmocka_unit_test(test_help_escaping),
            cmocka_unit_test(test_doubles),        cmocka_unit_test(test_histogram),
            cmocka_unit_test(test_growth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
