/*
 * Tests of the file readers and writers (io.h) and the event generator (gen.h): round trips
 * through JSON lines and Avro, each CSV layout on small files written here (bad rows included),
 * bounds (long lines, huge baskets), the exact text helpers, generator determinism, and, when
 * the shared data sets are present, the counts their READMEs state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "io/gen.h"
#include "io/text.h"
#include "xsell/io.h"

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
        static char buf[4][512];
        static int k;
        k = (k + 1) % 4;
        snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
        return buf[k];
}

static const char *write_tmp(const char *name, const char *text)
{
        const char *path = tmp_path(name);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
        fclose(f);
        return path;
}

static char *slurp(const char *path, size_t *n)
{
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *p = malloc((size_t)len + 1);
        assert_non_null(p);
        assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
        p[len] = '\0';
        fclose(f);
        *n = (size_t)len;
        return p;
}

/* Reads a whole file; counts records and errors (by code); calls cb for each record. */
struct tally {
        size_t ok, decode, invalid, other;
        char last_err[512];
};

static void read_all(const char *path, enum xs_format fmt, enum xs_record_kind kind,
                     struct tally *t, void (*cb)(const struct xs_record *, void *), void *opaque)
{
        char errstr[512];
        memset(t, 0, sizeof(*t));
        struct xs_reader *r = xs_reader_open(path, fmt, kind, errstr, sizeof(errstr));
        if (!r)
                fail_msg("open %s: %s", path, errstr);
        for (;;) {
                struct xs_record rec;
                int eof;
                xs_err_t err = xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr));
                if (err == XS_OK && eof)
                        break;
                if (err == XS_OK) {
                        t->ok++;
                        if (cb)
                                cb(&rec, opaque);
                        continue;
                }
                snprintf(t->last_err, sizeof(t->last_err), "%s", errstr);
                if (err == XS_ERR_DECODE)
                        t->decode++;
                else if (err == XS_ERR_INVALID)
                        t->invalid++;
                else
                        fail_msg("unexpected %s: %s", xs_err_name(err), errstr);
        }
        xs_reader_close(r);
}

/* Copies of the records read, for checks after the reader is gone. */
struct bag {
        struct xs_event *ev[64];
        struct xs_product *p[64];
        int tomb[64];
        char errs[64][512];
        size_t n, n_errs;
};

static void bag_read(const char *path, enum xs_format fmt, enum xs_record_kind kind, struct bag *b)
{
        char errstr[512];
        memset(b, 0, sizeof(*b));
        struct xs_reader *r = xs_reader_open(path, fmt, kind, errstr, sizeof(errstr));
        if (!r)
                fail_msg("open %s: %s", path, errstr);
        for (;;) {
                struct xs_record rec;
                int eof;
                xs_err_t err = xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr));
                if (err == XS_OK && eof)
                        break;
                assert_true(err == XS_OK || err == XS_ERR_DECODE || err == XS_ERR_INVALID);
                if (err != XS_OK) {
                        assert_true(b->n_errs < 64);
                        snprintf(b->errs[b->n_errs++], sizeof(b->errs[0]), "%s", errstr);
                        continue;
                }
                assert_true(b->n < 64);
                if (kind == XS_KIND_EVENT) {
                        b->ev[b->n] = xs_event_copy(&rec.ev);
                } else {
                        b->p[b->n] = xs_product_copy(&rec.product);
                        b->tomb[b->n] = rec.tombstone;
                }
                b->n++;
        }
        xs_reader_close(r);
}

static void bag_free(struct bag *b)
{
        for (size_t i = 0; i < b->n; i++) {
                xs_event_free(b->ev[i]);
                xs_product_free(b->p[i]);
        }
}

static int has_err(const struct bag *b, const char *needle)
{
        for (size_t i = 0; i < b->n_errs; i++)
                if (strstr(b->errs[i], needle))
                        return 1;
        return 0;
}

/* ---- text helpers ---- */

static void test_time_and_money(void **state)
{
        int64_t ms, c;
        assert_int_equal(xs_io_parse_utc("1970-01-01 00:00:00", 19, &ms), 0);
        assert_int_equal(ms, 0);
        assert_int_equal(xs_io_parse_utc("2019-10-01 02:39:59 UTC", 23, &ms), 0);
        assert_int_equal(ms, 1569897599000LL);
        assert_int_equal(xs_io_parse_utc("2024-02-29 12:00:00", 19, &ms), 0);
        assert_int_equal(xs_io_parse_utc("2023-02-29 12:00:00", 19, &ms), -1);
        assert_int_equal(xs_io_parse_utc("2019-13-01 00:00:00", 19, &ms), -1);
        assert_int_equal(xs_io_parse_utc("2019-10-01 24:00:00", 19, &ms), -1);
        assert_int_equal(xs_io_parse_utc("2019-10-01 00:00:00 CET", 23, &ms), -1);
        assert_int_equal(xs_io_parse_utc("2019-10-01", 10, &ms), -1);
        char buf[32];
        xs_io_format_utc(1569897599000LL, buf, sizeof(buf));
        assert_string_equal(buf, "2019-10-01 02:39:59");
        xs_io_format_utc(951782400000LL, buf, sizeof(buf));
        assert_string_equal(buf, "2000-02-29 00:00:00");
        /* every day of 1900..2100 round-trips through the civil conversion */
        for (int64_t d = -25567; d < 47482; d += 1) {
                xs_io_format_utc(d * 86400000LL + 3723000, buf, sizeof(buf));
                assert_int_equal(xs_io_parse_utc(buf, strlen(buf), &ms), 0);
                assert_int_equal(ms, d * 86400000LL + 3723000);
        }
        assert_int_equal(xs_io_parse_money("2574.07", 7, &c), 0);
        assert_int_equal(c, 257407);
        assert_int_equal(xs_io_parse_money("0.00", 4, &c), 0);
        assert_int_equal(c, 0);
        assert_int_equal(xs_io_parse_money("2.1", 3, &c), 0);
        assert_int_equal(c, 210);
        assert_int_equal(xs_io_parse_money("3", 1, &c), 0);
        assert_int_equal(c, 300);
        assert_int_equal(xs_io_parse_money(".5", 2, &c), 0);
        assert_int_equal(c, 50);
        assert_int_equal(xs_io_parse_money("-11062.06", 9, &c), 0);
        assert_int_equal(c, -1106206);
        assert_int_equal(xs_io_parse_money("1.250", 5, &c), 0);
        assert_int_equal(c, 125);
        assert_int_equal(xs_io_parse_money("0.001", 5, &c), -1); /* not exact */
        assert_int_equal(xs_io_parse_money("", 0, &c), -1);
        assert_int_equal(xs_io_parse_money(".", 1, &c), -1);
        assert_int_equal(xs_io_parse_money("1e3", 3, &c), -1);
        assert_int_equal(xs_io_parse_money("99999999999999999999", 20, &c), -1);
        assert_int_equal(xs_format_parse("rees46"), XS_FMT_REES46);
        assert_int_equal(xs_format_parse("nope"), -1);
        assert_string_equal(xs_format_name(XS_FMT_GROCERIES), "groceries");
}

