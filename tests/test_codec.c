/*
 * Codec tests: round trips of every record kind, schema evolution by field name, and malformed
 * bytes (each must come back as XS_ERR_DECODE with a message, never a crash or a leak; the
 * sanitizer build runs these under ASan and LSan).
 *
 * Writer-side bytes for evolution and malformed cases are built by hand with the small encoder
 * below, so each test states exactly what is on the wire.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <avro.h>

#include "codec/avro_guard.h"
#include "xsell/codec.h"
#include "test_rng.h"

/* A hand encoder for Avro binary. */
struct wb {
        unsigned char b[8192];
        size_t n;
};

static void w_long(struct wb *w, int64_t v)
{
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        while (z & ~(uint64_t)0x7f) {
                w->b[w->n++] = (unsigned char)((z & 0x7f) | 0x80);
                z >>= 7;
        }
        w->b[w->n++] = (unsigned char)z;
}

static void w_str(struct wb *w, const char *s)
{
        size_t len = strlen(s);
        w_long(w, (int64_t)len);
        memcpy(w->b + w->n, s, len);
        w->n += len;
}

static void w_null_str(struct wb *w, const char *s) /* ["null","string"] */
{
        if (!s) {
                w_long(w, 0);
                return;
        }
        w_long(w, 1);
        w_str(w, s);
}

static void w_byte(struct wb *w, unsigned char c)
{
        w->b[w->n++] = c;
}

/* Our own CustomerEvent, field by field; hooks let tests break one field. */
static void w_event(struct wb *w, const char *event_id, int64_t type, int n_items)
{
        w->n = 0;
        w_str(w, event_id);
        w_str(w, "c1");
        w_null_str(w, "s1");
        w_long(w, 1700000000000);
        w_long(w, type);
        if (n_items) {
                w_long(w, n_items);
                for (int i = 0; i < n_items; i++) {
                        w_str(w, "p1");
                        w_long(w, 2);
                        w_long(w, 1);
                        w_long(w, 1999);
                        w_null_str(w, "audio");
                        w_null_str(w, NULL);
                        w_null_str(w, NULL); /* category_label */
                }
        }
        w_long(w, 0);
        w_null_str(w, "EUR");
        w_null_str(w, "o1");
        w_null_str(w, NULL);
}

static struct xs_codec *codec;

static int setup(void **state)
{
        char err[256];
        codec = xs_codec_new(err, sizeof(err));
        if (!codec)
                fprintf(stderr, "%s\n", err);
        return codec ? 0 : -1;
}

static int teardown(void **state)
{
        xs_codec_destroy(codec);
        codec = NULL;
        return 0;
}

static void test_kind_names_and_schemas(void **state)
{
        assert_string_equal(xs_record_kind_name(XS_KIND_EVENT), "event");
        assert_string_equal(xs_record_kind_name(XS_KIND_OUTCOME), "outcome");
        for (int k = 0; k < XS_KIND_COUNT; k++) {
                const char *t = xs_codec_schema_text((enum xs_record_kind)k);
                assert_non_null(t);
                assert_non_null(strstr(t, "\"type\": \"record\""));
        }
        assert_non_null(strstr(xs_codec_schema_text(XS_KIND_EVENT), "CustomerEvent"));
}

static void test_event_roundtrip(void **state)
{
        struct xs_line_item items[2] = {
            {"p-1", 2, 1999, "2053013555631882655", "acme", "electronics.audio"},
            {"p-2", 1, -1, NULL, NULL, NULL},
        };
        struct xs_event ev = {
            .event_id = "e-1",
            .customer_id = "c-1",
            .session_id = "s-1",
            .event_time = 1700000000123,
            .type = XS_EV_PURCHASE,
            .items = items,
            .n_items = 2,
            .currency = "EUR",
            .order_id = "o-1",
            .offer_id = NULL,
        };
        unsigned char buf[512];
        size_t len = 0;
        char err[256] = "";
        struct xs_event out;

        assert_int_equal(xs_codec_encode_event(codec, &ev, buf, sizeof(buf), &len), XS_OK);
        assert_true(len > 20);
        assert_int_equal(xs_codec_decode_event(codec, NULL, buf, len, &out, err, sizeof(err)),
                         XS_OK);
        assert_string_equal(out.event_id, "e-1");
        assert_string_equal(out.customer_id, "c-1");
        assert_string_equal(out.session_id, "s-1");
        assert_true(out.event_time == 1700000000123);
        assert_int_equal(out.type, XS_EV_PURCHASE);
        assert_int_equal(out.n_items, 2);
        assert_string_equal(out.items[0].product_id, "p-1");
        assert_int_equal(out.items[0].quantity, 2);
        assert_true(out.items[0].unit_price == 1999);
        assert_string_equal(out.items[0].category, "2053013555631882655");
        assert_string_equal(out.items[0].brand, "acme");
        assert_string_equal(out.items[0].category_label, "electronics.audio");
        assert_null(out.items[1].category_label);
        assert_string_equal(out.items[1].product_id, "p-2");
        assert_true(out.items[1].unit_price == -1);
        assert_null(out.items[1].category);
        assert_null(out.items[1].brand);
        assert_string_equal(out.currency, "EUR");
        assert_string_equal(out.order_id, "o-1");
        assert_null(out.offer_id);

        /* every event type survives, by name */
        for (int t = 0; t < XS_EV_COUNT; t++) {
                ev.type = (enum xs_event_type)t;
                ev.n_items = 0;
                ev.currency[0] = '\0';
                assert_int_equal(xs_codec_encode_event(codec, &ev, buf, sizeof(buf), &len), XS_OK);
                assert_int_equal(
                    xs_codec_decode_event(codec, NULL, buf, len, &out, err, sizeof(err)), XS_OK);
                assert_int_equal(out.type, t);
                assert_int_equal(out.n_items, 0);
                assert_null(out.items);
                assert_string_equal(out.currency, "");
        }
}

static void test_encode_nomem(void **state)
{
        struct xs_event ev = {.event_id = "e-1", .customer_id = "c-1", .type = XS_EV_PRODUCT_VIEW};
        unsigned char buf[256];
        size_t len = 0, need = 0;
        assert_int_equal(xs_codec_encode_event(codec, &ev, buf, sizeof(buf), &need), XS_OK);
        assert_int_equal(xs_codec_encode_event(codec, &ev, buf, 4, &len), XS_ERR_NOMEM);
        assert_int_equal(len, need);
        assert_int_equal(xs_codec_encode_event(codec, &ev, NULL, 0, &len), XS_ERR_NOMEM);
        assert_int_equal(len, need);
        assert_int_equal(xs_codec_encode_event(codec, &ev, buf, need, &len), XS_OK);
        assert_int_equal(len, need);
        /* a required id missing is a contract error, not a crash */
        ev.customer_id = NULL;
        assert_int_equal(xs_codec_encode_event(codec, &ev, buf, sizeof(buf), &len), XS_ERR_INVALID);
}

