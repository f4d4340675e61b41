/*
 * util/log.c: every line it writes in JSON mode is one valid JSON object (checked by jansson,
 * which refuses invalid UTF-8, surrogates and overlong forms) with the ECS fields, whatever the
 * message holds: control bytes, quotes, invalid UTF-8, or far more than a line's room; plain
 * mode keeps a line one line; the level filter and counts; the signal-safe line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "log_capture.h"
#include "util/log.h"

static int cap_setup(void **state)
{
        (void)state;
        return cap_open(XS_LOG_JSON);
}

/* The one line written since the last call, parsed and checked for the ECS fields. */
static json_t *one_json_line(void)
{
        char *text = captured();
        size_t len = strlen(text);
        assert_true(len > 0);
        assert_int_equal(text[len - 1], '\n');
        assert_null(memchr(text, '\n', len - 1)); /* one line */
        json_error_t jerr;
        json_t *o = json_loadb(text, len - 1, 0, &jerr);
        if (!o)
                fail_msg("not JSON (%s): %.300s", jerr.text, text);
        assert_true(json_is_object(o));
        const char *keys[] = {"@timestamp", "log.level", "message", "service.name", "log.logger"};
        for (size_t i = 0; i < 5; i++)
                assert_true(json_is_string(json_object_get(o, keys[i])));
        const char *ts = json_string_value(json_object_get(o, "@timestamp"));
        assert_int_equal(strlen(ts), 24);
        assert_int_equal(ts[10], 'T');
        assert_int_equal(ts[23], 'Z');
        free(text);
        return o;
}

