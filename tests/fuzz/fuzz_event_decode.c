/*
 * Fuzz target: bytes -> xs_codec_decode_event, with our own writer schema and with an evolved
 * one (first byte odd), and through xs_frame_parse when the bytes carry Confluent framing.
 * Any result but XS_OK / XS_ERR_DECODE / XS_ERR_INVALID, a crash or a leak is a bug. Every
 * decode is done twice, by the fast path and by avro-c's generic values (the reference): any
 * difference in result, error message or decoded event is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xsell/codec.h"

static const char evolved[] =
    "{\"type\":\"record\",\"name\":\"CustomerEvent\",\"fields\":["
    "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":"
    "\"LineItem\",\"fields\":[{\"name\":\"unit_price\",\"type\":\"long\"},"
    "{\"name\":\"product_id\",\"type\":\"bytes\"},{\"name\":\"tags\",\"type\":{\"type\":\"map\","
    "\"values\":\"string\"}}]}}},"
    "{\"name\":\"customer_id\",\"type\":\"string\"},"
    "{\"name\":\"event_time\",\"type\":[\"null\",\"int\"]},"
    "{\"name\":\"type\",\"type\":{\"type\":\"enum\",\"name\":\"EventType\",\"symbols\":["
    "\"NEW_THING\",\"PURCHASE\"]}},"
    "{\"name\":\"event_id\",\"type\":\"string\"},"
    "{\"name\":\"extra\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}}]}";

static void check(xs_err_t e)
{
        if (e != XS_OK && e != XS_ERR_DECODE && e != XS_ERR_INVALID)
                abort();
}

static void same_str(const char *a, const char *b)
{
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
                abort();
}

static struct xs_codec *reference;

/* The fast decode, checked against the generic one on a codec of its own. */
static xs_err_t decode(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                       size_t len, struct xs_event *ev, char *err, size_t err_size)
{
        char ref_err[256] = "";
        struct xs_event ref;
        err[0] = '\0';
        xs_err_t e = xs_codec_decode_event(codec, ws, buf, len, ev, err, err_size);
        xs_err_t r =
            xs_codec_decode_event_generic(reference, ws, buf, len, &ref, ref_err, sizeof(ref_err));
        check(e);
        /* inputs are far below avro-c's allocator cap: the two must agree exactly */
        if (e != r || (e != XS_OK && strcmp(err, ref_err) != 0))
                abort();
        if (e != XS_OK)
                return e;
        same_str(ev->event_id, ref.event_id);
        same_str(ev->customer_id, ref.customer_id);
        same_str(ev->session_id, ref.session_id);
        same_str(ev->order_id, ref.order_id);
        same_str(ev->offer_id, ref.offer_id);
        if (ev->event_time != ref.event_time || ev->type != ref.type ||
            strcmp(ev->currency, ref.currency) != 0 || ev->n_items != ref.n_items)
                abort();
        for (size_t i = 0; i < ev->n_items; i++) {
                const struct xs_line_item *a = &ev->items[i], *b = &ref.items[i];
                same_str(a->product_id, b->product_id);
                same_str(a->category, b->category);
                same_str(a->brand, b->brand);
                same_str(a->category_label, b->category_label);
                if (a->quantity != b->quantity || a->unit_price != b->unit_price)
                        abort();
        }
        return e;
}

/* One codec per input, destroyed before returning: LeakSanitizer then checks each input
 * exactly (avro-c lays out generic values so LSan cannot always follow pointers into a live
 * codec; test_codec's poison loop checks that a long-lived codec does not grow). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        struct xs_event ev;
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        struct xs_wschema *ws_evolved = xs_wschema_new(XS_KIND_EVENT, evolved, err, sizeof(err));
        reference = xs_codec_new(err, sizeof(err));
        if (!codec || !ws_evolved || !reference)
                abort();
        decode(codec, NULL, data, size, &ev, err, sizeof(err));
        if (size > 0)
                decode(codec, (data[0] & 1) ? ws_evolved : NULL, data + 1, size - 1, &ev, err,
                       sizeof(err));
        uint32_t id;
        const void *body;
        size_t body_len;
        if (xs_frame_parse(data, size, &id, &body, &body_len) == XS_OK) {
                xs_err_t e = decode(codec, (id & 1) ? ws_evolved : NULL, body, body_len, &ev, err,
                                    sizeof(err));
                if (e == XS_OK) {
                        /* what decodes must encode again and decode with our schema */
                        static unsigned char out[1 << 17];
                        size_t len;
                        if (xs_codec_encode_event(codec, &ev, out, sizeof(out), &len) == XS_OK &&
                            xs_codec_decode_event(codec, NULL, out, len, &ev, err, sizeof(err)) !=
                                XS_OK)
                                abort();
                }
        }
        xs_wschema_destroy(ws_evolved);
        xs_codec_destroy(codec);
        xs_codec_destroy(reference);
        return 0;
}
