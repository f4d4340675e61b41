/*
 * Encoding with our own schemas through avro-c's generic values: the encoders of events and
 * products, and the reference the direct encoders of offers, signals and outcomes
 * (encode_direct.c) are tested against. Enum symbols are looked up by name in the schema, so
 * the C enum order and the .avsc symbol order need not agree.
 *
 * Bounds: one encode value per kind, built on first use and reset per record; nothing is
 * written past cap (XS_ERR_NOMEM, with the size needed when avro-c can tell it).
 */
#include <string.h>

#include "codec/codec_int.h"

static int put_str(avro_value_t *rec, const char *name, const char *s)
{
        avro_value_t f;
        if (!s || avro_value_get_by_name(rec, name, &f, NULL) != 0)
                return -1;
        return avro_value_set_string(&f, s);
}

/* ["null", "string"]: NULL or "" (empty = none, for currencies) is null. */
static int put_opt_str(avro_value_t *rec, const char *name, const char *s)
{
        avro_value_t f, b;
        if (avro_value_get_by_name(rec, name, &f, NULL) != 0)
                return -1;
        if (!s || !*s)
                return avro_value_set_branch(&f, 0, &b) || avro_value_set_null(&b);
        return avro_value_set_branch(&f, 1, &b) || avro_value_set_string(&b, s);
}

static int put_long(avro_value_t *rec, const char *name, int64_t v)
{
        avro_value_t f;
        return avro_value_get_by_name(rec, name, &f, NULL) || avro_value_set_long(&f, v);
}

static int put_int(avro_value_t *rec, const char *name, int32_t v)
{
        avro_value_t f;
        return avro_value_get_by_name(rec, name, &f, NULL) || avro_value_set_int(&f, v);
}

static int put_double(avro_value_t *rec, const char *name, double v)
{
        avro_value_t f;
        return avro_value_get_by_name(rec, name, &f, NULL) || avro_value_set_double(&f, v);
}

static int put_bool(avro_value_t *rec, const char *name, int v)
{
        avro_value_t f;
        return avro_value_get_by_name(rec, name, &f, NULL) || avro_value_set_boolean(&f, v != 0);
}

static int put_enum(avro_value_t *rec, const char *name, const char *symbol)
{
        avro_value_t f;
        if (avro_value_get_by_name(rec, name, &f, NULL) != 0)
                return -1;
        int i = avro_schema_enum_get_by_name(avro_value_get_schema(&f), symbol);
        return i < 0 ? -1 : avro_value_set_enum(&f, i);
}

static int append(avro_value_t *rec, const char *name, avro_value_t *elem)
{
        avro_value_t f;
        return avro_value_get_by_name(rec, name, &f, NULL) || avro_value_append(&f, elem, NULL);
}

/* The encode value of kind, built on first use (a codec that only decodes never parses the
 * output schemas); NULL only when avro-c runs out of memory. */
avro_value_t *xs_codec_enc_begin(struct xs_codec *codec, enum xs_record_kind kind)
{
        avro_value_t *v = &codec->enc_value[kind];
        if (!v->iface) {
                const char *text = xs_codec_schema_text(kind);
                if (!codec->enc_schema[kind] &&
                    avro_schema_from_json_length(text, strlen(text), &codec->enc_schema[kind]) != 0)
                        return NULL;
                if (!codec->enc_iface[kind] &&
                    !(codec->enc_iface[kind] =
                          avro_generic_class_from_schema(codec->enc_schema[kind])))
                        return NULL;
                if (avro_generic_value_new(codec->enc_iface[kind], v) != 0) {
                        v->iface = NULL;
                        return NULL;
                }
        }
        avro_value_reset(v);
        return v;
}

/* Writes the built value into buf; XS_ERR_NOMEM with *len = size needed when cap is short. */
static xs_err_t enc_finish(struct xs_codec *codec, avro_value_t *v, void *buf, size_t cap,
                           size_t *len)
{
        *len = 0;
        if (!buf || cap == 0) {
                size_t need = 0;
                if (avro_value_sizeof(v, &need) == 0)
                        *len = need;
                return XS_ERR_NOMEM;
        }
        avro_writer_memory_set_dest(codec->writer, buf, (int64_t)cap);
        if (avro_value_write(codec->writer, v) != 0) {
                size_t need = 0;
                if (avro_value_sizeof(v, &need) == 0)
                        *len = need;
                return XS_ERR_NOMEM;
        }
        *len = (size_t)avro_writer_tell(codec->writer);
        return XS_OK;
}

/* Reads nothing after return; ev is only read. XS_ERR_INVALID for a required string that is
 * NULL or an enum value out of range. */
