/*
 * Direct encoders for what the engine emits on the hot path (offers, signals, outcomes): the
 * bytes are written field by field in the order of our .avsc files, without avro-c's generic
 * values (which look every field up by name in a hash table). The generic encoders
 * (encode_generic.c) stay as the reference: tests/test_codec.c checks that both give the same
 * bytes and the same result for every record it builds, and reads the output back with avro-c.
 *
 * Bounds: nothing is written past cap (the length counts on past it: a short buffer gives
 * XS_ERR_NOMEM with the size needed); our enum values' symbol indexes are worked out once per
 * codec, from our output schemas.
 */
#include <string.h>

#include "codec/codec_int.h"

struct wbuf {
        unsigned char *p;
        size_t cap, len; /* len counts on past cap: it is the size needed */
};

static void wb_put(struct wbuf *w, const void *src, size_t n)
{
        if (w->len + n <= w->cap)
                memcpy(w->p + w->len, src, n);
        w->len += n;
}

static void wb_long(struct wbuf *w, int64_t v)
{
        unsigned char tmp[10];
        uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0); /* zig-zag */
        size_t n = 0;
        do {
                unsigned char b = z & 0x7f;
                z >>= 7;
                tmp[n++] = z ? (unsigned char)(b | 0x80) : b;
        } while (z);
        wb_put(w, tmp, n);
}

static void wb_double(struct wbuf *w, double d)
{
        uint64_t u;
        unsigned char tmp[8];
        memcpy(&u, &d, sizeof(u));
        for (int i = 0; i < 8; i++)
                tmp[i] = (unsigned char)(u >> (8 * i));
        wb_put(w, tmp, 8);
}

/* A required string: 0, or -1 when it is NULL (the record is invalid). */
static int wb_str(struct wbuf *w, const char *str)
{
        if (!str)
                return -1;
        size_t n = strlen(str);
        wb_long(w, (int64_t)n);
        wb_put(w, str, n);
        return 0;
}

/* ["null", "string"]: NULL and "" are null. */
static void wb_opt_str(struct wbuf *w, const char *str)
{
        if (!str || !*str) {
                wb_long(w, 0);
                return;
        }
        wb_long(w, 1);
        wb_str(w, str);
}

static int enum_index(avro_schema_t rec, const char *field, const char *symbol)
{
        avro_schema_t f = rec ? avro_schema_record_field_get(rec, field) : NULL;
        f = xs_codec_resolve(f);
        return f && is_avro_enum(f) ? avro_schema_enum_get_by_name(f, symbol) : -1;
}

static int enc_maps(struct xs_codec *codec)
{
        if (codec->enc_maps_ready)
                return 0;
        /* the generic encoders build (and keep) our output schemas */
        if (!xs_codec_enc_begin(codec, XS_KIND_OFFER) ||
            !xs_codec_enc_begin(codec, XS_KIND_SIGNAL) ||
            !xs_codec_enc_begin(codec, XS_KIND_OUTCOME))
                return -1;
        avro_schema_t sig = xs_codec_resolve(codec->enc_schema[XS_KIND_SIGNAL]);
        avro_schema_t out = xs_codec_resolve(codec->enc_schema[XS_KIND_OUTCOME]);
        for (int v = 0; v < XS_STAGE_COUNT; v++) {
                codec->sig_from[v] = enum_index(sig, "from_stage", xs_stage_name(v));
                codec->sig_to[v] = enum_index(sig, "to_stage", xs_stage_name(v));
                codec->out_stage[v] = enum_index(out, "stage", xs_stage_name(v));
        }
        for (int v = 0; v < XS_OFFER_COUNT; v++)
                codec->out_type[v] = enum_index(out, "offer_type", xs_offer_type_name(v));
        avro_schema_t offer = xs_codec_resolve(codec->enc_schema[XS_KIND_OFFER]);
        for (int v = 0; v < XS_OFFER_COUNT; v++)
                codec->map_type[v] = enum_index(offer, "type", xs_offer_type_name(v));
        for (int v = 0; v < XS_STAGE_COUNT; v++)
                codec->map_stage[v] = enum_index(offer, "stage", xs_stage_name(v));
        for (int v = 0; v < XS_CHANNEL_COUNT; v++)
                codec->map_channel[v] = enum_index(offer, "channel", xs_channel_name(v));
        avro_schema_t incs = xs_codec_resolve(avro_schema_record_field_get(offer, "incentives"));
        avro_schema_t inc =
            incs && is_avro_array(incs) ? xs_codec_resolve(avro_schema_array_items(incs)) : NULL;
        for (int v = 0; v < XS_INC_COUNT; v++)
                codec->map_inc[v] = enum_index(inc, "kind", xs_incentive_kind_name(v));
        codec->enc_maps_ready = 1;
        return 0;
}

static xs_err_t wb_finish(const struct wbuf *w, size_t *len)
{
        *len = w->len;
        return w->len <= w->cap && w->p ? XS_OK : XS_ERR_NOMEM;
}

