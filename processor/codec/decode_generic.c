/*
 * The generic decoder: once xs_avro_validate has accepted the bytes, avro-c decodes them into
 * the generic value the codec keeps for the writer schema, and its fields become raw fields
 * for the shared mapping (decode_map.c). Products are decoded only this way
 * (xs_codec_decode_product); for events (xs_codec_decode_event_generic) it is the reference that
 * tests/fuzz/fuzz_event_decode.c compares the fast path (decode_plan.c) against on every input.
 *
 * Bounds: avro-c is only given validated bytes, so it allocates at most a bounded multiple of
 * the record; an event has no more items than the record has bytes (checked again here);
 * product targets are copied into the codec's string arena, which the record's size bounds.
 */
#include <string.h>

#include "codec/codec_int.h"

/* Validates and reads one record into the slot value of ws. */
static xs_err_t codec_read(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                           size_t len, avro_value_t **out, char *errstr, size_t errstr_size)
{
        avro_set_error("%s", "");
        xs_err_t err = xs_codec_accept(codec, ws, buf, len, errstr, errstr_size);
        if (err != XS_OK)
                return err;
        avro_value_t *v = xs_codec_slot(codec, ws, errstr, errstr_size);
        if (!v)
                return XS_ERR_NOMEM;
        avro_value_reset(v);
        avro_reader_memory_set_source(codec->reader, buf, (int64_t)len);
        if (avro_value_read(codec->reader, v) != 0) {
                xs_set_err(errstr, errstr_size, "%s: avro-c cannot decode validated bytes: %s",
                           xs_record_kind_name(ws->kind), avro_strerror());
                /* the value may be half built; reset it so nothing of it is reused */
                avro_value_reset(v);
                return XS_ERR_DECODE;
        }
        *out = v;
        codec->live = v;
        return XS_OK;
}

/* Follows union branches to the value itself. */
static avro_type_t unwrap(avro_value_t *v)
{
        for (int i = 0; i < 4 && avro_value_get_type(v) == AVRO_UNION; i++) {
                avro_value_t branch;
                if (avro_value_get_current_branch(v, &branch) != 0)
                        return AVRO_NULL;
                *v = branch;
        }
        return avro_value_get_type(v);
}

/* Field idx of rec (writer index, -1: absent) into *out, unwrapped. 0: absent or null. */
static int field(avro_value_t *rec, int idx, avro_value_t *out)
{
        if (idx < 0 || avro_value_get_by_index(rec, (size_t)idx, out, NULL) != 0)
                return 0;
        return unwrap(out) != AVRO_NULL;
}

/* A decoded avro-c value (not a union) as a raw field. -1 if avro-c cannot give it. */
static int raw_value(avro_value_t *v, struct raw *r)
{
        memset(r, 0, sizeof(*r));
        switch (avro_value_get_type(v)) {
        case AVRO_STRING: {
                const char *str;
                size_t n;
                if (avro_value_get_string(v, &str, &n) != 0)
                        return -1;
                r->p = str;
                r->n = n ? n - 1 : 0; /* avro-c counts the NUL */
                break;
        }
        case AVRO_BYTES: {
                const void *bytes;
                if (avro_value_get_bytes(v, &bytes, &r->n) != 0)
                        return -1;
                r->p = bytes;
                break;
        }
        case AVRO_INT32: {
                int32_t i;
                if (avro_value_get_int(v, &i) != 0)
                        return -1;
                r->v = i;
                break;
        }
        case AVRO_INT64:
                if (avro_value_get_long(v, &r->v) != 0)
                        return -1;
                break;
        case AVRO_BOOLEAN: {
                int b;
                if (avro_value_get_boolean(v, &b) != 0)
                        return -1;
                r->v = b != 0;
                break;
        }
        case AVRO_ENUM: {
                int sym;
                if (avro_value_get_enum(v, &sym) != 0)
                        return -1;
                r->v = sym;
                break;
        }
        default:
                return -1;
        }
        r->present = 1;
        return 0;
}