/* ---- JSON lines ---- */

static void test_jsonl_roundtrip_events(void **state)
{
        char errstr[256];
        const char *path = tmp_path("rt.jsonl");
        struct xs_line_item items[2] = {
            {"p1", 2, 1999, "electronics.smartphone", "acme", "Smartphones"},
            {"p\"2\\\n\xc3\xa9", 1, -1, NULL, NULL, NULL},
        };
        struct xs_event evs[3] = {
            {.event_id = "e1",
             .customer_id = "c1",
             .session_id = "s1",
             .event_time = 1700000000123LL,
             .type = XS_EV_PURCHASE,
             .items = items,
             .n_items = 2,
             .currency = "EUR",
             .order_id = "o1"},
            {.event_id = "e2",
             .customer_id = "c2",
             .event_time = -5,
             .type = XS_EV_OFFER_DISMISSED,
             .offer_id = "deadbeef"},
            {.event_id = "e3",
             .customer_id = "c\x01",
             .event_time = 9007199254740993LL,
             .type = XS_EV_FORGET},
        };
        struct xs_writer *w =
            xs_writer_open(path, XS_FMT_JSONL, XS_KIND_EVENT, errstr, sizeof(errstr));
        assert_non_null(w);
        for (int i = 0; i < 3; i++)
                assert_int_equal(xs_writer_event(w, &evs[i]), XS_OK);
        struct xs_product p = {0};
        assert_int_equal(xs_writer_product(w, &p, 0), XS_ERR_INVALID); /* wrong kind */
        assert_int_equal(xs_writer_close(w, errstr, sizeof(errstr)), XS_OK);

        size_t n;
        char *text = slurp(path, &n);
        assert_string_equal(
            strtok(text, "\n"),
            "{\"event_id\":\"e1\",\"customer_id\":\"c1\",\"session_id\":\"s1\",\"event_time\":"
            "1700000000123,\"type\":\"PURCHASE\",\"items\":[{\"product_id\":\"p1\",\"quantity\":2,"
            "\"unit_price\":1999,\"category\":\"electronics.smartphone\",\"brand\":\"acme\","
            "\"category_label\":\"Smartphones\"},{"
            "\"product_id\":\"p\\\"2\\\\\\u000a\xc3\xa9\",\"quantity\":1,\"unit_price\":null,"
            "\"category\":null,\"brand\":null,\"category_label\":null}],\"currency\":\"EUR\","
            "\"order_id\":\"o1\","
            "\"offer_id\":null}");
        free(text);

        struct bag b;
        bag_read(path, XS_FMT_AUTO, XS_KIND_EVENT, &b);
        assert_int_equal(b.n, 3);
        assert_int_equal(b.n_errs, 0);
        const struct xs_event *e = b.ev[0];
        assert_string_equal(e->event_id, "e1");
        assert_string_equal(e->session_id, "s1");
        assert_int_equal(e->event_time, 1700000000123LL);
        assert_int_equal(e->type, XS_EV_PURCHASE);
        assert_int_equal(e->n_items, 2);
        assert_string_equal(e->items[1].product_id, "p\"2\\\n\xc3\xa9");
        assert_int_equal(e->items[1].unit_price, -1);
        assert_null(e->items[1].category);
        assert_int_equal(e->items[0].quantity, 2);
        assert_string_equal(e->items[0].brand, "acme");
        assert_string_equal(e->items[0].category_label, "Smartphones");
        assert_null(e->items[1].category_label);
        assert_string_equal(e->currency, "EUR");
        assert_string_equal(e->order_id, "o1");
        assert_null(e->offer_id);
        assert_int_equal(b.ev[1]->event_time, -5);
        assert_string_equal(b.ev[1]->offer_id, "deadbeef");
        assert_null(b.ev[1]->session_id);
        assert_string_equal(b.ev[1]->currency, "");
        assert_string_equal(b.ev[2]->customer_id, "c\x01");
        assert_int_equal(b.ev[2]->event_time, 9007199254740993LL);
        bag_free(&b);
}

static void test_jsonl_roundtrip_products(void **state)
{
        char errstr[256];
        const char *path = tmp_path("cat.jsonl");
        const char *ups[2] = {"u1", "u2"}, *downs[1] = {"d1"};
        struct xs_product ps[2] = {
            {.product_id = "p1",
             .category = "c",
             .brand = "b",
             .price = 12345,
             .currency = "EUR",
             .in_stock = 1,
             .upgrades = ups,
             .n_upgrades = 2,
             .downgrades = downs,
             .n_downgrades = 1,
             .category_label = "Cases",
             .addon = "warranty"},
            {.product_id = "p2", .price = 0, .currency = "USD", .in_stock = 0},
        };
        struct xs_writer *w =
            xs_writer_open(path, XS_FMT_JSONL, XS_KIND_PRODUCT, errstr, sizeof(errstr));
        assert_non_null(w);
        assert_int_equal(xs_writer_product(w, &ps[0], 0), XS_OK);
        assert_int_equal(xs_writer_product(w, &ps[1], 0), XS_OK);
        assert_int_equal(xs_writer_product(w, &ps[1], 1), XS_OK);
        assert_int_equal(xs_writer_close(w, errstr, sizeof(errstr)), XS_OK);
        /* a hand-written tombstone needs only the id; defaults apply to the rest */
        FILE *f = fopen(path, "a");
        fputs("{\"product_id\":\"p3\",\"deleted\":true}\n", f);
        fputs("{\"product_id\":\"p4\",\"price\":5,\"currency\":\"EUR\",\"extra\":[1]}\n", f);
        fputs("{\"product_id\":\"p5\",\"currency\":\"EUR\"}\n", f);
        fclose(f);
        struct bag b;
        bag_read(path, XS_FMT_JSONL, XS_KIND_PRODUCT, &b);
        assert_int_equal(b.n, 5);
        assert_int_equal(b.n_errs, 1);
        assert_true(has_err(&b, ":6: price: missing"));
        assert_string_equal(b.p[0]->product_id, "p1");
        assert_int_equal(b.p[0]->price, 12345);
        assert_int_equal(b.p[0]->n_upgrades, 2);
        assert_string_equal(b.p[0]->upgrades[1], "u2");
        assert_string_equal(b.p[0]->downgrades[0], "d1");
        assert_string_equal(b.p[0]->category_label, "Cases");
        assert_string_equal(b.p[0]->addon, "warranty");
        assert_null(b.p[1]->addon);
        assert_int_equal(b.p[0]->in_stock, 1);
        assert_int_equal(b.tomb[0], 0);
        assert_int_equal(b.p[1]->in_stock, 0);
        assert_null(b.p[1]->category);
        assert_int_equal(b.tomb[2], 1);
        assert_int_equal(b.tomb[3], 1);
        assert_string_equal(b.p[3]->product_id, "p3");
        assert_int_equal(b.p[4]->in_stock, 1); /* default */
        bag_free(&b);
}