xs_err_t xs_codec_encode_event(struct xs_codec *codec, const struct xs_event *ev, void *buf,
                               size_t cap, size_t *len)
{
        avro_value_t *r = xs_codec_enc_begin(codec, XS_KIND_EVENT);
        *len = 0;
        if (!r)
                return XS_ERR_NOMEM;
        if ((unsigned)ev->type >= XS_EV_COUNT)
                return XS_ERR_INVALID;
        if (put_str(r, "event_id", ev->event_id) || put_str(r, "customer_id", ev->customer_id) ||
            put_opt_str(r, "session_id", ev->session_id) ||
            put_long(r, "event_time", ev->event_time) ||
            put_enum(r, "type", xs_event_type_name(ev->type)) ||
            put_opt_str(r, "currency", ev->currency) || put_opt_str(r, "order_id", ev->order_id) ||
            put_opt_str(r, "offer_id", ev->offer_id))
                return XS_ERR_INVALID;
        for (size_t i = 0; i < ev->n_items; i++) {
                const struct xs_line_item *it = &ev->items[i];
                avro_value_t e, f, b;
                if (append(r, "items", &e) || put_str(&e, "product_id", it->product_id) ||
                    put_int(&e, "quantity", it->quantity) ||
                    put_opt_str(&e, "category", it->category) ||
                    put_opt_str(&e, "brand", it->brand) ||
                    put_opt_str(&e, "category_label", it->category_label) ||
                    avro_value_get_by_name(&e, "unit_price", &f, NULL))
                        return XS_ERR_INVALID;
                if (it->unit_price < 0 ? avro_value_set_branch(&f, 0, &b) || avro_value_set_null(&b)
                                       : avro_value_set_branch(&f, 1, &b) ||
                                             avro_value_set_long(&b, it->unit_price))
                        return XS_ERR_INVALID;
        }
        return enc_finish(codec, r, buf, cap, len);
}

/* Like xs_codec_encode_product, with deleted = tombstone (the file form of a delete). */
xs_err_t xs_codec_encode_product_ex(struct xs_codec *codec, const struct xs_product *p,
                                    int tombstone, void *buf, size_t cap, size_t *len)
{
        avro_value_t *r = xs_codec_enc_begin(codec, XS_KIND_PRODUCT);
        avro_value_t e;
        *len = 0;
        if (!r)
                return XS_ERR_NOMEM;
        if (put_str(r, "product_id", p->product_id) || put_opt_str(r, "category", p->category) ||
            put_opt_str(r, "brand", p->brand) || put_long(r, "price", p->price) ||
            put_str(r, "currency", p->currency) || put_bool(r, "in_stock", p->in_stock) ||
            put_bool(r, "deleted", tombstone) ||
            put_opt_str(r, "category_label", p->category_label) ||
            put_opt_str(r, "addon", p->addon))
                return XS_ERR_INVALID;
        for (size_t i = 0; i < p->n_upgrades; i++)
                if (!p->upgrades[i] || append(r, "upgrades", &e) ||
                    avro_value_set_string(&e, p->upgrades[i]))
                        return XS_ERR_INVALID;
        for (size_t i = 0; i < p->n_downgrades; i++)
                if (!p->downgrades[i] || append(r, "downgrades", &e) ||
                    avro_value_set_string(&e, p->downgrades[i]))
                        return XS_ERR_INVALID;
        return enc_finish(codec, r, buf, cap, len);
}

xs_err_t xs_codec_encode_product(struct xs_codec *codec, const struct xs_product *p, void *buf,
                                 size_t cap, size_t *len)
{
        return xs_codec_encode_product_ex(codec, p, 0, buf, cap, len);
}