static void test_product_roundtrip(void **state)
{
        const char *ups[] = {"p-up1", "p-up2"};
        const char *downs[] = {"p-down"};
        struct xs_product p = {.product_id = "p-1",
                               .category = "phones",
                               .brand = NULL,
                               .price = 49900,
                               .currency = "USD",
                               .in_stock = 0,
                               .upgrades = ups,
                               .n_upgrades = 2,
                               .downgrades = downs,
                               .n_downgrades = 1,
                               .category_label = "electronics.smartphone",
                               .addon = NULL};
        unsigned char buf[512];
        size_t len;
        char err[256] = "";
        struct xs_product out;

        assert_int_equal(xs_codec_encode_product(codec, &p, buf, sizeof(buf), &len), XS_OK);
        assert_int_equal(xs_codec_decode_product(codec, NULL, buf, len, &out, err, sizeof(err)),
                         XS_OK);
        assert_int_equal(xs_codec_last_tombstone(codec), 0);
        assert_string_equal(out.product_id, "p-1");
        assert_string_equal(out.category, "phones");
        assert_null(out.brand);
        assert_true(out.price == 49900);
        assert_string_equal(out.currency, "USD");
        assert_int_equal(out.in_stock, 0);
        assert_int_equal(out.n_upgrades, 2);
        assert_string_equal(out.upgrades[0], "p-up1");
        assert_string_equal(out.upgrades[1], "p-up2");
        assert_int_equal(out.n_downgrades, 1);
        assert_string_equal(out.downgrades[0], "p-down");
        assert_string_equal(out.category_label, "electronics.smartphone");
        assert_null(out.addon);
        p.addon = "warranty";
        assert_int_equal(xs_codec_encode_product(codec, &p, buf, sizeof(buf), &len), XS_OK);
        assert_int_equal(xs_codec_decode_product(codec, NULL, buf, len, &out, err, sizeof(err)),
                         XS_OK);
        assert_string_equal(out.addon, "warranty");
        p.addon = NULL;

        assert_int_equal(xs_codec_encode_product_ex(codec, &p, 1, buf, sizeof(buf), &len), XS_OK);
        assert_int_equal(xs_codec_decode_product(codec, NULL, buf, len, &out, err, sizeof(err)),
                         XS_OK);
        assert_int_equal(xs_codec_last_tombstone(codec), 1);
        assert_string_equal(out.product_id, "p-1");
}

/* Reads bytes of one of our output kinds back with avro-c, independently of our decoder. */
static void read_back(enum xs_record_kind kind, const void *buf, size_t len, avro_value_t *v,
                      avro_value_iface_t **iface, avro_schema_t *schema)
{
        const char *text = xs_codec_schema_text(kind);
        assert_int_equal(avro_schema_from_json_length(text, strlen(text), schema), 0);
        size_t consumed = 0;
        char err[256];
        assert_int_equal(xs_avro_validate(*schema, buf, len, &consumed, err, sizeof(err)), 0);
        assert_int_equal(consumed, len);
        *iface = avro_generic_class_from_schema(*schema);
        assert_int_equal(avro_generic_value_new(*iface, v), 0);
        avro_reader_t rd = avro_reader_memory(buf, (int64_t)len);
        assert_int_equal(avro_value_read(rd, v), 0);
        avro_reader_free(rd);
}

static void release(avro_value_t *v, avro_value_iface_t *iface, avro_schema_t schema)
{
        avro_value_decref(v);
        avro_value_iface_decref(iface);
        avro_schema_decref(schema);
}

static const char *get_str(avro_value_t *rec, const char *name)
{
        avro_value_t f, b;
        const char *s = NULL;
        size_t n;
        assert_int_equal(avro_value_get_by_name(rec, name, &f, NULL), 0);
        if (avro_value_get_type(&f) == AVRO_UNION) {
                assert_int_equal(avro_value_get_current_branch(&f, &b), 0);
                if (avro_value_get_type(&b) == AVRO_NULL)
                        return NULL;
                f = b;
        }
        assert_int_equal(avro_value_get_string(&f, &s, &n), 0);
        return s;
}

static int64_t get_long(avro_value_t *rec, const char *name)
{
        avro_value_t f;
        int64_t v = 0;
        assert_int_equal(avro_value_get_by_name(rec, name, &f, NULL), 0);
        assert_int_equal(avro_value_get_long(&f, &v), 0);
        return v;
}

static const char *get_enum(avro_value_t *rec, const char *name)
{
        avro_value_t f;
        int i = 0;
        assert_int_equal(avro_value_get_by_name(rec, name, &f, NULL), 0);
        assert_int_equal(avro_value_get_enum(&f, &i), 0);
        return avro_schema_enum_get(avro_value_get_schema(&f), i);
}