/* Field idx of rec as a raw field (not present when absent or null). */
static int raw_field(avro_value_t *rec, int idx, struct raw *r)
{
        avro_value_t v;
        if (!field(rec, idx, &v)) {
                memset(r, 0, sizeof(*r));
                return 0;
        }
        return raw_value(&v, r);
}

/* The generic decoder: avro-c reads the record, its fields become raw fields. */
static xs_err_t generic_decode_event(struct xs_codec *codec, const struct xs_wschema *ws,
                                     const void *buf, size_t len, struct xs_event *out,
                                     char *errstr, size_t errstr_size)
{
        avro_value_t *rec, arr;
        struct raw f[EV_NFIELDS];
        size_t n = 0;
        xs_err_t err;

        if ((err = codec_read(codec, ws, buf, len, &rec, errstr, errstr_size)) != XS_OK)
                return err;
        memset(&f[EV_ITEMS], 0, sizeof(f[EV_ITEMS])); /* the array: below */
        for (int i = 0; i < EV_NFIELDS; i++)
                if (i != EV_ITEMS && raw_field(rec, ws->idx[i], &f[i]) != 0)
                        goto unreadable;
        if (field(rec, ws->idx[EV_ITEMS], &arr) && avro_value_get_size(&arr, &n) != 0)
                n = 0;
        if (n > len) { /* the validator bounds items by bytes; this is a second check */
                xs_set_err(errstr, errstr_size, "event: %zu items in %zu bytes", n, len);
                return XS_ERR_DECODE;
        }
        if (xs_codec_grow((void **)&codec->raw_items, &codec->raw_items_cap, n * LI_NFIELDS,
                          sizeof(struct raw)) != 0) {
                xs_set_err(errstr, errstr_size, "event: out of memory for %zu items", n);
                return XS_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                avro_value_t item;
                if (avro_value_get_by_index(&arr, i, &item, NULL) != 0 ||
                    unwrap(&item) != AVRO_RECORD) {
                        xs_set_err(errstr, errstr_size, "event: item %zu is not a record", i);
                        return XS_ERR_DECODE;
                }
                for (int k = 0; k < LI_NFIELDS; k++)
                        if (raw_field(&item, ws->sub_idx[k], &codec->raw_items[i * LI_NFIELDS + k]))
                                goto unreadable;
        }
        return xs_codec_map_event(codec, ws, f, n, out, errstr, errstr_size);
unreadable:
        xs_set_err(errstr, errstr_size, "event: avro-c cannot give a decoded value");
        return XS_ERR_DECODE;
}

/* An array of strings (product targets) into codec->strs from index at; *n_out the count. */
static xs_err_t map_targets(struct mapctx *m, avro_value_t *rec, int idx, const char *name,
                            size_t at, size_t *n_out)
{
        avro_value_t arr, elem;
        struct raw r;
        size_t n = 0;
        *n_out = 0;
        if (!field(rec, idx, &arr) || avro_value_get_size(&arr, &n) != 0 || n == 0)
                return XS_OK;
        if (xs_codec_grow((void **)&m->codec->strs, &m->codec->strs_cap, at + n, sizeof(char *)) !=
            0) {
                xs_set_err(m->errstr, m->errstr_size, "product: out of memory for %zu %s", n, name);
                return XS_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (avro_value_get_by_index(&arr, i, &elem, NULL) != 0 || raw_value(&elem, &r))
                        return XS_ERR_DECODE;
                char *dst = NULL;
                if ((r.n && memchr(r.p, 0, r.n)) ||
                    !(dst = xs_codec_arena_copy(m->codec, r.p, r.n))) {
                        xs_set_err(m->errstr, m->errstr_size, "product: %s[%zu] is not a valid id",
                                   name, i);
                        return XS_ERR_INVALID;
                }
                m->codec->strs[at + i] = dst;
        }
        *n_out = n;
        return XS_OK;
}

