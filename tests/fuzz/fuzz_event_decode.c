/*
 * Fuzz target: bytes -> xs_codec_decode_event, with our own writer schema and with an evolved
 * one (first byte odd), and through xs_frame_parse when the bytes carry Confluent framing.
 * Any result but XS_OK / XS_ERR_DECODE / XS_ERR_INVALID, a crash or a leak is a bug.
 */
#include <stdint.h>
#include <stdlib.h>

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

/* One codec per input, destroyed before returning: LeakSanitizer then checks each input
 * exactly (avro-c lays out generic values so LSan cannot always follow pointers into a live
 * codec; test_codec's poison loop checks that a long-lived codec does not grow). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        struct xs_event ev;
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        struct xs_wschema *ws_evolved = xs_wschema_new(XS_KIND_EVENT, evolved, err, sizeof(err));
        if (!codec || !ws_evolved)
                abort();
        check(xs_codec_decode_event(codec, NULL, data, size, &ev, err, sizeof(err)));
        if (size > 0)
                check(xs_codec_decode_event(codec, (data[0] & 1) ? ws_evolved : NULL, data + 1,
                                            size - 1, &ev, err, sizeof(err)));
        uint32_t id;
        const void *body;
        size_t body_len;
        if (xs_frame_parse(data, size, &id, &body, &body_len) == XS_OK) {
                xs_err_t e = xs_codec_decode_event(codec, (id & 1) ? ws_evolved : NULL, body,
                                                   body_len, &ev, err, sizeof(err));
                check(e);
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
        return 0;
}