static void test_offer_encode(void **state)
{
        struct xs_offer o;
        memset(&o, 0, sizeof(o));
        strcpy(o.offer_id, "0123456789abcdef0123456789abcdef");
        o.customer_id = "c-1";
        o.type = XS_OFFER_UPSELL;
        o.stage = XS_STAGE_CART;
        o.channel = XS_CHANNEL_EMAIL;
        o.trigger_event_id = "e-9";
        o.anchor_product_id = "p-1";
        o.n_items = 2;
        o.items[0] = (struct xs_offer_item){"p-2",
                                            "phones",
                                            "acme",
                                            59900,
                                            3.5,
                                            {10, 20, 30, 40, 2.25, 1.5, {1, 2, 3, 4, 5}, 0, 0, 0},
                                            "electronics.phones",
                                            NULL};
        o.items[1] = (struct xs_offer_item){"p-3", NULL, NULL, 69900, 1.0, {0}, NULL, "warranty"};
        o.n_incentives = 1;
        o.incentives[0] = (struct xs_incentive){XS_INC_FREE_SHIPPING, 0, 5000, 120, "EUR", 99};
        o.rule = "cart_upsell";
        o.score_kind = "llr";
        o.window_ms = 604800000;
        o.cart_value = 4880;
        strcpy(o.currency, "EUR");
        o.created_at = 1000;
        o.expires_at = 2000;

        unsigned char buf[1024];
        size_t len;
        assert_int_equal(xs_codec_encode_offer(codec, &o, buf, sizeof(buf), &len), XS_OK);

        avro_value_t v, items, it, ev, incs, inc;
        avro_value_iface_t *iface;
        avro_schema_t schema;
        read_back(XS_KIND_OFFER, buf, len, &v, &iface, &schema);
        assert_string_equal(get_str(&v, "offer_id"), o.offer_id);
        assert_string_equal(get_enum(&v, "type"), "UPSELL");
        assert_string_equal(get_enum(&v, "stage"), "CART");
        assert_string_equal(get_enum(&v, "channel"), "EMAIL");
        assert_string_equal(get_str(&v, "anchor_product_id"), "p-1");
        assert_string_equal(get_str(&v, "rule"), "cart_upsell");
        assert_true(get_long(&v, "cart_value") == 4880);
        assert_true(get_long(&v, "expires_at") == 2000);
        assert_string_equal(get_str(&v, "currency"), "EUR");
        assert_int_equal(avro_value_get_by_name(&v, "items", &items, NULL), 0);
        size_t n = 0;
        assert_int_equal(avro_value_get_size(&items, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(avro_value_get_by_index(&items, 0, &it, NULL), 0);
        assert_string_equal(get_str(&it, "product_id"), "p-2");
        assert_true(get_long(&it, "price") == 59900);
        assert_int_equal(avro_value_get_by_name(&it, "evidence", &ev, NULL), 0);
        assert_true(get_long(&ev, "k22") == 40);
        avro_value_t f;
        int32_t i32 = 0;
        double d = 0;
        assert_int_equal(avro_value_get_by_name(&ev, "view_buy_count", &f, NULL), 0);
        assert_int_equal(avro_value_get_int(&f, &i32), 0);
        assert_int_equal(i32, 5);
        assert_int_equal(avro_value_get_by_name(&ev, "llr", &f, NULL), 0);
        assert_int_equal(avro_value_get_double(&f, &d), 0);
        assert_true(d == 2.25);
        assert_string_equal(get_str(&it, "category_label"), "electronics.phones");
        assert_null(get_str(&it, "addon"));
        assert_int_equal(avro_value_get_by_index(&items, 1, &it, NULL), 0);
        assert_null(get_str(&it, "category"));
        assert_null(get_str(&it, "category_label"));
        assert_string_equal(get_str(&it, "addon"), "warranty");
        assert_int_equal(avro_value_get_by_name(&v, "incentives", &incs, NULL), 0);
        assert_int_equal(avro_value_get_size(&incs, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(avro_value_get_by_index(&incs, 0, &inc, NULL), 0);
        assert_string_equal(get_enum(&inc, "kind"), "FREE_SHIPPING");
        assert_true(get_long(&inc, "amount") == 120);
        release(&v, iface, schema);

        o.n_items = XS_OFFER_MAX_ITEMS + 1;
        assert_int_equal(xs_codec_encode_offer(codec, &o, buf, sizeof(buf), &len), XS_ERR_INVALID);
}

static void test_signal_outcome_encode(void **state)
{
        struct xs_signal s = {"c-1", XS_STAGE_CART,  XS_STAGE_CART_ABANDONED,
                              NULL,  "cart_timeout", 5000};
        struct xs_outcome oc = {
            "off-1", "c-1", XS_OFFER_DOWNSELL, XS_STAGE_LEAD, "p-9", NULL, "e-7", 100, 200, 1};
        unsigned char buf[512];
        size_t len;
        avro_value_t v, f;
        avro_value_iface_t *iface;
        avro_schema_t schema;
        int b = 0;

        assert_int_equal(xs_codec_encode_signal(codec, &s, buf, sizeof(buf), &len), XS_OK);
        read_back(XS_KIND_SIGNAL, buf, len, &v, &iface, &schema);
        assert_string_equal(get_str(&v, "customer_id"), "c-1");
        assert_string_equal(get_enum(&v, "from_stage"), "CART");
        assert_string_equal(get_enum(&v, "to_stage"), "CART_ABANDONED");
        assert_null(get_str(&v, "trigger_event_id"));
        assert_string_equal(get_str(&v, "reason"), "cart_timeout");
        assert_true(get_long(&v, "event_time") == 5000);
        release(&v, iface, schema);

        assert_int_equal(xs_codec_encode_outcome(codec, &oc, buf, sizeof(buf), &len), XS_OK);
        read_back(XS_KIND_OUTCOME, buf, len, &v, &iface, &schema);
        assert_string_equal(get_str(&v, "offer_id"), "off-1");
        assert_string_equal(get_enum(&v, "offer_type"), "DOWNSELL");
        assert_string_equal(get_enum(&v, "stage"), "LEAD");
        assert_null(get_str(&v, "order_id"));
        assert_true(get_long(&v, "converted_at") == 200);
        assert_int_equal(avro_value_get_by_name(&v, "control", &f, NULL), 0);
        assert_int_equal(avro_value_get_boolean(&f, &b), 0);
        assert_int_equal(b, 1);
        release(&v, iface, schema);

        s.to = XS_STAGE_COUNT;
        assert_int_equal(xs_codec_encode_signal(codec, &s, buf, sizeof(buf), &len), XS_ERR_INVALID);
}

/*
 * Schema evolution.
 */
#define EV_HEAD "{\"type\":\"record\",\"name\":\"CustomerEvent\",\"fields\":["
#define EV_TYPE_ENUM                                                                               \
        "{\"name\":\"type\",\"type\":{\"type\":\"enum\",\"name\":\"EventType\",\"symbols\":["      \
        "\"PRODUCT_VIEW\",\"ADD_TO_CART\",\"PURCHASE\"]}}"

static struct xs_wschema *ws_ok(const char *json)
{
        char err[256] = "";
        struct xs_wschema *ws = xs_wschema_new(XS_KIND_EVENT, json, err, sizeof(err));
        if (!ws)
                fail_msg("writer schema rejected: %s", err);
        return ws;
}

static void test_evolution_added_fields(void **state)
{
        /* a newer writer: an extra field in the middle (with default) and one at the end */
        struct xs_wschema *ws =
            ws_ok(EV_HEAD "{\"name\":\"event_id\",\"type\":\"string\"},"
                          "{\"name\":\"device\",\"type\":\"string\",\"default\":\"web\"},"
                          "{\"name\":\"customer_id\",\"type\":\"string\"},"
                          "{\"name\":\"event_time\",\"type\":\"long\"}," EV_TYPE_ENUM ","
                          "{\"name\":\"score\",\"type\":{\"type\":\"array\",\"items\":\"double\"},"
                          "\"default\":[]}]}");
        struct wb w = {.n = 0};
        struct xs_event ev;
        char err[256] = "";
        w_str(&w, "e1");
        w_str(&w, "mobile");
        w_str(&w, "c1");
        w_long(&w, 42);
        w_long(&w, 2); /* PURCHASE in the writer's enum */
        w_long(&w, 2);
        memset(w.b + w.n, 0, 16);
        w.n += 16;
        w_long(&w, 0);
        assert_int_equal(xs_codec_decode_event(codec, ws, w.b, w.n, &ev, err, sizeof(err)), XS_OK);
        assert_string_equal(ev.event_id, "e1");
        assert_string_equal(ev.customer_id, "c1");
        assert_true(ev.event_time == 42);
        assert_int_equal(ev.type, XS_EV_PURCHASE); /* by name: index 2 is PURCHASE (4 in ours) */
        /* dropped optional fields get our defaults */
        assert_null(ev.session_id);
        assert_null(ev.order_id);
        assert_null(ev.items);
        assert_int_equal(ev.n_items, 0);
        assert_string_equal(ev.currency, "");
        xs_wschema_destroy(ws);
}

static void test_evolution_reordered_and_promoted(void **state)
{
        /* fields reordered, event_time written as int, unit_price as plain long, quantity
         * dropped (default 1), session_id as plain string */
        struct xs_wschema *ws =
            ws_ok(EV_HEAD "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{\"type\":"
                          "\"record\",\"name\":\"LineItem\",\"fields\":["
                          "{\"name\":\"unit_price\",\"type\":\"long\"},"
                          "{\"name\":\"product_id\",\"type\":\"string\"}]}}},"
                          "{\"name\":\"customer_id\",\"type\":\"string\"},"
                          "{\"name\":\"session_id\",\"type\":\"string\"}," EV_TYPE_ENUM ","
                          "{\"name\":\"event_time\",\"type\":\"int\"},"
                          "{\"name\":\"event_id\",\"type\":\"bytes\"}]}");
        struct wb w = {.n = 0};
        struct xs_event ev;
        char err[256] = "";
        w_long(&w, 1);
        w_long(&w, 250);
        w_str(&w, "p9");
        w_long(&w, 0);
        w_str(&w, "c2");
        w_str(&w, "s2");
        w_long(&w, 1);
        w_long(&w, -7);
        w_str(&w, "e2");
        assert_int_equal(xs_codec_decode_event(codec, ws, w.b, w.n, &ev, err, sizeof(err)), XS_OK);
        assert_string_equal(ev.event_id, "e2");
        assert_string_equal(ev.customer_id, "c2");
        assert_string_equal(ev.session_id, "s2");
        assert_true(ev.event_time == -7);
        assert_int_equal(ev.type, XS_EV_ADD_TO_CART);
        assert_int_equal(ev.n_items, 1);
        assert_string_equal(ev.items[0].product_id, "p9");
        assert_true(ev.items[0].unit_price == 250);
        assert_int_equal(ev.items[0].quantity, 1);
        xs_wschema_destroy(ws);
}

static void test_evolution_unknown_symbol(void **state)
{
        /* a newer writer with a symbol we do not know, placed first so indexes shift */
        struct xs_wschema *ws =
            ws_ok(EV_HEAD "{\"name\":\"event_id\",\"type\":\"string\"},"
                          "{\"name\":\"customer_id\",\"type\":\"string\"},"
                          "{\"name\":\"event_time\",\"type\":\"long\"},"
                          "{\"name\":\"type\",\"type\":{\"type\":\"enum\",\"name\":\"EventType\","
                          "\"symbols\":[\"WISHLIST_ADD\",\"FORGET\"],\"default\":\"FORGET\"}}]}");
        struct wb w = {.n = 0};
        struct xs_event ev;
        char err[256] = "";
        w_str(&w, "e3");
        w_str(&w, "c3");
        w_long(&w, 1);
        w_long(&w, 0);
        assert_int_equal(xs_codec_decode_event(codec, ws, w.b, w.n, &ev, err, sizeof(err)), XS_OK);
        assert_int_equal(ev.type, XS_EV_UNKNOWN);
        w.b[w.n - 1] = 2; /* zig-zag 1: FORGET */
        assert_int_equal(xs_codec_decode_event(codec, ws, w.b, w.n, &ev, err, sizeof(err)), XS_OK);
        assert_int_equal(ev.type, XS_EV_FORGET);
        xs_wschema_destroy(ws);
}

static void expect_ws_error(enum xs_record_kind kind, const char *json, const char *needle)
{
        char err[256] = "";
        struct xs_wschema *ws = xs_wschema_new(kind, json, err, sizeof(err));
        assert_null(ws);
        if (!strstr(err, needle))
                fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void test_evolution_incompatible(void **state)
{
        expect_ws_error(XS_KIND_EVENT,
                        EV_HEAD "{\"name\":\"event_id\",\"type\":\"string\"},"
                                "{\"name\":\"event_time\",\"type\":\"long\"}," EV_TYPE_ENUM "]}",
                        "customer_id");
        expect_ws_error(XS_KIND_EVENT,
                        EV_HEAD "{\"name\":\"event_id\",\"type\":\"string\"},"
                                "{\"name\":\"customer_id\",\"type\":\"string\"},"
                                "{\"name\":\"event_time\",\"type\":\"string\"}," EV_TYPE_ENUM "]}",
                        "event_time");
        /* long cannot be read as int (no demotion) */
        expect_ws_error(XS_KIND_EVENT,
                        EV_HEAD "{\"name\":\"event_id\",\"type\":\"string\"},"
                                "{\"name\":\"customer_id\",\"type\":\"string\"},"
                                "{\"name\":\"event_time\",\"type\":\"long\"}," EV_TYPE_ENUM ","
                                "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{"
                                "\"type\":\"record\",\"name\":\"L\",\"fields\":["
                                "{\"name\":\"product_id\",\"type\":\"string\"},"
                                "{\"name\":\"quantity\",\"type\":\"long\"}]}}}]}",
                        "quantity");
        expect_ws_error(XS_KIND_EVENT, "\"string\"", "not a record");
        expect_ws_error(XS_KIND_EVENT, "{not json", "does not parse");
        expect_ws_error(XS_KIND_PRODUCT,
                        "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
                        "{\"name\":\"product_id\",\"type\":\"string\"},"
                        "{\"name\":\"currency\",\"type\":\"string\"}]}",
                        "price");
        expect_ws_error(XS_KIND_OFFER, xs_codec_schema_text(XS_KIND_OFFER), "not supported");
}

static void test_product_promoted_and_nullable(void **state)
{
        char err[256] = "";
        struct xs_wschema *ws = xs_wschema_new(XS_KIND_PRODUCT,
                                               "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
                                               "{\"name\":\"product_id\",\"type\":\"string\"},"
                                               "{\"name\":\"price\",\"type\":[\"null\",\"int\"]},"
                                               "{\"name\":\"currency\",\"type\":\"string\"}]}",
                                               err, sizeof(err));
        assert_non_null(ws);
        struct wb w = {.n = 0};
        struct xs_product p;
        w_str(&w, "p1");
        w_long(&w, 1);
        w_long(&w, 300);
        w_str(&w, "GBP");
        assert_int_equal(xs_codec_decode_product(codec, ws, w.b, w.n, &p, err, sizeof(err)), XS_OK);
        assert_true(p.price == 300);
        assert_int_equal(p.in_stock, 1); /* our default */
        assert_int_equal(p.n_upgrades, 0);
        assert_int_equal(xs_codec_last_tombstone(codec), 0);
        /* price null at run time: a contract violation */
        w.n = 0;
        w_str(&w, "p1");
        w_long(&w, 0);
        w_str(&w, "GBP");
        assert_int_equal(xs_codec_decode_product(codec, ws, w.b, w.n, &p, err, sizeof(err)),
                         XS_ERR_INVALID);
        assert_non_null(strstr(err, "price"));
        xs_wschema_destroy(ws);
}

/*
 * Malformed bytes.
 */
static void expect_decode(const void *buf, size_t len, xs_err_t want, const char *needle)
{
        struct xs_event ev;
        char err[256] = "";
        xs_err_t got = xs_codec_decode_event(codec, NULL, buf, len, &ev, err, sizeof(err));
        if (got != want)
                fail_msg("want %s, got %s (%s)", xs_err_name(want), xs_err_name(got), err);
        if (want != XS_OK && !err[0])
                fail_msg("no message");
        if (needle && !strstr(err, needle))
                fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void test_malformed_truncated(void **state)
{
        struct wb w;
        w_event(&w, "e1", 4, 3);
        expect_decode(w.b, w.n, XS_OK, NULL);
        for (size_t n = 0; n < w.n; n++)
                expect_decode(w.b, n, XS_ERR_DECODE, NULL);
        expect_decode(NULL, 0, XS_ERR_DECODE, "truncated");
        /* trailing bytes after a complete record */
        w.b[w.n++] = 0;
        expect_decode(w.b, w.n, XS_ERR_DECODE, "trailing");
}

static void test_malformed_lengths(void **state)
{
        struct wb w = {.n = 0};
        w_long(&w, (int64_t)1 << 60); /* event_id length 2^60 */
        w_str(&w, "abc");
        expect_decode(w.b, w.n, XS_ERR_DECODE, "exceeds");
        w.n = 0;
        w_long(&w, -5);
        w_str(&w, "abcdefgh");
        expect_decode(w.b, w.n, XS_ERR_DECODE, "negative");
        /* 11-byte varint */
        w.n = 0;
        for (int i = 0; i < 10; i++)
                w_byte(&w, 0xff);
        w_byte(&w, 0x01);
        expect_decode(w.b, w.n, XS_ERR_DECODE, "varint");
        /* a 10th byte that overflows 64 bits */
        w.n = 0;
        for (int i = 0; i < 9; i++)
                w_byte(&w, 0xff);
        w_byte(&w, 0x7f);
        expect_decode(w.b, w.n, XS_ERR_DECODE, "overflows");
}

static void test_malformed_counts_and_indexes(void **state)
{
        struct wb w = {.n = 0};
        /* array count huge */
        w_str(&w, "e1");
        w_str(&w, "c1");
        w_null_str(&w, NULL);
        w_long(&w, 1);
        w_long(&w, 0);
        size_t at_items = w.n;
        w_long(&w, (int64_t)1 << 50);
        w_str(&w, "p1");
        expect_decode(w.b, w.n, XS_ERR_DECODE, "array block count");
        /* negative block count with a block size that lies */
        w.n = at_items;
        w_long(&w, -1);
        w_long(&w, 1000);
        w_str(&w, "p1");
        expect_decode(w.b, w.n, XS_ERR_DECODE, "block size");
        /* count INT64_MIN */
        w.n = at_items;
        w_long(&w, INT64_MIN);
        expect_decode(w.b, w.n, XS_ERR_DECODE, "out of range");

        /* enum index out of range, and negative */
        w_event(&w, "e1", 12, 0);
        expect_decode(w.b, w.n, XS_ERR_DECODE, "enum index 12");
        w_event(&w, "e1", -1, 0);
        expect_decode(w.b, w.n, XS_ERR_DECODE, "enum index -1");

        /* union index out of range (session_id) */
        w.n = 0;
        w_str(&w, "e1");
        w_str(&w, "c1");
        w_long(&w, 2);
        expect_decode(w.b, w.n, XS_ERR_DECODE, "union branch 2");

        /* a negative-count block whose size matches its items is fine */
        struct wb item = {.n = 0};
        w_str(&item, "p1");
        w_long(&item, 3);
        w_long(&item, 0);
        w_null_str(&item, NULL);
        w_null_str(&item, NULL);
        w_null_str(&item, NULL); /* category_label */
        w.n = 0;
        w_str(&w, "e1");
        w_str(&w, "c1");
        w_null_str(&w, NULL);
        w_long(&w, 1);
        w_long(&w, 1);
        w_long(&w, -1);
        w_long(&w, (int64_t)item.n);
        memcpy(w.b + w.n, item.b, item.n);
        w.n += item.n;
        w_long(&w, 0);
        w_null_str(&w, NULL);
        w_null_str(&w, NULL);
        w_null_str(&w, NULL);
        expect_decode(w.b, w.n, XS_OK, NULL);
        /* and one whose size does not match is not */
        w.b[at_items + 1] = (unsigned char)(2 * (item.n + 1));
        expect_decode(w.b, w.n, XS_ERR_DECODE, NULL);
}

static void test_malformed_garbage(void **state)
{
        unsigned char buf[256];
        uint32_t x = 12345;
        int decode_errors = 0;
        for (int round = 0; round < 2000; round++) {
                size_t n = (size_t)(x % sizeof(buf));
                for (size_t i = 0; i < n; i++) {
                        x = x * 1103515245u + 12345u;
                        buf[i] = (unsigned char)(x >> 16);
                }
                struct xs_event ev;
                struct xs_product p;
                char err[256] = "";
                xs_err_t e = xs_codec_decode_event(codec, NULL, buf, n, &ev, err, sizeof(err));
                assert_true(e == XS_OK || e == XS_ERR_DECODE || e == XS_ERR_INVALID);
                if (e != XS_OK)
                        assert_true(err[0] != '\0');
                decode_errors += e == XS_ERR_DECODE;
                e = xs_codec_decode_product(codec, NULL, buf, n, &p, err, sizeof(err));
                assert_true(e == XS_OK || e == XS_ERR_DECODE || e == XS_ERR_INVALID);
        }
        assert_true(decode_errors > 1900);
}

static void test_contract_checks(void **state)
{
        struct wb w;
        w_event(&w, "", 1, 0);
        expect_decode(w.b, w.n, XS_ERR_INVALID, "event_id is empty");

        struct xs_event ev = {.event_id = "e", .customer_id = "c", .type = XS_EV_PURCHASE};
        unsigned char buf[256];
        size_t len;
        /* a currency longer than 3 letters cannot be encoded through our struct; write it */
        w.n = 0;
        w_str(&w, "e");
        w_str(&w, "c");
        w_null_str(&w, NULL);
        w_long(&w, 1);
        w_long(&w, 4);
        w_long(&w, 0);
        w_null_str(&w, "EURO");
        w_null_str(&w, NULL);
        w_null_str(&w, NULL);
        expect_decode(w.b, w.n, XS_ERR_INVALID, "currency");
        /* a NUL inside an id would truncate it silently */
        w.n = 0;
        w_long(&w, 3);
        memcpy(w.b + w.n, "e\0x", 3);
        w.n += 3;
        w_str(&w, "c");
        w_null_str(&w, NULL);
        w_long(&w, 1);
        w_long(&w, 4);
        w_long(&w, 0);
        w_null_str(&w, NULL);
        w_null_str(&w, NULL);
        w_null_str(&w, NULL);
        expect_decode(w.b, w.n, XS_ERR_INVALID, "NUL");
        assert_int_equal(xs_codec_encode_event(codec, &ev, buf, sizeof(buf), &len), XS_OK);
        expect_decode(buf, len, XS_OK, NULL);

        struct xs_product p = {.product_id = "", .currency = "EUR"};
        struct xs_product out;
        char err[256] = "";
        assert_int_equal(xs_codec_encode_product(codec, &p, buf, sizeof(buf), &len), XS_OK);
        assert_int_equal(xs_codec_decode_product(codec, NULL, buf, len, &out, err, sizeof(err)),
                         XS_ERR_INVALID);
        assert_non_null(strstr(err, "product_id"));
}

static void test_frame(void **state)
{
        unsigned char buf[16];
        uint32_t id = 0;
        const void *body;
        size_t body_len;
        xs_frame_header(buf, 0x01020304);
        assert_int_equal(buf[0], 0);
        assert_int_equal(buf[1], 1);
        assert_int_equal(buf[4], 4);
        memcpy(buf + 5, "xyz", 3);
        assert_int_equal(xs_frame_parse(buf, 8, &id, &body, &body_len), XS_OK);
        assert_int_equal(id, 0x01020304);
        assert_ptr_equal(body, buf + 5);
        assert_int_equal(body_len, 3);
        assert_int_equal(xs_frame_parse(buf, 4, &id, &body, &body_len), XS_ERR_DECODE);
        buf[0] = 1;
        assert_int_equal(xs_frame_parse(buf, 8, &id, &body, &body_len), XS_ERR_DECODE);
        xs_frame_header(buf, UINT32_MAX);
        assert_int_equal(xs_frame_parse(buf, 5, &id, &body, &body_len), XS_OK);
        assert_int_equal(id, UINT32_MAX);
        assert_int_equal(body_len, 0);
}

static void test_validator_depth_and_zero_width(void **state)
{
        avro_schema_t s;
        char err[256] = "";
        size_t consumed;
        /* recursive list: 100 nested "next" links exceed the depth bound */
        const char *json = "{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"next\","
                           "\"type\":[\"null\",\"N\"]}]}";
        assert_int_equal(avro_schema_from_json_length(json, strlen(json), &s), 0);
        unsigned char deep[201];
        for (int i = 0; i < 100; i++)
                deep[i] = 2; /* branch 1 */
        deep[100] = 0;
        assert_int_equal(xs_avro_validate(s, deep, 101, &consumed, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "nesting"));
        deep[10] = 0;
        assert_int_equal(xs_avro_validate(s, deep, 101, &consumed, err, sizeof(err)), 0);
        assert_int_equal(consumed, 11);
        avro_schema_decref(s);

        /* array of null: items take no bytes, so the count is capped, not bounded by bytes */
        json = "{\"type\":\"array\",\"items\":\"null\"}";
        assert_int_equal(avro_schema_from_json_length(json, strlen(json), &s), 0);
        struct wb w = {.n = 0};
        w_long(&w, 1000);
        w_long(&w, 0);
        assert_int_equal(xs_avro_validate(s, w.b, w.n, &consumed, err, sizeof(err)), 0);
        w.n = 0;
        w_long(&w, (int64_t)1 << 40);
        w_long(&w, 0);
        assert_int_equal(xs_avro_validate(s, w.b, w.n, &consumed, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "zero-width"));
        avro_schema_decref(s);

        /* boolean must be 0 or 1; fixed and map checked against the bytes left */
        json = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":"
               "\"boolean\"},{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\","
               "\"size\":4}},{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}}]}";
        assert_int_equal(avro_schema_from_json_length(json, strlen(json), &s), 0);
        unsigned char rec[] = {1, 'a', 'b', 'c', 'd', 2, 2, 'k', 4, 0};
        assert_int_equal(xs_avro_validate(s, rec, sizeof(rec), &consumed, err, sizeof(err)), 0);
        assert_int_equal(consumed, sizeof(rec));
        rec[0] = 2;
        assert_int_equal(xs_avro_validate(s, rec, sizeof(rec), &consumed, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "boolean"));
        rec[0] = 0;
        assert_int_equal(xs_avro_validate(s, rec, 3, &consumed, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "fixed"));
        rec[5] = 40; /* map count 20 with 4 bytes left */
        assert_int_equal(xs_avro_validate(s, rec, sizeof(rec), &consumed, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "map block count"));
        avro_schema_decref(s);
}

/* Zero-width records shared by many fields: R0{a:R1,b:R1} ... R(n-1){x:null} has 2^n paths.
 * Compiling and walking must cost the number of types, not the number of paths. */
static avro_schema_t shared_zero_width(int n)
{
        static char json[64 * 1024];
        size_t len = 0;
        len += (size_t)snprintf(json + len, sizeof(json) - len,
                                "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":"
                                "\"list\",\"type\":{\"type\":\"array\",\"items\":");
        for (int i = 0; i < n - 1; i++)
                len += (size_t)snprintf(json + len, sizeof(json) - len,
                                        "{\"type\":\"record\",\"name\":\"R%d\",\"fields\":["
                                        "{\"name\":\"a\",\"type\":",
                                        i);
        len += (size_t)snprintf(json + len, sizeof(json) - len,
                                "{\"type\":\"record\",\"name\":\"R%d\",\"fields\":[{\"name\":"
                                "\"x\",\"type\":\"null\"}]}",
                                n - 1);
        for (int i = n - 2; i >= 0; i--)
                len += (size_t)snprintf(json + len, sizeof(json) - len,
                                        "},{\"name\":\"b\",\"type\":\"R%d\"}]}", i + 1);
        len += (size_t)snprintf(json + len, sizeof(json) - len,
                                "}},{\"name\":\"s\",\"type\":"
                                "\"string\"}]}");
        assert_true(len < sizeof(json) - 1);
        avro_schema_t s;
        assert_int_equal(avro_schema_from_json_length(json, len, &s), 0);
        return s;
}

static void test_validator_shared_zero_width_types(void **state)
{
        char err[256] = "";
        size_t consumed;
        /* 40 levels: 2^40 paths; three items of zero bytes, then the string "ok" */
        avro_schema_t s = shared_zero_width(40);
        unsigned char rec[] = {6, 0, 4, 'o', 'k'};
        assert_int_equal(xs_avro_validate(s, rec, sizeof(rec), &consumed, err, sizeof(err)), 0);
        assert_int_equal(consumed, sizeof(rec));
        avro_schema_decref(s);
        /* 63 levels under the array: deeper than the bound, refused (quickly) */
        s = shared_zero_width(63);
        assert_int_equal(xs_avro_validate(s, rec, sizeof(rec), &consumed, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "nesting deeper"));
        unsigned char empty[] = {0, 4, 'o', 'k'}; /* no item: nothing nests */
        assert_int_equal(xs_avro_validate(s, empty, sizeof(empty), &consumed, err, sizeof(err)), 0);
        avro_schema_decref(s);
}

static void test_allocator_cap(void **state)
{
        /* the second line of defence: a string the validator allows but the cap refuses */
        static char big[5000];
        struct wb *w = calloc(1, sizeof(*w));
        struct xs_event ev;
        char err[256] = "";
        memset(big, 'x', sizeof(big) - 1);
        w_event(w, big, 1, 0);
        uint64_t before = xs_avro_guard_refused();
        xs_avro_guard_init(1024);
        xs_err_t e = xs_codec_decode_event_generic(codec, NULL, w->b, w->n, &ev, err, sizeof(err));
        /* the fast path reads the validated bytes itself: avro-c allocates nothing for it */
        int64_t live = xs_avro_guard_live_blocks();
        xs_err_t fast = xs_codec_decode_event(codec, NULL, w->b, w->n, &ev, err, sizeof(err));
        assert_int_equal(xs_avro_guard_live_blocks(), live);
        xs_avro_guard_init((size_t)64 << 20);
        assert_int_equal(e, XS_ERR_DECODE);
        assert_true(xs_avro_guard_refused() > before);
        assert_int_equal(fast, XS_OK);
        assert_int_equal(strlen(ev.event_id), sizeof(big) - 1);
        /* and the generic path still works afterwards */
        assert_int_equal(
            xs_codec_decode_event_generic(codec, NULL, w->b, w->n, &ev, err, sizeof(err)), XS_OK);
        assert_int_equal(strlen(ev.event_id), sizeof(big) - 1);
        free(w);
}

/* The direct encoders against avro-c's generic values: same result, same length, same bytes,
 * for random records (NULL and empty strings, every count up to the maximum, enum values out
 * of range) into buffers of every kind of size (none, too small, exact, large). */

static const char *rnd_str(void)
{
        static const char *const pool[] = {NULL,
                                           "",
                                           "a",
                                           "customer-42",
                                           "P\xc3\xa9\xc3\xa8-9",
                                           "a rather longer string that needs a two-byte length "
                                           "prefix because it runs past sixty-three bytes"};
        return pool[rnd() % 6];
}

static const char *rnd_req(void)
{
        const char *str = rnd_str();
        return str || rnd() % 8 == 0 ? str : "x"; /* mostly valid */
}

static int64_t rnd_long(void)
{
        static const int64_t edge[] = {0,  1,         -1,        63,        -64,
                                       64, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
        return rnd() % 2 ? edge[rnd() % 10] : (int64_t)rnd();
}

static void
same_encoding(xs_err_t (*fast)(struct xs_codec *, const void *, void *, size_t, size_t *),
              xs_err_t (*ref)(struct xs_codec *, const void *, void *, size_t, size_t *),
              const void *rec)
{
        static unsigned char a[1 << 16], b[1 << 16];
        size_t la = 0, lb = 0;
        xs_err_t ea = fast(codec, rec, a, sizeof(a), &la);
        xs_err_t eb = ref(codec, rec, b, sizeof(b), &lb);
        assert_int_equal(ea, eb);
        if (ea != XS_OK)
                return;
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        /* too small and no buffer: XS_ERR_NOMEM with the size needed */
        size_t small = rnd() % la, need = 0;
        assert_int_equal(fast(codec, rec, a, small, &need), XS_ERR_NOMEM);
        assert_int_equal(need, la);
        assert_int_equal(fast(codec, rec, NULL, 0, &need), XS_ERR_NOMEM);
        assert_int_equal(need, la);
        assert_int_equal(fast(codec, rec, a, la, &need), XS_OK);
}

static xs_err_t enc_offer_fast(struct xs_codec *c, const void *r, void *buf, size_t cap, size_t *l)
{
        return xs_codec_encode_offer(c, r, buf, cap, l);
}
static xs_err_t enc_offer_ref(struct xs_codec *c, const void *r, void *buf, size_t cap, size_t *l)
{
        return xs_codec_encode_offer_generic(c, r, buf, cap, l);
}
static xs_err_t enc_signal_fast(struct xs_codec *c, const void *r, void *buf, size_t cap, size_t *l)
{
        return xs_codec_encode_signal(c, r, buf, cap, l);
}
static xs_err_t enc_signal_ref(struct xs_codec *c, const void *r, void *buf, size_t cap, size_t *l)
{
        return xs_codec_encode_signal_generic(c, r, buf, cap, l);
}
static xs_err_t enc_outcome_fast(struct xs_codec *c, const void *r, void *buf, size_t cap,
                                 size_t *l)
{
        return xs_codec_encode_outcome(c, r, buf, cap, l);
}
static xs_err_t enc_outcome_ref(struct xs_codec *c, const void *r, void *buf, size_t cap, size_t *l)
{
        return xs_codec_encode_outcome_generic(c, r, buf, cap, l);
}

static void test_direct_encoders_match_generic(void **state)
{
        int ok = 0;
        for (int round = 0; round < 3000; round++) {
                struct xs_offer o;
                memset(&o, 0, sizeof(o));
                snprintf(o.offer_id, sizeof(o.offer_id), "%s", rnd() % 16 ? "off-1" : "");
                o.customer_id = rnd_req();
                o.type = (enum xs_offer_type)(rnd() % (XS_OFFER_COUNT + (rnd() % 16 == 0)));
                o.stage = (enum xs_stage)(rnd() % (XS_STAGE_COUNT + (rnd() % 16 == 0)));
                o.channel = (enum xs_channel)(rnd() % XS_CHANNEL_COUNT);
                o.trigger_event_id = rnd_req();
                o.anchor_product_id = rnd_str();
                o.n_items = rnd() % (XS_OFFER_MAX_ITEMS + 1);
                for (size_t i = 0; i < o.n_items; i++) {
                        struct xs_offer_item *it = &o.items[i];
                        it->product_id = rnd_req();
                        it->category = rnd_str();
                        it->brand = rnd_str();
                        it->price = rnd_long();
                        it->score = (double)(int64_t)rnd() / 1e9;
                        it->evidence.k11 = rnd_long();
                        it->evidence.k12 = rnd_long();
                        it->evidence.k21 = rnd_long();
                        it->evidence.k22 = rnd_long();
                        it->evidence.llr = -(double)(rnd() % 100000) / 7;
                        it->evidence.lift = 1.0 / 3;
                        for (int r = 0; r < XS_REL_COUNT; r++)
                                it->evidence.rel[r] = (int32_t)rnd_long();
                        it->evidence.reorder_interval_ms = rnd_long();
                        it->evidence.last_purchase_at = rnd_long();
                        it->evidence.repeat_buyers = (int32_t)rnd_long();
                }
                o.n_incentives = rnd() % (XS_OFFER_MAX_INCENTIVES + 1);
                for (size_t i = 0; i < o.n_incentives; i++) {
                        struct xs_incentive *inc = &o.incentives[i];
                        inc->kind = (enum xs_incentive_kind)(rnd() % XS_INC_COUNT);
                        inc->percent = (int32_t)rnd_long();
                        inc->threshold = rnd_long();
                        inc->amount = rnd_long();
                        snprintf(inc->currency, sizeof(inc->currency), "%s",
                                 rnd() % 2 ? "EUR" : "");
                        inc->valid_until = rnd_long();
                }
                o.rule = rnd_req();
                o.score_kind = rnd_req();
                o.window_ms = rnd_long();
                o.cart_value = rnd_long();
                snprintf(o.currency, sizeof(o.currency), "%s", rnd() % 2 ? "USD" : "");
                o.created_at = rnd_long();
                o.expires_at = rnd_long();
                same_encoding(enc_offer_fast, enc_offer_ref, &o);

                struct xs_signal sg = {.customer_id = rnd_req(),
                                       .from = (enum xs_stage)(rnd() % XS_STAGE_COUNT),
                                       .to = (enum xs_stage)(rnd() % (XS_STAGE_COUNT + 1)),
                                       .trigger_event_id = rnd_str(),
                                       .reason = rnd_req(),
                                       .event_time = rnd_long()};
                same_encoding(enc_signal_fast, enc_signal_ref, &sg);

                struct xs_outcome oc = {.offer_id = rnd_req(),
                                        .customer_id = rnd_req(),
                                        .type = (enum xs_offer_type)(rnd() % XS_OFFER_COUNT),
                                        .stage = (enum xs_stage)(rnd() % XS_STAGE_COUNT),
                                        .product_id = rnd_req(),
                                        .order_id = rnd_str(),
                                        .purchase_event_id = rnd_req(),
                                        .offer_created_at = rnd_long(),
                                        .converted_at = rnd_long(),
                                        .control = (int)(rnd() % 2)};
                same_encoding(enc_outcome_fast, enc_outcome_ref, &oc);
                size_t len;
                static unsigned char buf[1 << 16];
                ok += xs_codec_encode_offer(codec, &o, buf, sizeof(buf), &len) == XS_OK;
        }
        assert_true(ok > 1000); /* most records were valid: the bytes were compared */
}

static void test_poison_loop(void **state)
{
        /* warm up: the codec's decode value reaches its working size */
        struct wb warm;
        struct xs_event wev;
        char werr[256];
        for (int k = 1; k <= 3; k++) {
                w_event(&warm, "e1", 4, k);
                assert_int_equal(xs_codec_decode_event_generic(codec, NULL, warm.b, warm.n, &wev,
                                                               werr, sizeof(werr)),
                                 XS_OK);
        }
        int64_t live = xs_avro_guard_live_blocks();
        assert_true(live > 0); /* the counter sees the decode value */
        /* many poison records through one codec: memory must stay flat (LSan in the sanitizer
         * build checks nothing is left behind at exit) */
        struct wb w;
        struct xs_event ev;
        char err[256];
        for (int i = 0; i < 10000; i++) {
                /* both decoders: the fast path (even i) and avro-c's generic values (odd i) */
                xs_err_t (*decode)(struct xs_codec *, const struct xs_wschema *, const void *,
                                   size_t, struct xs_event *, char *, size_t) =
                    i % 2 ? xs_codec_decode_event_generic : xs_codec_decode_event;
                w_event(&w, "e1", 4, 1 + i % 3);
                size_t cut = (size_t)(i % (int)w.n);
                xs_err_t e = decode(codec, NULL, w.b, cut, &ev, err, sizeof(err));
                assert_int_equal(e, XS_ERR_DECODE);
                e = decode(codec, NULL, w.b, w.n, &ev, err, sizeof(err));
                assert_int_equal(e, XS_OK);
                assert_int_equal(ev.n_items, 1 + i % 3);
                /* contract violations and avro-c read failures (allocator cap) as well */
                w_event(&w, "", 4, 1);
                assert_int_equal(decode(codec, NULL, w.b, w.n, &ev, err, sizeof(err)),
                                 XS_ERR_INVALID);
        }
        /* avro-c holds exactly as many blocks as before: poison records leave nothing behind */
        assert_int_equal(xs_avro_guard_live_blocks(), live);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_kind_names_and_schemas),
            cmocka_unit_test(test_event_roundtrip),
            cmocka_unit_test(test_encode_nomem),
            cmocka_unit_test(test_product_roundtrip),
            cmocka_unit_test(test_offer_encode),
            cmocka_unit_test(test_signal_outcome_encode),
            cmocka_unit_test(test_evolution_added_fields),
            cmocka_unit_test(test_evolution_reordered_and_promoted),
            cmocka_unit_test(test_evolution_unknown_symbol),
            cmocka_unit_test(test_evolution_incompatible),
            cmocka_unit_test(test_product_promoted_and_nullable),
            cmocka_unit_test(test_malformed_truncated),
            cmocka_unit_test(test_malformed_lengths),
            cmocka_unit_test(test_malformed_counts_and_indexes),
            cmocka_unit_test(test_malformed_garbage),
            cmocka_unit_test(test_contract_checks),
            cmocka_unit_test(test_frame),
            cmocka_unit_test(test_validator_depth_and_zero_width),
            cmocka_unit_test(test_validator_shared_zero_width_types),
            cmocka_unit_test(test_allocator_cap),
            cmocka_unit_test(test_poison_loop),
            cmocka_unit_test(test_direct_encoders_match_generic),
        };
        return cmocka_run_group_tests_name("codec", tests, setup, teardown);
}