static const char *str(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static void test_fields(void **state)
{
        (void)state;
        xs_log_kv(XS_LOG_WARN, "kafka",
                  XS_KV(XS_KV_STR("topic", "customer-events"), XS_KV_INT("partition", 3),
                        XS_KV_INT("offset", -1001), XS_KV_STR("absent", NULL)),
                  "commit failed: %s", "timed out");
        json_t *o = one_json_line();
        assert_string_equal(str(o, "log.level"), "warn");
        assert_string_equal(str(o, "message"), "commit failed: timed out");
        assert_string_equal(str(o, "service.name"), "xsell");
        assert_string_equal(str(o, "log.logger"), "kafka");
        assert_string_equal(str(o, "topic"), "customer-events");
        assert_int_equal(json_integer_value(json_object_get(o, "partition")), 3);
        assert_int_equal(json_integer_value(json_object_get(o, "offset")), -1001);
        assert_string_equal(str(o, "absent"), "");
        json_decref(o);
}

static void test_control_bytes(void **state)
{
        (void)state;
        char all[40];
        for (int i = 1; i < 32; i++)
                all[i - 1] = (char)i;
        memcpy(all + 31, "\"\\\x7f/", 5);
        xs_log_kv(XS_LOG_INFO, "t", XS_KV(XS_KV_STR("k\"ey\n", all)), "%s", all);
        json_t *o = one_json_line();
        assert_string_equal(str(o, "message"), all);
        assert_string_equal(str(o, "k\"ey\n"), all);
        json_decref(o);
        /* a trailing newline is dropped, an inner one kept (escaped) */
        xs_log(XS_LOG_INFO, "t", "two\nlines\n\n");
        o = one_json_line();
        assert_string_equal(str(o, "message"), "two\nlines");
        json_decref(o);
}

static void test_utf8(void **state)
{
        (void)state;
        /* valid: é, €, U+1F600 pass unchanged */
        xs_log(XS_LOG_INFO, "t", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
        json_t *o = one_json_line();
        assert_string_equal(str(o, "message"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
        json_decref(o);
        /* invalid: a stray continuation, 0xff, an overlong '/', a surrogate, a truncated
         * sequence at the end, a code point above U+10FFFF: each replaced, the line stays JSON */
        const char *bad[] = {"a\x80z",         "a\xffz",
                             "a\xc0\xafz",     "a\xed\xa0\x80z",
                             "a\xe2\x82",      "a\xf4\x90\x80\x80z",
                             "a\xe0\x80\xafz", "a\xf0\x80\x80\xafz"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                xs_log_kv(XS_LOG_INFO, "t", XS_KV(XS_KV_STR("v", bad[i])), "%s", bad[i]);
                o = one_json_line();
                const char *m = str(o, "message");
                assert_int_equal(m[0], 'a');
                assert_non_null(strchr(m, '?'));
                assert_non_null(strchr(str(o, "v"), '?'));
                json_decref(o);
        }
}

static void test_long(void **state)
{
        (void)state;
        size_t n = 100000;
        char *big = malloc(n + 1);
        assert_non_null(big);
        for (size_t i = 0; i < n; i++)
                big[i] = (char)('a' + i % 26);
        big[n] = '\0';
        xs_log_kv(XS_LOG_ERROR, "t", XS_KV(XS_KV_STR("big", big)), "%s", big);
        json_t *o = one_json_line();
        const char *m = str(o, "message");
        assert_true(strlen(m) < 5000);
        assert_string_equal(m + strlen(m) - 3, "...");
        json_decref(o);
        /* every byte a control byte: escaping makes it six times longer than the line's room */
        memset(big, 1, 5000);
        big[5000] = '\0';
        xs_log_kv(XS_LOG_ERROR, "t", XS_KV(XS_KV_STR("k", "v")), "%s", big);
        o = one_json_line();
        assert_true(strlen(str(o, "message")) > 100);
        json_decref(o);
        /* a multi-byte character cut by the limit is replaced, not left half */
        for (size_t i = 0; i + 2 < n; i += 3)
                memcpy(big + i, "\xe2\x82\xac", 3);
        big[n - n % 3] = '\0';
        xs_log(XS_LOG_ERROR, "t", "x%s", big);
        o = one_json_line();
        json_decref(o);
        free(big);
}

static void test_levels(void **state)
{
        (void)state;
        xs_log_setup(XS_LOG_JSON, XS_LOG_WARN, NULL);
        uint64_t before = xs_log_count(XS_LOG_INFO), wbefore = xs_log_count(XS_LOG_WARN);
        xs_log(XS_LOG_INFO, "t", "dropped");
        xs_log(XS_LOG_DEBUG, "t", "dropped");
        char *text = captured();
        assert_string_equal(text, "");
        free(text);
        assert_int_equal(xs_log_count(XS_LOG_INFO), before);
        assert_false(xs_log_enabled(XS_LOG_INFO));
        xs_log(XS_LOG_WARN, "t", "kept");
        json_t *o = one_json_line();
        assert_string_equal(str(o, "log.level"), "warn");
        json_decref(o);
        assert_int_equal(xs_log_count(XS_LOG_WARN), wbefore + 1);
        assert_int_equal(xs_log_level_parse("error"), XS_LOG_ERROR);
        assert_int_equal(xs_log_level_parse("fatal"), -1);
        assert_int_equal(xs_log_format_parse("plain"), XS_LOG_PLAIN);
        assert_int_equal(xs_log_format_parse("yaml"), -1);
        xs_log_setup(XS_LOG_JSON, XS_LOG_DEBUG, "svc\"x");
        xs_log(XS_LOG_DEBUG, "t", "service");
        o = one_json_line();
        assert_string_equal(str(o, "service.name"), "svc\"x");
        json_decref(o);
        xs_log_setup(XS_LOG_JSON, XS_LOG_DEBUG, "xsell");
}

static void test_plain(void **state)
{
        (void)state;
        xs_log_setup(XS_LOG_PLAIN, XS_LOG_DEBUG, NULL);
        assert_false(xs_log_is_json());
        xs_log_kv(XS_LOG_WARN, "registry", XS_KV(XS_KV_STR("subject", "a\nb"), XS_KV_INT("n", 7)),
                  "two\nlines\rhere");
        char *text = captured();
        xs_log_setup(XS_LOG_JSON, XS_LOG_DEBUG, NULL);
        size_t len = strlen(text);
        assert_int_equal(text[len - 1], '\n');
        assert_null(memchr(text, '\n', len - 1));
        assert_non_null(strstr(text, "Z warn xsell registry: two lines here subject=a b n=7\n"));
        assert_int_equal(text[23], 'Z');
        free(text);
}

static void test_emergency(void **state)
{
        (void)state;
        assert_true(xs_log_is_json());
        time_t now = time(NULL);
        xs_log_emergency("run", "shutdown.timeout \"exceeded\"");
        json_t *o = one_json_line();
        assert_string_equal(str(o, "message"), "shutdown.timeout \"exceeded\"");
        assert_string_equal(str(o, "log.level"), "error");
        assert_string_equal(str(o, "log.logger"), "run");
        /* the hand-made date is gmtime's (to the minute; the test may cross one) */
        struct tm tm;
        char want[32], want2[32];
        gmtime_r(&now, &tm);
        strftime(want, sizeof(want), "%Y-%m-%dT%H:%M", &tm);
        now += 60;
        gmtime_r(&now, &tm);
        strftime(want2, sizeof(want2), "%Y-%m-%dT%H:%M", &tm);
        const char *ts = str(o, "@timestamp");
        assert_true(!strncmp(ts, want, 16) || !strncmp(ts, want2, 16));
        json_decref(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields),    cmocka_unit_test(test_control_bytes),
            cmocka_unit_test(test_utf8),      cmocka_unit_test(test_long),
            cmocka_unit_test(test_levels),    cmocka_unit_test(test_plain),
            cmocka_unit_test(test_emergency),
        };
        return cmocka_run_group_tests(tests, cap_setup, cap_teardown);
}