xs_err_t xs_codec_encode_offer_generic(struct xs_codec *codec, const struct xs_offer *o, void *buf,
                                       size_t cap, size_t *len)
{
        avro_value_t *r = xs_codec_enc_begin(codec, XS_KIND_OFFER);
        *len = 0;
        if (!r)
                return XS_ERR_NOMEM;
        if ((unsigned)o->type >= XS_OFFER_COUNT || (unsigned)o->stage >= XS_STAGE_COUNT ||
            (unsigned)o->channel >= XS_CHANNEL_COUNT || o->n_items > XS_OFFER_MAX_ITEMS ||
            o->n_incentives > XS_OFFER_MAX_INCENTIVES)
                return XS_ERR_INVALID;
        if (put_str(r, "offer_id", o->offer_id) || put_str(r, "customer_id", o->customer_id) ||
            put_enum(r, "type", xs_offer_type_name(o->type)) ||
            put_enum(r, "stage", xs_stage_name(o->stage)) ||
            put_enum(r, "channel", xs_channel_name(o->channel)) ||
            put_str(r, "trigger_event_id", o->trigger_event_id) ||
            put_opt_str(r, "anchor_product_id", o->anchor_product_id) ||
            put_str(r, "rule", o->rule) || put_str(r, "score_kind", o->score_kind) ||
            put_long(r, "window_ms", o->window_ms) || put_long(r, "cart_value", o->cart_value) ||
            put_opt_str(r, "currency", o->currency) || put_long(r, "created_at", o->created_at) ||
            put_long(r, "expires_at", o->expires_at))
                return XS_ERR_INVALID;
        for (size_t i = 0; i < o->n_items; i++) {
                const struct xs_offer_item *it = &o->items[i];
                const struct xs_evidence *ev = &it->evidence;
                avro_value_t e, x;
                if (append(r, "items", &e) || put_str(&e, "product_id", it->product_id) ||
                    put_opt_str(&e, "category", it->category) ||
                    put_opt_str(&e, "brand", it->brand) || put_long(&e, "price", it->price) ||
                    put_double(&e, "score", it->score) ||
                    avro_value_get_by_name(&e, "evidence", &x, NULL) ||
                    put_long(&x, "k11", ev->k11) || put_long(&x, "k12", ev->k12) ||
                    put_long(&x, "k21", ev->k21) || put_long(&x, "k22", ev->k22) ||
                    put_double(&x, "llr", ev->llr) || put_double(&x, "lift", ev->lift) ||
                    put_int(&x, "order_count", ev->rel[XS_REL_ORDER]) ||
                    put_int(&x, "customer_count", ev->rel[XS_REL_CUSTOMER]) ||
                    put_int(&x, "cart_count", ev->rel[XS_REL_CART]) ||
                    put_int(&x, "view_count", ev->rel[XS_REL_VIEW]) ||
                    put_int(&x, "view_buy_count", ev->rel[XS_REL_VIEW_BUY]) ||
                    put_long(&x, "reorder_interval_ms", ev->reorder_interval_ms) ||
                    put_long(&x, "last_purchase_at", ev->last_purchase_at) ||
                    put_int(&x, "repeat_buyers", ev->repeat_buyers) ||
                    put_opt_str(&e, "category_label", it->category_label) ||
                    put_opt_str(&e, "addon", it->addon))
                        return XS_ERR_INVALID;
        }
        for (size_t i = 0; i < o->n_incentives; i++) {
                const struct xs_incentive *inc = &o->incentives[i];
                avro_value_t e;
                if ((unsigned)inc->kind >= XS_INC_COUNT || append(r, "incentives", &e) ||
                    put_enum(&e, "kind", xs_incentive_kind_name(inc->kind)) ||
                    put_int(&e, "percent", inc->percent) ||
                    put_long(&e, "threshold", inc->threshold) ||
                    put_long(&e, "amount", inc->amount) ||
                    put_opt_str(&e, "currency", inc->currency) ||
                    put_long(&e, "valid_until", inc->valid_until))
                        return XS_ERR_INVALID;
        }
        return enc_finish(codec, r, buf, cap, len);
}

xs_err_t xs_codec_encode_signal_generic(struct xs_codec *codec, const struct xs_signal *s,
                                        void *buf, size_t cap, size_t *len)
{
        avro_value_t *r = xs_codec_enc_begin(codec, XS_KIND_SIGNAL);
        *len = 0;
        if (!r)
                return XS_ERR_NOMEM;
        if ((unsigned)s->from >= XS_STAGE_COUNT || (unsigned)s->to >= XS_STAGE_COUNT)
                return XS_ERR_INVALID;
        if (put_str(r, "customer_id", s->customer_id) ||
            put_enum(r, "from_stage", xs_stage_name(s->from)) ||
            put_enum(r, "to_stage", xs_stage_name(s->to)) || put_str(r, "reason", s->reason) ||
            put_opt_str(r, "trigger_event_id", s->trigger_event_id) ||
            put_long(r, "event_time", s->event_time))
                return XS_ERR_INVALID;
        return enc_finish(codec, r, buf, cap, len);
}

xs_err_t xs_codec_encode_outcome_generic(struct xs_codec *codec, const struct xs_outcome *o,
                                         void *buf, size_t cap, size_t *len)
{
        avro_value_t *r = xs_codec_enc_begin(codec, XS_KIND_OUTCOME);
        *len = 0;
        if (!r)
                return XS_ERR_NOMEM;
        if ((unsigned)o->type >= XS_OFFER_COUNT || (unsigned)o->stage >= XS_STAGE_COUNT)
                return XS_ERR_INVALID;
        if (put_str(r, "offer_id", o->offer_id) || put_str(r, "customer_id", o->customer_id) ||
            put_enum(r, "offer_type", xs_offer_type_name(o->type)) ||
            put_enum(r, "stage", xs_stage_name(o->stage)) ||
            put_str(r, "product_id", o->product_id) || put_opt_str(r, "order_id", o->order_id) ||
            put_str(r, "purchase_event_id", o->purchase_event_id) ||
            put_long(r, "offer_created_at", o->offer_created_at) ||
            put_long(r, "converted_at", o->converted_at) || put_bool(r, "control", o->control))
                return XS_ERR_INVALID;
        return enc_finish(codec, r, buf, cap, len);
}
