/*
 * The public decode entry points: events through the fast path (decode_plan.c), or through
 * avro-c's generic values as the reference (decode_generic.c); products through the generic
 * values. A decoded record points into codec memory until the next decode on the codec; the
 * avro-c value gives back its per-record memory before an entry point returns.
 */
#include <string.h>

#include "codec/codec_int.h"

/* Everything decoded was copied into the arena and the codec's arrays, so the avro-c value can
 * give back its per-record memory at once (it keeps its containers for the next record). */
static xs_err_t codec_done(struct xs_codec *codec, xs_err_t err)
{
        if (codec->live) {
                avro_value_reset(codec->live);
                codec->live = NULL;
        }
        return err;
}

/* The writer schema of an event decode (NULL: ours), or NULL when ws is for another kind. */
static const struct xs_wschema *event_ws(struct xs_codec *codec, const struct xs_wschema *ws,
                                         char *errstr, size_t errstr_size)
{
        if (!ws)
                ws = codec->own[XS_KIND_EVENT];
        if (ws->kind != XS_KIND_EVENT) {
                xs_set_err(errstr, errstr_size, "event: writer schema is for %s records",
                                 xs_record_kind_name(ws->kind));
                return NULL;
        }
        return ws;
}

/* Takes nothing; *out points into codec memory, valid until the next decode on codec. */
xs_err_t xs_codec_decode_event(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                               size_t len, struct xs_event *out, char *errstr, size_t errstr_size)
{
        memset(out, 0, sizeof(*out));
        if (!(ws = event_ws(codec, ws, errstr, errstr_size)))
                return XS_ERR_INVALID;
        return xs_codec_plan_decode_event(codec, ws, buf, len, out, errstr, errstr_size);
}

/* The same through avro-c's generic values: the reference the fast path is fuzzed against. */
xs_err_t xs_codec_decode_event_generic(struct xs_codec *codec, const struct xs_wschema *ws,
                                       const void *buf, size_t len, struct xs_event *out,
                                       char *errstr, size_t errstr_size)
{
        memset(out, 0, sizeof(*out));
        if (!(ws = event_ws(codec, ws, errstr, errstr_size)))
                return XS_ERR_INVALID;
        return codec_done(
            codec, xs_codec_generic_decode_event(codec, ws, buf, len, out, errstr, errstr_size));
}

/* Takes nothing; *out points into codec memory, valid until the next decode on codec. Sets the
 * tombstone flag read by xs_codec_last_tombstone(). */
xs_err_t xs_codec_decode_product(struct xs_codec *codec, const struct xs_wschema *ws,
                                 const void *buf, size_t len, struct xs_product *out, char *errstr,
                                 size_t errstr_size)
{
        return codec_done(
            codec, xs_codec_generic_decode_product(codec, ws, buf, len, out, errstr, errstr_size));
}

int xs_codec_last_tombstone(const struct xs_codec *codec)
{
        return codec->last_tombstone;
}
