/*
 * The two steps every decoder shares. First accepting a record: xs_avro_validate walks the
 * bytes against the writer schema (the whole buffer, nothing after it) before anything is read.
 * Last mapping raw fields into our structs: this is where our defaults and the contract checks
 * (required ids, no NUL bytes, currency length) are applied.
 *
 * Decoded strings live in an arena owned by the codec, sized before mapping so it never moves:
 * every string in a record costs at least one length byte, so len + 1 bytes hold all strings
 * and their NULs. Line items live in an array owned by the codec; it never holds more entries
 * than the record has bytes (the validator bounds every count).
 */
#include <string.h>

#include "codec/codec_int.h"

/* Validates one record of ws (the whole buffer, nothing after it) and readies the string arena
 * for it: the first step of both decoders. */
xs_err_t xs_codec_accept(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                         size_t len, char *errstr, size_t errstr_size)
{
        char why[256];
        size_t consumed = 0;
        const char *what = xs_record_kind_name(ws->kind);

        if (xs_avro_validate_prog(ws->prog, buf, len, &consumed, why, sizeof(why)) != 0) {
                xs_set_err(errstr, errstr_size, "%s: %s", what, why);
                return XS_ERR_DECODE;
        }
        if (consumed != len) {
                xs_set_err(errstr, errstr_size, "%s: %zu trailing bytes after the record", what,
                           len - consumed);
                return XS_ERR_DECODE;
        }
        /* every string costs a length byte, so len + 1 holds all strings with their NULs */
        if (xs_codec_grow((void **)&codec->arena, &codec->arena_cap, len + 1, 1) != 0) {
                xs_set_err(errstr, errstr_size, "%s: out of memory", what);
                return XS_ERR_NOMEM;
        }
        codec->arena_len = 0;
        return XS_OK;
}

/* n bytes copied into the arena with a NUL; NULL if it has no room (not for validated bytes:
 * the arena is sized by the record). */
char *xs_codec_arena_copy(struct xs_codec *c, const char *p, size_t n)
{
        if (c->arena_len + n + 1 > c->arena_cap)
                return NULL;
        char *dst = c->arena + c->arena_len;
        if (n)
                memcpy(dst, p, n);
        dst[n] = '\0';
        c->arena_len += n + 1;
        return dst;
}

/* A string or bytes field into the arena, NUL-terminated; *out NULL when absent or null. */
xs_err_t xs_codec_raw_str(struct mapctx *m, const struct raw *r, const char *name, int required,
                          const char **out)
{
        *out = NULL;
        if (!r->present) {
                if (required) {
                        xs_set_err(m->errstr, m->errstr_size, "%s: %s is missing or null", m->what,
                                   name);
                        return XS_ERR_INVALID;
                }
                return XS_OK;
        }
        if (r->n && memchr(r->p, 0, r->n)) {
                xs_set_err(m->errstr, m->errstr_size, "%s: %s contains a NUL byte", m->what, name);
                return XS_ERR_INVALID;
        }
        if (!(*out = xs_codec_arena_copy(m->codec, r->p, r->n))) {
                xs_set_err(m->errstr, m->errstr_size, "%s: string arena overflow", m->what);
                return XS_ERR_DECODE;
        }
        return XS_OK;
}

xs_err_t xs_codec_raw_id(struct mapctx *m, const struct raw *r, const char *name, const char **out)
{
        xs_err_t err = xs_codec_raw_str(m, r, name, 1, out);
        if (err == XS_OK && !**out) {
                xs_set_err(m->errstr, m->errstr_size, "%s: %s is empty", m->what, name);
                return XS_ERR_INVALID;
        }
        return err;
}

xs_err_t xs_codec_raw_currency(struct mapctx *m, const struct raw *r, int required,
                               char cur[XS_CURRENCY_LEN])
{
        const char *s;
        xs_err_t err = xs_codec_raw_str(m, r, "currency", required, &s);
        cur[0] = '\0';
        if (err != XS_OK || !s)
                return err;
        if (strlen(s) >= XS_CURRENCY_LEN) {
                xs_set_err(m->errstr, m->errstr_size,
                           "%s: currency \"%.16s\" is longer than %d characters", m->what, s,
                           XS_CURRENCY_LEN - 1);
                return XS_ERR_INVALID;
        }
        strcpy(cur, s);
        return XS_OK;
}

/* An event from its raw fields f and its n line items (LI_NFIELDS raw fields each in
 * codec->raw_items). */
xs_err_t xs_codec_map_event(struct xs_codec *codec, const struct xs_wschema *ws,
                            const struct raw *f, size_t n, struct xs_event *out, char *errstr,
                            size_t errstr_size)
{
        struct mapctx m = {codec, "event", errstr, errstr_size};
        xs_err_t err;
        if ((err = xs_codec_raw_id(&m, &f[EV_EVENT_ID], "event_id", &out->event_id)) ||
            (err = xs_codec_raw_id(&m, &f[EV_CUSTOMER_ID], "customer_id", &out->customer_id)) ||
            (err = xs_codec_raw_str(&m, &f[EV_SESSION_ID], "session_id", 0, &out->session_id)) ||
            (err = xs_codec_raw_str(&m, &f[EV_ORDER_ID], "order_id", 0, &out->order_id)) ||
            (err = xs_codec_raw_str(&m, &f[EV_OFFER_ID], "offer_id", 0, &out->offer_id)) ||
            (err = xs_codec_raw_currency(&m, &f[EV_CURRENCY], 0, out->currency)))
                return err;
        if (!f[EV_EVENT_TIME].present) {
                xs_set_err(errstr, errstr_size, "event: event_time is null");
                return XS_ERR_INVALID;
        }
        out->event_time = f[EV_EVENT_TIME].v;
        out->type = XS_EV_UNKNOWN;
        if (f[EV_TYPE].present && f[EV_TYPE].v >= 0 && f[EV_TYPE].v < ws->n_enum)
                out->type = (enum xs_event_type)ws->enum_map[f[EV_TYPE].v];
        if (xs_codec_grow((void **)&codec->items, &codec->items_cap, n, sizeof(*codec->items)) !=
            0) {
                xs_set_err(errstr, errstr_size, "event: out of memory for %zu items", n);
                return XS_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                struct xs_line_item *it = &codec->items[i];
                const struct raw *r = codec->raw_items + i * LI_NFIELDS;
                memset(it, 0, sizeof(*it));
                if ((err = xs_codec_raw_id(&m, &r[LI_PRODUCT_ID], "items.product_id",
                                           &it->product_id)) ||
                    (err = xs_codec_raw_str(&m, &r[LI_CATEGORY], "items.category", 0,
                                            &it->category)) ||
                    (err = xs_codec_raw_str(&m, &r[LI_BRAND], "items.brand", 0, &it->brand)) ||
                    (err = xs_codec_raw_str(&m, &r[LI_CATEGORY_LABEL], "items.category_label", 0,
                                            &it->category_label)))
                        return err;
                it->quantity = r[LI_QUANTITY].present ? (int32_t)r[LI_QUANTITY].v : 1;
                it->unit_price = r[LI_UNIT_PRICE].present ? r[LI_UNIT_PRICE].v : -1;
        }
        out->items = n ? codec->items : NULL;
        out->n_items = n;
        return XS_OK;
}

/* The writer schema of an event decode (NULL: ours), or NULL when ws is for another kind. */
const struct xs_wschema *xs_codec_event_ws(struct xs_codec *codec, const struct xs_wschema *ws,
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