static void test_jsonl_bad_lines(void **state)
{
        const char *path = write_tmp(
            "bad.jsonl",
            "not json\n"
            "[1,2]\n"
            "{\"event_id\":\"e1\",\"customer_id\":\"c\",\"event_time\":\"soon\",\"type\":"
            "\"FORGET\"}\n"
            "{\"customer_id\":\"c\",\"event_time\":1,\"type\":\"FORGET\"}\n"
            "{\"event_id\":\"e2\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"TELEPORT\"}\n"
            "{\"event_id\":\"e3\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"PURCHASE\","
            "\"items\":[{\"product_id\":\"p\",\"quantity\":99999999999}]}\n"
            "{\"event_id\":\"e4\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"PURCHASE\","
            "\"items\":[{\"product_id\":\"p\",\"quantity\":0}]}\n"
            "{\"event_id\":\"e5\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"PURCHASE\","
            "\"items\":[{\"product_id\":\"p\",\"unit_price\":-3}]}\n"
            "{\"event_id\":\"e6\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"PURCHASE\","
            "\"items\":{}}\n"
            "{\"event_id\":\"e7\",\"customer_id\":\"\",\"event_time\":1,\"type\":\"FORGET\"}\n"
            "{\"event_id\":\"e8\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"FORGET\","
            "\"currency\":\"EURO\"}\n"
            "{\"event_id\":\"e9\",\"event_id\":\"e9\"}\n"
            "{\"event_id\":\"e12\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"PURCHASE\","
            "\"items\":[{\"product_id\":\"ok\"},{\"product_id\":7}]}\n"
            "\n"
            "   \n"
            "{\"event_id\":\"e10\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"ADD_TO_CART\","
            "\"items\":[{\"product_id\":\"p\"}]}\n"
            "{\"event_id\":\"e11\",\"customer_id\":\"c\",\"event_ti");
        struct bag b;
        bag_read(path, XS_FMT_JSONL, XS_KIND_EVENT, &b);
        /* values that decode (quantity 0 or huge, a negative price, an empty id) are passed
         * on: the engine judges the contract and counts violations by reason */
        assert_int_equal(b.n, 6);
        assert_string_equal(b.ev[0]->event_id, "e2");
        assert_int_equal(b.ev[0]->type, XS_EV_UNKNOWN);
        assert_string_equal(b.ev[1]->event_id, "e3");
        assert_int_equal(b.ev[1]->items[0].quantity, INT32_MAX); /* clamped, then rejected */
        assert_int_equal(b.ev[2]->items[0].quantity, 0);
        assert_int_equal(b.ev[3]->items[0].unit_price, -3);
        assert_string_equal(b.ev[4]->customer_id, "");
        assert_string_equal(b.ev[5]->event_id, "e10");
        assert_int_equal(b.ev[5]->items[0].quantity, 1); /* default */
        assert_int_equal(b.ev[5]->items[0].unit_price, -1);
        assert_int_equal(b.ev[5]->n_items, 1); /* nothing left from the skipped line 13 */
        assert_int_equal(b.n_errs, 9);
        assert_true(has_err(&b, "bad.jsonl:13: items.product_id: not a string"));
        assert_true(has_err(&b, "bad.jsonl:1: not JSON"));
        assert_true(has_err(&b, "bad.jsonl:2: line: not a JSON object"));
        assert_true(has_err(&b, "bad.jsonl:3: event_time: not an integer"));
        assert_true(has_err(&b, "bad.jsonl:4: event_id: missing"));
        assert_true(has_err(&b, "bad.jsonl:9: items: not an array"));
        assert_true(has_err(&b, "bad.jsonl:11: currency"));
        assert_true(has_err(&b, "bad.jsonl:12: not JSON")); /* duplicate key */
        assert_true(has_err(&b, "bad.jsonl:17: not JSON")); /* truncated */
        bag_free(&b);
}

static void test_jsonl_huge_basket(void **state)
{
        /* 100,000 items on one line is over the line bound: skipped, the next line reads. */
        const char *path = tmp_path("huge.jsonl");
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs("{\"event_id\":\"big\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"PURCHASE\","
              "\"items\":[",
              f);
        for (int i = 0; i < 100000; i++)
                fprintf(f, "%s{\"product_id\":\"p%d\"}", i ? "," : "", i);
        fputs("]}\n", f);
        fputs(
            "{\"event_id\":\"small\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"PURCHASE\","
            "\"items\":[{\"product_id\":\"p\"}]}\n",
            f);
        /* 5,000 items fit: read whole */
        fputs("{\"event_id\":\"mid\",\"customer_id\":\"c\",\"event_time\":1,\"type\":\"PURCHASE\","
              "\"items\":[",
              f);
        for (int i = 0; i < 5000; i++)
                fprintf(f, "%s{\"product_id\":\"p%d\"}", i ? "," : "", i);
        fputs("]}\n", f);
        fclose(f);
        struct bag b;
        bag_read(path, XS_FMT_JSONL, XS_KIND_EVENT, &b);
        assert_int_equal(b.n_errs, 1);
        assert_true(has_err(&b, "huge.jsonl:1: line: longer than 1 MiB"));
        assert_int_equal(b.n, 2);
        assert_string_equal(b.ev[0]->event_id, "small");
        assert_int_equal(b.ev[1]->n_items, 5000);
        bag_free(&b);
}

/* ---- REES46 ---- */

#define REES_HDR                                                                                   \
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,"          \
        "user_session\n"

