/*
 * The fast path for events (the hot path, xs_codec_decode_event): after xs_avro_validate has
 * accepted the bytes, the fields are read straight from them by the writer schema's plan, without
 * avro-c's generic values (which cost a dozen allocations and ~10,000 instructions per event). The
 * fields we do not use are skipped by the validator's own walker. Every read is still
 * bounds-checked. The mapping (decode_map.c) is the generic path's; that path (decode_generic.c)
 * stays as the reference that tests/fuzz/fuzz_event_decode.c compares this one against on every
 * input.
 *
 * Bounds: an item holds at least one byte, so an array block counting more items than the
 * bytes left is refused before anything is allocated for it.
 */
#include <string.h>

#include "codec/codec_int.h"

struct cursor {
        const unsigned char *b;
        size_t len, pos;
};

static int cur_varint(struct cursor *c, int64_t *out)
{
        uint64_t v = 0;
        for (int i = 0; i < 10; i++) {
                if (c->pos >= c->len)
                        return -1;
                unsigned char b = c->b[c->pos++];
                v |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return 0;
                }
        }
        return -1;
}

/* A scalar we map (string, bytes, int, long, boolean, enum, maybe in a union with null). */
static int read_scalar(struct cursor *c, const struct xs_avro_node *s, struct raw *r)
{
        int64_t v;
        r->present = 0;
        if (s->type == AVRO_UNION) {
                if (cur_varint(c, &v) != 0 || v < 0 || (uint64_t)v >= s->n)
                        return -1;
                s = s->kid[v];
        }
        switch (s->type) {
        case AVRO_NULL:
                return 0;
        case AVRO_STRING:
        case AVRO_BYTES:
                if (cur_varint(c, &v) != 0 || v < 0 || (uint64_t)v > c->len - c->pos)
                        return -1;
                r->p = (const char *)c->b + c->pos;
                r->n = (size_t)v;
                c->pos += (size_t)v;
                break;
        case AVRO_INT32:
        case AVRO_INT64:
        case AVRO_ENUM:
                if (cur_varint(c, &r->v) != 0)
                        return -1;
                break;
        case AVRO_BOOLEAN:
                if (c->pos >= c->len)
                        return -1;
                r->v = c->b[c->pos++] != 0;
                break;
        default:
                return -1;
        }
        r->present = 1;
        return 0;
}

/* The fields of one record by plan into raw[our field]; the others skipped. */
static int read_record(struct cursor *c, const struct wfield *plan, int n, struct raw *raw,
                       char *why, size_t why_size)
{
        for (int i = 0; i < n; i++) {
                if (plan[i].our >= 0) {
                        if (read_scalar(c, plan[i].node, &raw[plan[i].our]) != 0)
                                return -1;
                } else if (xs_avro_skip(plan[i].node, c->b, c->len, &c->pos, why, why_size) != 0) {
                        return -1;
                }
        }
        return 0;
}

/* The line items array: blocks of records, LI_NFIELDS raw fields each into codec->raw_items. */
static int read_items(struct xs_codec *codec, const struct xs_wschema *ws, struct cursor *c,
                      size_t *n_out, char *why, size_t why_size)
{
        size_t n = 0;
        for (;;) {
                int64_t count, block_size;
                if (cur_varint(c, &count) != 0)
                        return -1;
                if (count == 0)
                        break;
                if (count < 0) {
                        if (count == INT64_MIN || cur_varint(c, &block_size) != 0)
                                return -1;
                        count = -count;
                }
                /* an item holds a product_id string: at least one byte each */
                if ((uint64_t)count > c->len - c->pos)
                        return -1;
                if (xs_codec_grow((void **)&codec->raw_items, &codec->raw_items_cap,
                                  (n + (size_t)count) * LI_NFIELDS, sizeof(struct raw)) != 0)
                        return -2;
                struct raw *r = codec->raw_items + n * LI_NFIELDS;
                memset(r, 0, (size_t)count * LI_NFIELDS * sizeof(*r));
                for (int64_t i = 0; i < count; i++, r += LI_NFIELDS)
                        if (read_record(c, ws->item_plan, ws->n_item_plan, r, why, why_size) != 0)
                                return -1;
                n += (size_t)count;
        }
        *n_out = n;
        return 0;
}

static xs_err_t plan_decode_event(struct xs_codec *codec, const struct xs_wschema *ws,
                                  const void *buf, size_t len, struct xs_event *out, char *errstr,
                                  size_t errstr_size)
{
        struct raw f[EV_NFIELDS];
        char why[256] = "";
        size_t n = 0;
        xs_err_t err;

        if ((err = xs_codec_accept(codec, ws, buf, len, errstr, errstr_size)) != XS_OK)
                return err;
        memset(f, 0, sizeof(f));
        struct cursor c = {buf, len, 0};
        for (int i = 0; i < ws->n_plan; i++) {
                const struct wfield *wf = &ws->plan[i];
                int rc = wf->our == EV_ITEMS ? read_items(codec, ws, &c, &n, why, sizeof(why))
                         : wf->our >= 0
                             ? read_scalar(&c, wf->node, &f[wf->our])
                             : xs_avro_skip(wf->node, c.b, c.len, &c.pos, why, sizeof(why));
                if (rc == -2) {
                        xs_set_err(errstr, errstr_size, "event: out of memory");
                        return XS_ERR_NOMEM;
                }
                if (rc != 0) {
                        /* cannot happen for validated bytes */
                        xs_set_err(errstr, errstr_size, "event: cannot read validated bytes%s%s",
                                   why[0] ? ": " : "", why);
                        return XS_ERR_DECODE;
                }
        }
        if (c.pos != len) {
                xs_set_err(errstr, errstr_size, "event: cannot read validated bytes");
                return XS_ERR_DECODE;
        }
        return xs_codec_map_event(codec, ws, f, n, out, errstr, errstr_size);
}

/* Takes nothing; *out points into codec memory, valid until the next decode on codec. */
xs_err_t xs_codec_decode_event(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                               size_t len, struct xs_event *out, char *errstr, size_t errstr_size)
{
        memset(out, 0, sizeof(*out));
        if (!(ws = xs_codec_event_ws(codec, ws, errstr, errstr_size)))
                return XS_ERR_INVALID;
        return plan_decode_event(codec, ws, buf, len, out, errstr, errstr_size);
}