xs_err_t xs_codec_encode_offer(struct xs_codec *codec, const struct xs_offer *o, void *buf,
                               size_t cap, size_t *len)
{
        struct wbuf w = {buf, buf ? cap : 0, 0};
        *len = 0;
        if (enc_maps(codec) != 0)
                return XS_ERR_NOMEM;
        if ((unsigned)o->type >= XS_OFFER_COUNT || (unsigned)o->stage >= XS_STAGE_COUNT ||
            (unsigned)o->channel >= XS_CHANNEL_COUNT || o->n_items > XS_OFFER_MAX_ITEMS ||
            o->n_incentives > XS_OFFER_MAX_INCENTIVES || codec->map_type[o->type] < 0 ||
            codec->map_stage[o->stage] < 0 || codec->map_channel[o->channel] < 0)
                return XS_ERR_INVALID;
        if (wb_str(&w, o->offer_id) || wb_str(&w, o->customer_id))
                return XS_ERR_INVALID;
        wb_long(&w, codec->map_type[o->type]);
        wb_long(&w, codec->map_stage[o->stage]);
        wb_long(&w, codec->map_channel[o->channel]);
        if (wb_str(&w, o->trigger_event_id))
                return XS_ERR_INVALID;
        wb_opt_str(&w, o->anchor_product_id);
        if (o->n_items)
                wb_long(&w, (int64_t)o->n_items);
        for (size_t i = 0; i < o->n_items; i++) {
                const struct xs_offer_item *it = &o->items[i];
                const struct xs_evidence *ev = &it->evidence;
                if (wb_str(&w, it->product_id))
                        return XS_ERR_INVALID;
                wb_opt_str(&w, it->category);
                wb_opt_str(&w, it->brand);
                wb_long(&w, it->price);
                wb_double(&w, it->score);
                wb_long(&w, ev->k11);
                wb_long(&w, ev->k12);
                wb_long(&w, ev->k21);
                wb_long(&w, ev->k22);
                wb_double(&w, ev->llr);
                wb_double(&w, ev->lift);
                wb_long(&w, ev->rel[XS_REL_ORDER]);
                wb_long(&w, ev->rel[XS_REL_CUSTOMER]);
                wb_long(&w, ev->rel[XS_REL_CART]);
                wb_long(&w, ev->rel[XS_REL_VIEW]);
                wb_long(&w, ev->rel[XS_REL_VIEW_BUY]);
                wb_long(&w, ev->reorder_interval_ms);
                wb_long(&w, ev->last_purchase_at);
                wb_long(&w, ev->repeat_buyers);
                wb_opt_str(&w, it->category_label);
                wb_opt_str(&w, it->addon);
        }
        wb_long(&w, 0);
        for (size_t i = 0; i < o->n_incentives; i++)
                if ((unsigned)o->incentives[i].kind >= XS_INC_COUNT ||
                    codec->map_inc[o->incentives[i].kind] < 0)
                        return XS_ERR_INVALID;
        if (o->n_incentives)
                wb_long(&w, (int64_t)o->n_incentives);
        for (size_t i = 0; i < o->n_incentives; i++) {
                const struct xs_incentive *inc = &o->incentives[i];
                wb_long(&w, codec->map_inc[inc->kind]);
                wb_long(&w, inc->percent);
                wb_long(&w, inc->threshold);
                wb_long(&w, inc->amount);
                wb_opt_str(&w, inc->currency);
                wb_long(&w, inc->valid_until);
        }
        wb_long(&w, 0);
        if (wb_str(&w, o->rule) || wb_str(&w, o->score_kind))
                return XS_ERR_INVALID;
        wb_long(&w, o->window_ms);
        wb_long(&w, o->cart_value);
        wb_opt_str(&w, o->currency);
        wb_long(&w, o->created_at);
        wb_long(&w, o->expires_at);
        return wb_finish(&w, len);
}

xs_err_t xs_codec_encode_signal(struct xs_codec *codec, const struct xs_signal *s, void *buf,
                                size_t cap, size_t *len)
{
        struct wbuf w = {buf, buf ? cap : 0, 0};
        *len = 0;
        if (enc_maps(codec) != 0)
                return XS_ERR_NOMEM;
        if ((unsigned)s->from >= XS_STAGE_COUNT || (unsigned)s->to >= XS_STAGE_COUNT ||
            codec->sig_from[s->from] < 0 || codec->sig_to[s->to] < 0)
                return XS_ERR_INVALID;
        if (wb_str(&w, s->customer_id))
                return XS_ERR_INVALID;
        wb_long(&w, codec->sig_from[s->from]);
        wb_long(&w, codec->sig_to[s->to]);
        if (wb_str(&w, s->reason))
                return XS_ERR_INVALID;
        wb_opt_str(&w, s->trigger_event_id);
        wb_long(&w, s->event_time);
        return wb_finish(&w, len);
}

xs_err_t xs_codec_encode_outcome(struct xs_codec *codec, const struct xs_outcome *o, void *buf,
                                 size_t cap, size_t *len)
{
        struct wbuf w = {buf, buf ? cap : 0, 0};
        *len = 0;
        if (enc_maps(codec) != 0)
                return XS_ERR_NOMEM;
        if ((unsigned)o->type >= XS_OFFER_COUNT || (unsigned)o->stage >= XS_STAGE_COUNT ||
            codec->out_type[o->type] < 0 || codec->out_stage[o->stage] < 0)
                return XS_ERR_INVALID;
        if (wb_str(&w, o->offer_id) || wb_str(&w, o->customer_id))
                return XS_ERR_INVALID;
        wb_long(&w, codec->out_type[o->type]);
        wb_long(&w, codec->out_stage[o->stage]);
        if (wb_str(&w, o->product_id))
                return XS_ERR_INVALID;
        wb_opt_str(&w, o->order_id);
        if (wb_str(&w, o->purchase_event_id))
                return XS_ERR_INVALID;
        wb_long(&w, o->offer_created_at);
        wb_long(&w, o->converted_at);
        unsigned char b = o->control ? 1 : 0;
        wb_put(&w, &b, 1);
        return wb_finish(&w, len);
}