static void test_rees46(void **state)
{
        const char *path = write_tmp(
            "r.csv", REES_HDR
            "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,"
            "72d76fde-8bb3-4e00-8c23-a032dfed738c\n"
            "2019-10-01 00:00:01 UTC,cart,17200506,2053013559792632471,furniture.living_room.sofa,"
            ",2574.07,519107250,566511c2\r\n"
            "2019-10-01 00:00:02 UTC,purchase,1307067,2053013558920217191,computers.notebook,"
            "lenovo,0.00,550050854,7c90fc70\n"
            "2019-10-01 00:00:03 UTC,remove_from_cart,1,,,,1.5,7,\n"
            "2019-10-01 00:00:04 UTC,view,1,2,,,1.00,7\n"       /* 8 fields */
            "2019-10-01 25:00:04 UTC,view,1,2,,,1.00,7,s\n"     /* bad time */
            "2019-10-01 00:00:04 UTC,wishlist,1,2,,,1.00,7,s\n" /* unknown type */
            "2019-10-01 00:00:04 UTC,view,1,2,,,12.345,7,s\n"   /* sub-cent price */
            "2019-10-01 00:00:04 UTC,view,1,2,,,-1.00,7,s\n"    /* negative price */
            "2019-10-01 00:00:04 UTC,view,,2,,,1.00,7,s\n"      /* no product */
            "2019-10-01 00:00:04 UTC,view,1,2,\"a,b\",\"x\"\"y\",1.00,7,s\n"
            "2019-10-01 00:00:04 UTC,view,1,2,\"unterminated,,1.00,7,s\n"
            "\n"
            "2019-10-01 00:00:05 UTC,view,9,2,,,1.00,7,s");
        struct bag b;
        bag_read(path, XS_FMT_AUTO, XS_KIND_EVENT, &b);
        assert_int_equal(b.n, 6);
        assert_int_equal(b.n_errs, 7);
        const struct xs_event *e = b.ev[0];
        assert_string_equal(e->event_id, "rees46:2");
        assert_string_equal(e->customer_id, "541312140");
        assert_string_equal(e->session_id, "72d76fde-8bb3-4e00-8c23-a032dfed738c");
        assert_int_equal(e->event_time, 1569888000000LL);
        assert_int_equal(e->type, XS_EV_PRODUCT_VIEW);
        assert_int_equal(e->n_items, 1);
        assert_string_equal(e->items[0].product_id, "44600062");
        assert_string_equal(e->items[0].category, "2103807459595387724"); /* always the id */
        assert_null(e->items[0].category_label);                          /* no code */
        assert_string_equal(e->items[0].brand, "shiseido");
        assert_int_equal(e->items[0].unit_price, 3579);
        assert_int_equal(e->items[0].quantity, 1);
        assert_string_equal(e->currency, "USD");
        assert_null(e->order_id);
        e = b.ev[1];
        assert_int_equal(e->type, XS_EV_ADD_TO_CART);
        /* the finest category is the key, the coarser code its readable label (issue 9 item 4) */
        assert_string_equal(e->items[0].category, "2053013559792632471");
        assert_string_equal(e->items[0].category_label, "furniture.living_room.sofa");
        assert_null(e->items[0].brand);
        assert_int_equal(e->items[0].unit_price, 257407);
        assert_string_equal(e->session_id, "566511c2"); /* CR stripped */
        e = b.ev[2];
        assert_int_equal(e->type, XS_EV_PURCHASE);
        assert_string_equal(e->order_id, "7c90fc70");
        assert_int_equal(e->items[0].unit_price, 0);
        e = b.ev[3];
        assert_int_equal(e->type, XS_EV_REMOVE_FROM_CART);
        assert_null(e->items[0].category);
        assert_null(e->session_id);
        assert_int_equal(e->items[0].unit_price, 150);
        assert_string_equal(b.ev[4]->items[0].category, "2");
        assert_string_equal(b.ev[4]->items[0].category_label, "a,b");
        assert_string_equal(b.ev[4]->items[0].brand, "x\"y");
        assert_string_equal(b.ev[5]->event_id, "rees46:15");
        assert_true(has_err(&b, "r.csv:6: expected 9 fields"));
        assert_true(has_err(&b, "r.csv:7: bad event_time"));
        assert_true(has_err(&b, "r.csv:8: unknown event_type"));
        assert_true(has_err(&b, "r.csv:9: bad price"));
        assert_true(has_err(&b, "r.csv:10: negative price"));
        assert_true(has_err(&b, "r.csv:11: empty product_id"));
        assert_true(has_err(&b, "r.csv:13: expected 9 fields"));
        bag_free(&b);

        char errstr[256];
        path = write_tmp("notrees.csv", "event_time,event_type,product_id\n1,2,3\n");
        assert_null(xs_reader_open(path, XS_FMT_REES46, XS_KIND_EVENT, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, "not a rees46 file"));
        assert_null(xs_reader_open(path, XS_FMT_REES46, XS_KIND_PRODUCT, errstr, sizeof(errstr)));
}

/* ---- UCI Online Retail ---- */

#define RETAIL_HDR                                                                                 \
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

static const char retail_text[] = RETAIL_HDR
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United "
    "Kingdom\n"
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom\n"
    "536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850.0,United Kingdom\n"
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,4,2010-12-01 08:27:00,2.55,17850.0,United "
    "Kingdom\n"
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom\n"
    "536365,82567,\"AIRLINE LOUNGE,METAL SIGN\",2,2010-12-01 08:28:00,2.1,17850.0,United Kingdom\n"
    "536400,21506,\"FANCY FONT BIRTHDAY CARD, \",24,12/1/2010 10:39,0.42,,United Kingdom\n"
    "536400,22041,\"RECORD FRAME 7\"\" SINGLE SIZE \",48,2010-12-01 10:39:00,2.1,,United Kingdom\n"
    "536401,22000,BROKEN,-3,2010-12-01 10:40:00,2.1,13000.0,France\n"
    "536401,22001,FREE,3,2010-12-01 10:40:00,0,13000.0,France\n"
    "536401,22002,BAD QTY,x,2010-12-01 10:40:00,1,13000.0,France\n"
    "536401,22003,SHORT,1,2010-12-01 10:40:00\n"
    "536402,gift_0001_10,GIFT VOUCHER,1,2010-12-01 10:41:00,8.5,13001.0,France\n"
    "536402,10002,INFLATABLE POLITICAL GLOBE ,99999999999,2010-12-01 10:41:00,0.85,13001.0,France\n"
    "536403,10002,INFLATABLE POLITICAL GLOBE ,12,2010-12-01 10:42:00,0.85,13002.0,France\n";

static void check_retail(const char *path, enum xs_format fmt)
{
        struct bag b;
        bag_read(path, fmt, XS_KIND_EVENT, &b);
        assert_int_equal(b.n, 3);
        const struct xs_event *e = b.ev[0];
        assert_string_equal(e->event_id, "retail:536365");
        assert_string_equal(e->order_id, "536365");
        assert_string_equal(e->customer_id, "17850");
        assert_int_equal(e->type, XS_EV_PURCHASE);
        assert_string_equal(e->currency, "GBP");
        assert_int_equal(e->event_time, 1291192080000LL); /* the last line, 08:28 */
        assert_int_equal(e->n_items, 3);
        assert_string_equal(e->items[0].product_id, "85123A");
        assert_int_equal(e->items[0].quantity, 10); /* 6 + 4 merged */
        assert_int_equal(e->items[0].unit_price, 255);
        assert_string_equal(e->items[0].category, "HOLDER");
        assert_null(e->items[0].brand);
        assert_string_equal(e->items[1].category, "LANTERN");
        assert_string_equal(e->items[2].product_id, "82567");
        assert_string_equal(e->items[2].category, "SIGN");
        assert_int_equal(e->items[2].unit_price, 210);
        e = b.ev[1];
        assert_string_equal(e->customer_id, "guest:536400");
        assert_int_equal(e->n_items, 2);
        assert_string_equal(e->items[0].category, "CARD");
        assert_string_equal(e->items[1].category, "SIZE");
        assert_int_equal(e->event_time, 1291199940000LL);
        e = b.ev[2];
        assert_string_equal(e->event_id, "retail:536403");
        assert_int_equal(e->items[0].quantity, 12);
        /* skipped, each with its reason */
        assert_int_equal(b.n_errs, 8);
        assert_true(has_err(&b, ":4: skipped non_product: StockCode \"POST\""));
        assert_true(has_err(&b, ":6: skipped cancellation: invoice C536379"));
        assert_true(has_err(&b, ":10: skipped quantity: -3"));
        assert_true(has_err(&b, ":11: skipped price: 0"));
        assert_true(has_err(&b, ":12: bad Quantity"));
        assert_true(has_err(&b, ":13: expected 8 fields"));
        assert_true(has_err(&b, ":14: skipped non_product"));
        assert_true(has_err(&b, ":15: skipped quantity: 99999999999 is absurd"));
        bag_free(&b);
}