static xs_err_t generic_decode_product(struct xs_codec *codec, const struct xs_wschema *ws,
                                       const void *buf, size_t len, struct xs_product *out,
                                       char *errstr, size_t errstr_size)
{
        avro_value_t *rec;
        struct mapctx m = {codec, "product", errstr, errstr_size};
        struct raw f[PR_NFIELDS];
        xs_err_t err;

        codec->last_tombstone = 0;
        if (!ws)
                ws = codec->own[XS_KIND_PRODUCT];
        if (ws->kind != XS_KIND_PRODUCT) {
                xs_set_err(errstr, errstr_size, "product: writer schema is for %s records",
                           xs_record_kind_name(ws->kind));
                return XS_ERR_INVALID;
        }
        memset(out, 0, sizeof(*out));
        if ((err = codec_read(codec, ws, buf, len, &rec, errstr, errstr_size)) != XS_OK)
                return err;
        for (int i = 0; i < PR_NFIELDS; i++) {
                if (i == PR_UPGRADES || i == PR_DOWNGRADES)
                        continue; /* arrays: map_targets */
                if (raw_field(rec, ws->idx[i], &f[i]) != 0) {
                        xs_set_err(errstr, errstr_size,
                                   "product: avro-c cannot give a decoded value");
                        return XS_ERR_DECODE;
                }
        }
        int deleted = f[PR_DELETED].present && f[PR_DELETED].v;
        if ((err = xs_codec_raw_id(&m, &f[PR_PRODUCT_ID], "product_id", &out->product_id)) ||
            (err = xs_codec_raw_str(&m, &f[PR_CATEGORY], "category", 0, &out->category)) ||
            (err = xs_codec_raw_str(&m, &f[PR_BRAND], "brand", 0, &out->brand)) ||
            (err = xs_codec_raw_str(&m, &f[PR_CATEGORY_LABEL], "category_label", 0,
                                    &out->category_label)) ||
            (err = xs_codec_raw_str(&m, &f[PR_ADDON], "addon", 0, &out->addon)) ||
            (err = xs_codec_raw_currency(&m, &f[PR_CURRENCY], !deleted, out->currency)))
                return err;
        if (!f[PR_PRICE].present && !deleted) {
                xs_set_err(errstr, errstr_size, "product: price is null");
                return XS_ERR_INVALID;
        }
        if (f[PR_PRICE].present)
                out->price = f[PR_PRICE].v;
        out->in_stock = f[PR_IN_STOCK].present ? f[PR_IN_STOCK].v != 0 : 1;
        size_t nu, nd;
        if ((err = map_targets(&m, rec, ws->idx[PR_UPGRADES], "upgrades", 0, &nu)) ||
            (err = map_targets(&m, rec, ws->idx[PR_DOWNGRADES], "downgrades", nu, &nd)))
                return err;
        out->upgrades = nu ? codec->strs : NULL;
        out->n_upgrades = nu;
        out->downgrades = nd ? codec->strs + nu : NULL;
        out->n_downgrades = nd;
        codec->last_tombstone = deleted;
        return XS_OK;
}

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

/* The same through avro-c's generic values: the reference the fast path is fuzzed against. */
xs_err_t xs_codec_decode_event_generic(struct xs_codec *codec, const struct xs_wschema *ws,
                                       const void *buf, size_t len, struct xs_event *out,
                                       char *errstr, size_t errstr_size)
{
        memset(out, 0, sizeof(*out));
        if (!(ws = xs_codec_event_ws(codec, ws, errstr, errstr_size)))
                return XS_ERR_INVALID;
        return codec_done(codec,
                          generic_decode_event(codec, ws, buf, len, out, errstr, errstr_size));
}

/* Takes nothing; *out points into codec memory, valid until the next decode on codec. Sets the
 * tombstone flag read by xs_codec_last_tombstone(). */
xs_err_t xs_codec_decode_product(struct xs_codec *codec, const struct xs_wschema *ws,
                                 const void *buf, size_t len, struct xs_product *out, char *errstr,
                                 size_t errstr_size)
{
        return codec_done(codec,
                          generic_decode_product(codec, ws, buf, len, out, errstr, errstr_size));
}
