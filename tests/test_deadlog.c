/*
 * kafka/dead_log.c: dead letters logged one by one up to errors.log.first, then at most one
 * summary line per interval with counts by reason (and an "other" count past the reasons it
 * keeps), nothing lost at the flush; the warning of a run of dead letters comes once per run and
 * only for input records in a row; the exit summary's flag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kafka/dead_log.h"
#include "log_capture.h"
#include "util/log.h"

static int cap_setup(void **state)
{
        (void)state;
        return cap_open(XS_LOG_PLAIN);
}

static int count(const char *text, const char *what)
{
        int n = 0;
        for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
                n++;
        return n;
}

static void add(struct xs_dead_log *dl, double now, int input, const char *stage, const char *code)
{
        xs_dead_log_add(dl, now, input, input ? "customer-events" : "product-catalog", 0, 42, stage,
                        code, "why");
}

static void test_first_then_summaries(void **state)
{
        (void)state;
        struct xs_dead_log dl;
        xs_dead_log_init(&dl, 2, 10000, 0);
        add(&dl, 0.0, 1, "deserialize", "DECODE");
        add(&dl, 0.1, 1, "deserialize", "DECODE");
        char *t = captured();
        assert_int_equal(count(t, "dead-lettered: why"), 2);
        assert_non_null(strstr(t, "topic=customer-events partition=0 offset=42 stage=deserialize "
                                  "error.code=DECODE"));
        free(t);
        /* within the interval: counted, nothing written */
        for (int i = 0; i < 50; i++)
                add(&dl, 1.0 + i * 0.1, 1, i % 2 ? "contract" : "deserialize",
                    i % 2 ? "INVALID" : "DECODE");
        xs_dead_log_tick(&dl, 9.0);
        t = captured();
        assert_string_equal(t, "");
        free(t);
        /* the interval passed (10 s after the last line): one line with the counts by reason */
        xs_dead_log_tick(&dl, 10.2);
        xs_dead_log_tick(&dl, 10.3);
        t = captured();
        assert_int_equal(count(t, "\n"), 1);
        assert_non_null(strstr(t, "50 more records dead-lettered (deserialize/DECODE 25, "
                                  "contract/INVALID 25); last: why"));
        assert_non_null(strstr(t, "dead_letters=50 dead_letters_total=52"));
        free(t);
        /* more reasons than it keeps: the rest as other; the flush writes what is pending */
        const char *codes[] = {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"};
        for (int i = 0; i < 10; i++)
                add(&dl, 11.0, 0, "contract", codes[i]);
        xs_dead_log_flush(&dl);
        t = captured();
        assert_int_equal(count(t, "\n"), 1);
        assert_non_null(strstr(t, "10 more records dead-lettered (contract/A 1"));
        assert_non_null(strstr(t, "contract/H 1, other 2)"));
        free(t);
        xs_dead_log_flush(&dl);
        t = captured();
        assert_string_equal(t, "");
        free(t);
}

static void test_consecutive_warning(void **state)
{
        (void)state;
        struct xs_dead_log dl;
        char flag[1024];
        xs_dead_log_init(&dl, 0, 1000, 5);
        /* catalog records do not make a run; a processed record ends one */
        for (int i = 0; i < 10; i++)
                add(&dl, 0, 0, "deserialize", "DECODE");
        for (int i = 0; i < 4; i++)
                add(&dl, 0, 1, "deserialize", "DECODE");
        xs_dead_log_ok(&dl);
        for (int i = 0; i < 4; i++)
                add(&dl, 0, 1, "deserialize", "DECODE");
        char *t = captured();
        assert_null(strstr(t, "were all dead-lettered"));
        free(t);
        assert_int_equal(xs_dead_log_flag(&dl, 9, flag, sizeof(flag)), 0);
        assert_string_equal(flag, "");
        /* the fifth in a row: one warning naming the likely cause, not repeated in the run */
        for (int i = 0; i < 20; i++)
                add(&dl, 0, 1, "deserialize", "DECODE");
        t = captured();
        assert_int_equal(count(t, "the last 5 input records were all dead-lettered"), 1);
        assert_int_equal(count(t, "were all dead-lettered"), 1);
        assert_non_null(strstr(t, "check registry.url"));
        free(t);
        /* a new run after a processed record warns again */
        xs_dead_log_ok(&dl);
        for (int i = 0; i < 5; i++)
                add(&dl, 0, 1, "contract", "INVALID");
        t = captured();
        assert_int_equal(count(t, "were all dead-lettered"), 1);
        assert_non_null(strstr(t, "input contract"));
        free(t);
        /* the exit summary: runs in a row, or every input record */
        assert_int_equal(xs_dead_log_flag(&dl, 100, flag, sizeof(flag)), 1);
        assert_non_null(strstr(flag, "; WARNING: up to 24 input records in a row"));
        assert_int_equal(xs_dead_log_flag(&dl, 33, flag, sizeof(flag)), 1);
        assert_non_null(strstr(flag, "; WARNING: all 33 input records were dead-lettered"));
        /* every input record dead-lettered is flagged even below errors.warn_consecutive */
        xs_dead_log_init(&dl, 0, 1000, 100);
        add(&dl, 0, 1, "deserialize", "DECODE");
        assert_int_equal(xs_dead_log_flag(&dl, 1, flag, sizeof(flag)), 1);
        assert_int_equal(xs_dead_log_flag(&dl, 2, flag, sizeof(flag)), 0);
        t = captured();
        free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_first_then_summaries),
            cmocka_unit_test(test_consecutive_warning),
        };
        return cmocka_run_group_tests(tests, cap_setup, cap_teardown);
}