static void test_retail(void **state)
{
        check_retail(write_tmp("retail.csv", retail_text), XS_FMT_RETAIL);
        check_retail(tmp_path("retail.csv"), XS_FMT_AUTO);
        /* gzip, two members, auto-detected by the magic bytes whatever the name */
        const char *gz = tmp_path("retail.data");
        gzFile g = gzopen(gz, "wb");
        assert_non_null(g);
        size_t half = sizeof(retail_text) / 2;
        assert_int_equal(gzwrite(g, retail_text, (unsigned)half), (int)half);
        gzclose(g);
        g = gzopen(gz, "ab");
        assert_int_equal(gzwrite(g, retail_text + half, (unsigned)(strlen(retail_text) - half)),
                         (int)(strlen(retail_text) - half));
        gzclose(g);
        check_retail(gz, XS_FMT_AUTO);
        check_retail(gz, XS_FMT_RETAIL);

        /* a truncated gzip file is an I/O error, not a crash */
        size_t n;
        char *bytes = slurp(gz, &n);
        const char *cut = tmp_path("cut.csv.gz");
        FILE *f = fopen(cut, "wb");
        fwrite(bytes, 1, n / 2, f);
        fclose(f);
        free(bytes);
        char errstr[256];
        struct xs_reader *r =
            xs_reader_open(cut, XS_FMT_AUTO, XS_KIND_EVENT, errstr, sizeof(errstr));
        if (r) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t err = XS_OK;
                for (int i = 0; i < 100 && !(err == XS_OK && eof) && err != XS_ERR_IO; i++)
                        err = xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr));
                xs_reader_close(r);
        }
}

/* ---- Groceries ---- */

static void test_groceries(void **state)
{
        const char *path = write_tmp("g.basket", "citrus fruit,semi-finished bread,margarine\n"
                                                 "whole milk,cream cheese ,whole milk\r\n"
                                                 "\n"
                                                 ",,\n"
                                                 "yogurt,,coffee");
        struct bag b;
        bag_read(path, XS_FMT_AUTO, XS_KIND_EVENT, &b);
        assert_int_equal(b.n, 3);
        assert_int_equal(b.n_errs, 2);
        assert_true(has_err(&b, "g.basket:3: empty basket"));
        assert_true(has_err(&b, "g.basket:4: empty basket"));
        const struct xs_event *e = b.ev[0];
        assert_string_equal(e->event_id, "groceries:1");
        assert_string_equal(e->customer_id, "groceries:1");
        assert_string_equal(e->order_id, "1");
        assert_int_equal(e->event_time, 1000000000001LL);
        assert_int_equal(e->type, XS_EV_PURCHASE);
        assert_int_equal(e->n_items, 3);
        assert_string_equal(e->items[1].product_id, "semi-finished bread");
        assert_int_equal(e->items[1].unit_price, -1);
        assert_int_equal(e->items[1].quantity, 1);
        e = b.ev[1];
        assert_int_equal(e->n_items, 2);                              /* deduplicated */
        assert_string_equal(e->items[1].product_id, "cream cheese "); /* trailing space kept */
        assert_int_equal(b.ev[2]->n_items, 2);
        assert_string_equal(b.ev[2]->event_id, "groceries:5");
        bag_free(&b);
}

static void test_auto_detect(void **state)
{
        char errstr[256];
        const char *p = write_tmp("x.txt", "{\"event_id\":\"e\",\"customer_id\":\"c\","
                                           "\"event_time\":1,\"type\":\"FORGET\"}\n");
        struct xs_reader *r = xs_reader_open(p, XS_FMT_AUTO, XS_KIND_EVENT, errstr, sizeof(errstr));
        assert_non_null(r);
        assert_int_equal(xs_reader_format(r), XS_FMT_JSONL);
        assert_true(xs_reader_bytes_total(r) > 0);
        xs_reader_close(r);
        p = write_tmp("y.txt", "hello,world\n");
        assert_null(xs_reader_open(p, XS_FMT_AUTO, XS_KIND_EVENT, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, "cannot tell the format"));
        p = write_tmp("empty.txt", "");
        assert_null(xs_reader_open(p, XS_FMT_AUTO, XS_KIND_EVENT, errstr, sizeof(errstr)));
        assert_null(xs_reader_open(tmp_path("missing.jsonl"), XS_FMT_AUTO, XS_KIND_EVENT, errstr,
                                   sizeof(errstr)));
        /* a stream the caller opened */
        static char text[] = REES_HDR "2019-10-01 00:00:00 UTC,view,1,2,,,1.00,7,s\n";
        FILE *f = fmemopen(text, strlen(text), "rb");
        r = xs_reader_open_stream(f, "mem", XS_FMT_AUTO, XS_KIND_EVENT, errstr, sizeof(errstr));
        assert_non_null(r);
        assert_int_equal(xs_reader_format(r), XS_FMT_REES46);
        struct xs_record rec;
        int eof;
        assert_int_equal(xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr)), XS_OK);
        assert_int_equal(eof, 0);
        assert_int_equal(xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr)), XS_OK);
        assert_int_equal(eof, 1);
        assert_int_equal(xs_reader_bytes_read(r), strlen(text));
        xs_reader_close(r);
        fclose(f);
}

/* ---- writers of engine outputs ---- */

static void test_write_outputs(void **state)
{
        char errstr[256];
        struct xs_offer o;
        memset(&o, 0, sizeof(o));
        strcpy(o.offer_id, "0123456789abcdef0123456789abcdef");
        o.customer_id = "c1";
        o.type = XS_OFFER_UPSELL;
        o.stage = XS_STAGE_CART;
        o.channel = XS_CHANNEL_ONSITE;
        o.trigger_event_id = "e1";
        o.anchor_product_id = "p1";
        o.n_items = 1;
        o.items[0].product_id = "p2";
        o.items[0].price = 2999;
        o.items[0].score = 12.3456789;
        o.items[0].evidence.k11 = 3;
        o.items[0].evidence.llr = -0.5;
        o.items[0].evidence.lift = 1.0 / 0.0;
        o.items[0].evidence.rel[XS_REL_ORDER] = 3;
        o.items[0].evidence.rel[XS_REL_VIEW_BUY] = 7;
        o.n_incentives = 1;
        o.incentives[0].kind = XS_INC_FREE_SHIPPING;
        o.incentives[0].threshold = 5000;
        o.incentives[0].amount = 120;
        strcpy(o.incentives[0].currency, "EUR");
        o.incentives[0].valid_until = 99;
        o.rule = "cart_upsell";
        o.score_kind = "catalog";
        o.window_ms = 604800000;
        o.cart_value = 4880;
        strcpy(o.currency, "EUR");
        o.created_at = 10;
        o.expires_at = 20;
        const char *path = tmp_path("offers.jsonl");
        struct xs_writer *w =
            xs_writer_open(path, XS_FMT_JSONL, XS_KIND_OFFER, errstr, sizeof(errstr));
        assert_non_null(w);
        assert_int_equal(xs_writer_offer(w, &o), XS_OK);
        assert_int_equal(xs_writer_close(w, errstr, sizeof(errstr)), XS_OK);
        size_t n;
        char *text = slurp(path, &n);
        assert_string_equal(
            text,
            "{\"offer_id\":\"0123456789abcdef0123456789abcdef\",\"customer_id\":\"c1\",\"type\":"
            "\"UPSELL\",\"stage\":\"CART\",\"channel\":\"ONSITE\",\"trigger_event_id\":\"e1\","
            "\"anchor_product_id\":\"p1\",\"items\":[{\"product_id\":\"p2\",\"category\":null,"
            "\"brand\":null,\"price\":2999,\"score\":12.3457,\"evidence\":{\"k11\":3,\"k12\":0,"
            "\"k21\":0,\"k22\":0,\"llr\":-0.5,\"lift\":null,\"order_count\":3,\"customer_count\":0,"
            "\"cart_count\":0,\"view_count\":0,\"view_buy_count\":7,"
            "\"reorder_interval_ms\":0,\"last_purchase_at\":0,\"repeat_buyers\":0},\"category_"
            "label\":null,"
            "\"addon\":null}],\"incentives\":[{\"kind\":"
            "\"FREE_SHIPPING\",\"percent\":0,\"threshold\":5000,\"amount\":120,\"currency\":"
            "\"EUR\","
            "\"valid_until\":99}],\"rule\":\"cart_upsell\",\"score_kind\":\"catalog\",\"window_"
            "ms\":"
            "604800000,\"cart_value\":4880,\"currency\":\"EUR\",\"created_at\":10,\"expires_at\":"
            "20}"
            "\n");
        free(text);

        struct xs_signal s = {"c1", XS_STAGE_CART,  XS_STAGE_CART_ABANDONED,
                              NULL, "cart_timeout", 42};
        struct xs_outcome oc = {
            "0123", "c1", XS_OFFER_DOWNSELL, XS_STAGE_CART_ABANDONED, "p3", NULL, "e9", 1, 2, 1};
        path = tmp_path("sig.jsonl");
        w = xs_writer_open(path, XS_FMT_JSONL, XS_KIND_SIGNAL, errstr, sizeof(errstr));
        assert_int_equal(xs_writer_signal(w, &s), XS_OK);
        assert_int_equal(xs_writer_outcome(w, &oc), XS_ERR_INVALID);
        assert_int_equal(xs_writer_close(w, errstr, sizeof(errstr)), XS_OK);
        text = slurp(path, &n);
        assert_string_equal(text, "{\"customer_id\":\"c1\",\"from_stage\":\"CART\",\"to_stage\":"
                                  "\"CART_ABANDONED\",\"reason\":\"cart_timeout\","
                                  "\"trigger_event_id\":null,\"event_time\":42}\n");
        free(text);
        path = tmp_path("out.jsonl");
        w = xs_writer_open(path, XS_FMT_JSONL, XS_KIND_OUTCOME, errstr, sizeof(errstr));
        assert_int_equal(xs_writer_outcome(w, &oc), XS_OK);
        assert_int_equal(xs_writer_close(w, errstr, sizeof(errstr)), XS_OK);
        text = slurp(path, &n);
        assert_string_equal(text, "{\"offer_id\":\"0123\",\"customer_id\":\"c1\",\"offer_type\":"
                                  "\"DOWNSELL\",\"stage\":\"CART_ABANDONED\",\"product_id\":\"p3\","
                                  "\"order_id\":null,\"purchase_event_id\":\"e9\","
                                  "\"offer_created_at\":1,\"converted_at\":2,\"control\":true}\n");
        free(text);
        assert_null(xs_writer_open(path, XS_FMT_REES46, XS_KIND_EVENT, errstr, sizeof(errstr)));
        assert_null(xs_writer_open("/nonexistent/dir/x", XS_FMT_JSONL, XS_KIND_EVENT, errstr,
                                   sizeof(errstr)));
}

/* ---- Avro ---- */

static void avro_ev_cb(const struct xs_record *rec, void *opaque)
{
        const struct xs_event *e = &rec->ev;
        assert_string_equal(e->event_id, "e1");
        assert_string_equal(e->session_id, "s");
        assert_int_equal(e->event_time, 1700000000000LL);
        assert_int_equal(e->type, XS_EV_ADD_TO_CART);
        assert_int_equal(e->n_items, 1);
        assert_int_equal(e->items[0].quantity, 3);
        assert_int_equal(e->items[0].unit_price, 250);
        assert_string_equal(e->items[0].category, "cat");
        assert_null(e->items[0].brand);
        assert_string_equal(e->currency, "EUR");
}

static void test_avro_roundtrip(void **state)
{
        char errstr[256];
        struct xs_line_item items[1] = {{"p1", 3, 250, "cat", NULL, NULL}};
        struct xs_event ev = {.event_id = "e1",
                              .customer_id = "c1",
                              .session_id = "s",
                              .event_time = 1700000000000LL,
                              .type = XS_EV_ADD_TO_CART,
                              .items = items,
                              .n_items = 1,
                              .currency = "EUR"};
        const char *path = tmp_path("ev.avro");
        struct xs_writer *w =
            xs_writer_open(path, XS_FMT_AUTO, XS_KIND_EVENT, errstr, sizeof(errstr));
        assert_non_null(w);
        for (int i = 0; i < 5000; i++)
                assert_int_equal(xs_writer_event(w, &ev), XS_OK);
        assert_int_equal(xs_writer_close(w, errstr, sizeof(errstr)), XS_OK);
        struct tally t;
        read_all(path, XS_FMT_AUTO, XS_KIND_EVENT, &t, NULL, NULL);
        assert_int_equal(t.ok, 5000);
        assert_int_equal(t.decode + t.invalid, 0);
        read_all(path, XS_FMT_AVRO, XS_KIND_EVENT, &t, avro_ev_cb, NULL);
        assert_int_equal(t.ok, 5000);

        const char *ups[1] = {"p9"};
        struct xs_product p = {.product_id = "p1",
                               .category = "cat",
                               .price = 999,
                               .currency = "EUR",
                               .in_stock = 1,
                               .upgrades = ups,
                               .n_upgrades = 1};
        path = tmp_path("cat.avro");
        w = xs_writer_open(path, XS_FMT_AVRO, XS_KIND_PRODUCT, errstr, sizeof(errstr));
        assert_non_null(w);
        assert_int_equal(xs_writer_product(w, &p, 0), XS_OK);
        assert_int_equal(xs_writer_product(w, &p, 1), XS_OK);
        assert_int_equal(xs_writer_close(w, errstr, sizeof(errstr)), XS_OK);
        struct xs_reader *r =
            xs_reader_open(path, XS_FMT_AUTO, XS_KIND_PRODUCT, errstr, sizeof(errstr));
        assert_non_null(r);
        assert_int_equal(xs_reader_format(r), XS_FMT_AVRO);
        struct xs_record rec;
        int eof;
        assert_int_equal(xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr)), XS_OK);
        assert_string_equal(rec.product.product_id, "p1");
        assert_int_equal(rec.product.price, 999);
        assert_int_equal(rec.product.n_upgrades, 1);
        assert_string_equal(rec.product.upgrades[0], "p9");
        assert_int_equal(rec.tombstone, 0);
        assert_int_equal(xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr)), XS_OK);
        assert_int_equal(rec.tombstone, 1);
        assert_int_equal(xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr)), XS_OK);
        assert_int_equal(eof, 1);
        xs_reader_close(r);

        /* an Avro file named .jsonl is still recognised by its magic */
        size_t n;
        char *bytes = slurp(path, &n);
        FILE *f = fopen(tmp_path("cat_avro.jsonl"), "wb");
        fwrite(bytes, 1, n, f);
        fclose(f);
        free(bytes);
        read_all(tmp_path("cat_avro.jsonl"), XS_FMT_AUTO, XS_KIND_PRODUCT, &t, NULL, NULL);
        assert_int_equal(t.ok, 2);
}

/* ---- generator ---- */

static void gen_to_file(const struct xs_gen_conf *conf, const char *path)
{
        char errstr[256];
        struct xs_gen *g = xs_gen_new(conf, errstr, sizeof(errstr));
        assert_non_null(g);
        struct xs_writer *w =
            xs_writer_open(path, XS_FMT_JSONL, XS_KIND_EVENT, errstr, sizeof(errstr));
        assert_non_null(w);
        struct xs_event ev;
        uint64_t n = 0;
        while (xs_gen_next(g, &ev)) {
                assert_int_equal(xs_writer_event(w, &ev), XS_OK);
                n++;
        }
        assert_int_equal(n, conf->events);
        assert_int_equal(xs_writer_close(w, errstr, sizeof(errstr)), XS_OK);
        xs_gen_destroy(g);
}

static void test_generator_deterministic(void **state)
{
        struct xs_gen_conf conf;
        xs_gen_conf_defaults(&conf);
        conf.events = 20000;
        conf.seed = 7;
        gen_to_file(&conf, tmp_path("g1.jsonl"));
        gen_to_file(&conf, tmp_path("g2.jsonl"));
        conf.seed = 8;
        gen_to_file(&conf, tmp_path("g3.jsonl"));
        size_t n1, n2, n3;
        char *a = slurp(tmp_path("g1.jsonl"), &n1);
        char *b = slurp(tmp_path("g2.jsonl"), &n2);
        char *c = slurp(tmp_path("g3.jsonl"), &n3);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        assert_true(n1 != n3 || memcmp(a, c, n1) != 0);
        free(a);
        free(b);
        free(c);

        char errstr[256];
        struct xs_gen *g = xs_gen_new(&conf, errstr, sizeof(errstr));
        assert_non_null(g);
        size_t nc = xs_gen_catalog_size(g), tombs = 0, ups = 0;
        assert_true(nc >= conf.products);
        for (size_t i = 0; i < nc; i++) {
                struct xs_product p;
                int tomb;
                xs_gen_catalog_record(g, i, &p, &tomb);
                tombs += (size_t)tomb;
                ups += p.n_upgrades;
                assert_true(p.price > 0);
                assert_string_equal(p.currency, "EUR");
        }
        assert_true(tombs > 0);
        assert_true(ups > 0);
        xs_gen_destroy(g);
        conf.customers = 0;
        assert_null(xs_gen_new(&conf, errstr, sizeof(errstr)));
}

struct gen_check {
        size_t per_type[XS_EV_COUNT];
        int64_t last_time;
        int ordered;
};

static void gen_check_cb(const struct xs_record *rec, void *opaque)
{
        struct gen_check *gc = opaque;
        gc->per_type[rec->ev.type]++;
        if (rec->ev.event_time < gc->last_time)
                gc->ordered = 0;
        gc->last_time = rec->ev.event_time;
        if (rec->ev.type == XS_EV_PURCHASE) {
                assert_non_null(rec->ev.order_id);
                assert_true(rec->ev.n_items >= 1);
        }
}

static void test_generator_parses_back(void **state)
{
        struct xs_gen_conf conf;
        xs_gen_conf_defaults(&conf);
        gen_to_file(&conf, tmp_path("gall.jsonl"));
        struct tally t;
        struct gen_check gc = {{0}, INT64_MIN, 1};
        read_all(tmp_path("gall.jsonl"), XS_FMT_AUTO, XS_KIND_EVENT, &t, gen_check_cb, &gc);
        assert_int_equal(t.ok, conf.events);
        assert_int_equal(t.decode + t.invalid, 0);
        assert_true(gc.ordered);
        for (int ty = 0; ty < XS_EV_UNKNOWN; ty++)
                if (gc.per_type[ty] == 0)
                        fail_msg("no %s events", xs_event_type_name(ty));
        /* views dominate, carts are mostly abandoned */
        assert_true(gc.per_type[XS_EV_PRODUCT_VIEW] > conf.events * 9 / 10);
        assert_true(gc.per_type[XS_EV_PURCHASE] < gc.per_type[XS_EV_ADD_TO_CART] / 2);

        /* the REES46 form reads back with our REES46 reader */
        char errstr[256];
        struct xs_gen *g = xs_gen_new(&conf, errstr, sizeof(errstr));
        FILE *f = fopen(tmp_path("g.csv"), "w");
        assert_int_equal(xs_gen_write_rees46_header(f), 0);
        struct xs_event ev;
        size_t rows_expected = 0;
        while (xs_gen_next(g, &ev)) {
                if (ev.type == XS_EV_PRODUCT_VIEW || ev.type == XS_EV_ADD_TO_CART ||
                    ev.type == XS_EV_REMOVE_FROM_CART || ev.type == XS_EV_PURCHASE)
                        for (size_t i = 0; i < ev.n_items; i++)
                                rows_expected += (size_t)ev.items[i].quantity;
                assert_int_equal(xs_gen_write_rees46(g, &ev, f), 0);
        }
        fclose(f);
        xs_gen_destroy(g);
        read_all(tmp_path("g.csv"), XS_FMT_AUTO, XS_KIND_EVENT, &t, NULL, NULL);
        assert_int_equal(t.decode + t.invalid, 0);
        assert_int_equal(t.ok, rows_expected);
}

/* ---- the shared real data ---- */

static int exists(const char *path)
{
        return access(path, R_OK) == 0;
}

static void rees46_cb(const struct xs_record *rec, void *opaque)
{
        size_t *per_type = opaque;
        per_type[rec->ev.type]++;
}

static void test_real_rees46(void **state)
{
        const char *path =
            XS_SHARED_DATA "/rees46-multicategory/rees46_multicategory_2019-10-01T0000_0240Z.csv";
        if (!exists(path))
                skip();
        size_t per_type[XS_EV_COUNT] = {0};
        struct tally t;
        read_all(path, XS_FMT_AUTO, XS_KIND_EVENT, &t, rees46_cb, per_type);
        assert_int_equal(t.decode + t.invalid, 0);
        assert_int_equal(t.ok, 11562);
        assert_int_equal(per_type[XS_EV_PRODUCT_VIEW], 11313);
        assert_int_equal(per_type[XS_EV_ADD_TO_CART], 110);
        assert_int_equal(per_type[XS_EV_PURCHASE], 139);
}

static void groceries_cb(const struct xs_record *rec, void *opaque)
{
        size_t *items = opaque;
        *items += rec->ev.n_items;
}

static void test_real_groceries(void **state)
{
        const char *path = XS_SHARED_DATA "/groceries/groceries_baskets.csv";
        if (!exists(path))
                skip();
        size_t items = 0;
        struct tally t;
        read_all(path, XS_FMT_GROCERIES, XS_KIND_EVENT, &t, groceries_cb, &items);
        assert_int_equal(t.decode + t.invalid, 0);
        assert_int_equal(t.ok, 9835);
        assert_int_equal(items, 43367);
}

/* An independent count for the retail mapping: distinct non-cancellation invoices with at
 * least one kept line (StockCode starting with a digit, Quantity > 0, UnitPrice > 0), with a
 * plain gzread line loop and strtod, not the reader's code. */
struct retail_count {
        char **inv;
        size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t retail_oracle(const char *path, size_t *cancel_lines)
{
        gzFile g = gzopen(path, "rb");
        assert_non_null(g);
        static char line[65536];
        struct retail_count rc = {0};
        *cancel_lines = 0;
        gzgets(g, line, sizeof(line)); /* header */
        while (gzgets(g, line, sizeof(line))) {
                char *f[8];
                int nf = 0;
                char *p = line;
                /* quoted fields only appear in Description */
                while (nf < 8) {
                        f[nf++] = p;
                        if (*p == '"') {
                                p++;
                                while (*p && !(*p == '"' && p[1] != '"'))
                                        p += *p == '"' ? 2 : 1;
                                if (*p)
                                        p++;
                        }
                        p = strchr(p, ',');
                        if (!p)
                                break;
                        *p++ = '\0';
                }
                assert_int_equal(nf, 8);
                if (f[0][0] == 'C') {
                        (*cancel_lines)++;
                        continue;
                }
                if (f[1][0] < '0' || f[1][0] > '9' || atol(f[3]) <= 0 || strtod(f[5], NULL) <= 0)
                        continue;
                if (rc.n == rc.cap) {
                        rc.cap = rc.cap ? rc.cap * 2 : 1024;
                        rc.inv = realloc(rc.inv, rc.cap * sizeof(*rc.inv));
                }
                if (rc.n == 0 || strcmp(rc.inv[rc.n - 1], f[0]) != 0)
                        rc.inv[rc.n++] = strdup(f[0]);
        }
        gzclose(g);
        qsort(rc.inv, rc.n, sizeof(*rc.inv), cmp_str);
        size_t distinct = 0;
        for (size_t i = 0; i < rc.n; i++)
                if (i == 0 || strcmp(rc.inv[i], rc.inv[i - 1]) != 0)
                        distinct++;
        for (size_t i = 0; i < rc.n; i++)
                free(rc.inv[i]);
        free(rc.inv);
        return distinct;
}

struct retail_seen {
        size_t events, items;
        int64_t last_time;
        int ordered;
};

static void retail_cb(const struct xs_record *rec, void *opaque)
{
        struct retail_seen *s = opaque;
        s->events++;
        s->items += rec->ev.n_items;
        if (rec->ev.event_time < s->last_time)
                s->ordered = 0;
        s->last_time = rec->ev.event_time;
}

static void test_real_retail(void **state)
{
        const char *path =
            XS_SHARED_DATA "/online-retail/online_retail_2010-12-01_2011-10-31.csv.gz";
        if (!exists(path))
                skip();
        size_t cancel_lines;
        size_t expected = retail_oracle(path, &cancel_lines);
        struct retail_seen seen = {0, 0, INT64_MIN, 1};
        struct tally t;
        char errstr[256];
        read_all(path, XS_FMT_AUTO, XS_KIND_EVENT, &t, retail_cb, &seen);
        assert_int_equal(t.decode, 0);
        assert_int_equal(seen.events, expected);
        assert_int_equal(cancel_lines, 7852); /* README */
        assert_true(expected > 16000 && expected <= 17005);
        assert_true(seen.ordered);
        /* every skipped line is reported: count the cancellation reasons */
        struct xs_reader *r =
            xs_reader_open(path, XS_FMT_AUTO, XS_KIND_EVENT, errstr, sizeof(errstr));
        assert_non_null(r);
        size_t cancels = 0;
        for (;;) {
                struct xs_record rec;
                int eof;
                xs_err_t err = xs_reader_next(r, &rec, &eof, errstr, sizeof(errstr));
                if (err == XS_OK && eof)
                        break;
                if (err == XS_ERR_INVALID && strstr(errstr, "skipped cancellation"))
                        cancels++;
        }
        assert_true(xs_reader_bytes_read(r) == xs_reader_bytes_total(r));
        xs_reader_close(r);
        assert_int_equal(cancels, 7852);
}

static int setup(void **state)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/xs_test_io.XXXXXX");
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_time_and_money),
            cmocka_unit_test(test_jsonl_roundtrip_events),
            cmocka_unit_test(test_jsonl_roundtrip_products),
            cmocka_unit_test(test_jsonl_bad_lines),
            cmocka_unit_test(test_jsonl_huge_basket),
            cmocka_unit_test(test_rees46),
            cmocka_unit_test(test_retail),
            cmocka_unit_test(test_groceries),
            cmocka_unit_test(test_auto_detect),
            cmocka_unit_test(test_write_outputs),
            cmocka_unit_test(test_avro_roundtrip),
            cmocka_unit_test(test_generator_deterministic),
            cmocka_unit_test(test_generator_parses_back),
            cmocka_unit_test(test_real_rees46),
            cmocka_unit_test(test_real_groceries),
            cmocka_unit_test(test_real_retail),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
