/*
 * JSON text of every record kind for the writers (json_write.h): compact, keys in .avsc field
 * order, nullable fields written as null, integers exact, doubles as "%.6g" (non-finite as
 * null), strings escaped with invalid UTF-8 replaced by U+FFFD, so the same records always give
 * the same bytes.
 *
 * Bounds: an offer writes at most XS_OFFER_MAX_ITEMS items and XS_OFFER_MAX_INCENTIVES
 * incentives; the buffer grows with the record and a failed allocation is sticky (sb->oom).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_write.h"

void xs_strbuf_free(struct xs_strbuf *sb)
{
        free(sb->p);
        memset(sb, 0, sizeof(*sb));
}

static int sb_reserve(struct xs_strbuf *sb, size_t n)
{
        if (sb->oom)
                return -1;
        if (sb->len + n + 1 <= sb->cap)
                return 0;
        size_t cap = sb->cap ? sb->cap : 1024;
        while (cap < sb->len + n + 1)
                cap *= 2;
        char *p = realloc(sb->p, cap);
        if (!p) {
                sb->oom = 1;
                return -1;
        }
        sb->p = p;
        sb->cap = cap;
        return 0;
}

static void sb_put(struct xs_strbuf *sb, const char *s, size_t n)
{
        if (sb_reserve(sb, n))
                return;
        memcpy(sb->p + sb->len, s, n);
        sb->len += n;
        sb->p[sb->len] = '\0';
}

static void sb_puts(struct xs_strbuf *sb, const char *s)
{
        sb_put(sb, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
        unsigned c = s[0];
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
                        return 0;
                if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
                        return 0; /* overlong, surrogates */
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
                        return 0;
                if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
                        return 0;
                return 4;
        }
        return 0;
}

static void sb_str(struct xs_strbuf *sb, const char *s)
{
        if (!s) {
                sb_put(sb, "null", 4);
                return;
        }
        sb_put(sb, "\"", 1);
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                const unsigned char *run = p;
                while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
                        p++;
                if (p > run)
                        sb_put(sb, (const char *)run, (size_t)(p - run));
                if (!*p)
                        break;
                char esc[8];
                if (*p == '"' || *p == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)*p;
                        sb_put(sb, esc, 2);
                        p++;
                } else if (*p < 0x20) {
                        snprintf(esc, sizeof(esc), "\\u%04x", *p);
                        sb_put(sb, esc, 6);
                        p++;
                } else {
                        size_t n = utf8_len(p);
                        if (n) {
                                sb_put(sb, (const char *)p, n);
                                p += n;
                        } else {
                                sb_put(sb, "\\ufffd", 6);
                                p++;
                        }
                }
        }
        sb_put(sb, "\"", 1);
}

static void sb_i64(struct xs_strbuf *sb, int64_t v)
{
        char b[24];
        int n = snprintf(b, sizeof(b), "%lld", (long long)v);
        sb_put(sb, b, (size_t)n);
}

static void sb_dbl(struct xs_strbuf *sb, double v)
{
        if (!isfinite(v)) {
                sb_put(sb, "null", 4);
                return;
        }
        char b[32];
        int n = snprintf(b, sizeof(b), "%.6g", v == 0 ? 0.0 : v); /* no "-0" */
        sb_put(sb, b, (size_t)n);
}

static void key(struct xs_strbuf *sb, int first, const char *k)
{
        if (!first)
                sb_put(sb, ",", 1);
        sb_put(sb, "\"", 1);
        sb_puts(sb, k);
        sb_put(sb, "\":", 2);
}

static void kv_str(struct xs_strbuf *sb, int first, const char *k, const char *v)
{
        key(sb, first, k);
        sb_str(sb, v);
}

static void kv_i64(struct xs_strbuf *sb, int first, const char *k, int64_t v)
{
        key(sb, first, k);
        sb_i64(sb, v);
}

static void kv_bool(struct xs_strbuf *sb, int first, const char *k, int v)
{
        key(sb, first, k);
        sb_puts(sb, v ? "true" : "false");
}

static const char *currency_or_null(const char *c)
{
        return c[0] ? c : NULL;
}

void xs_json_event(struct xs_strbuf *sb, const struct xs_event *ev)
{
        sb_put(sb, "{", 1);
        kv_str(sb, 1, "event_id", ev->event_id);
        kv_str(sb, 0, "customer_id", ev->customer_id);
        kv_str(sb, 0, "session_id", ev->session_id);
        kv_i64(sb, 0, "event_time", ev->event_time);
        kv_str(sb, 0, "type", xs_event_type_name(ev->type));
        key(sb, 0, "items");
        sb_put(sb, "[", 1);
        for (size_t i = 0; i < ev->n_items; i++) {
                const struct xs_line_item *li = &ev->items[i];
                if (i)
                        sb_put(sb, ",", 1);
                sb_put(sb, "{", 1);
                kv_str(sb, 1, "product_id", li->product_id);
                kv_i64(sb, 0, "quantity", li->quantity);
                key(sb, 0, "unit_price");
                if (li->unit_price < 0)
                        sb_puts(sb, "null");
                else
                        sb_i64(sb, li->unit_price);
                kv_str(sb, 0, "category", li->category);
                kv_str(sb, 0, "brand", li->brand);
                kv_str(sb, 0, "category_label", li->category_label);
                sb_put(sb, "}", 1);
        }
        sb_put(sb, "]", 1);
        kv_str(sb, 0, "currency", currency_or_null(ev->currency));
        kv_str(sb, 0, "order_id", ev->order_id);
        kv_str(sb, 0, "offer_id", ev->offer_id);
        sb_put(sb, "}", 1);
}

static void str_array(struct xs_strbuf *sb, const char *const *v, size_t n)
{
        sb_put(sb, "[", 1);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        sb_put(sb, ",", 1);
                sb_str(sb, v[i]);
        }
        sb_put(sb, "]", 1);
}

void xs_json_product(struct xs_strbuf *sb, const struct xs_product *p, int tombstone)
{
        sb_put(sb, "{", 1);
        kv_str(sb, 1, "product_id", p->product_id);
        kv_str(sb, 0, "category", p->category);
        kv_str(sb, 0, "brand", p->brand);
        kv_i64(sb, 0, "price", p->price);
        kv_str(sb, 0, "currency", p->currency);
        kv_bool(sb, 0, "in_stock", p->in_stock);
        key(sb, 0, "upgrades");
        str_array(sb, p->upgrades, p->n_upgrades);
        key(sb, 0, "downgrades");
        str_array(sb, p->downgrades, p->n_downgrades);
        kv_bool(sb, 0, "deleted", tombstone);
        kv_str(sb, 0, "category_label", p->category_label);
        kv_str(sb, 0, "addon", p->addon && *p->addon ? p->addon : NULL);
        sb_put(sb, "}", 1);
}

void xs_json_offer(struct xs_strbuf *sb, const struct xs_offer *o)
{
        sb_put(sb, "{", 1);
        kv_str(sb, 1, "offer_id", o->offer_id);
        kv_str(sb, 0, "customer_id", o->customer_id);
        kv_str(sb, 0, "type", xs_offer_type_name(o->type));
        kv_str(sb, 0, "stage", xs_stage_name(o->stage));
        kv_str(sb, 0, "channel", xs_channel_name(o->channel));
        kv_str(sb, 0, "trigger_event_id", o->trigger_event_id);
        kv_str(sb, 0, "anchor_product_id", o->anchor_product_id);
        key(sb, 0, "items");
        sb_put(sb, "[", 1);
        size_t n = o->n_items < XS_OFFER_MAX_ITEMS ? o->n_items : XS_OFFER_MAX_ITEMS;
        for (size_t i = 0; i < n; i++) {
                const struct xs_offer_item *it = &o->items[i];
                const struct xs_evidence *e = &it->evidence;
                if (i)
                        sb_put(sb, ",", 1);
                sb_put(sb, "{", 1);
                kv_str(sb, 1, "product_id", it->product_id);
                kv_str(sb, 0, "category", it->category);
                kv_str(sb, 0, "brand", it->brand);
                kv_i64(sb, 0, "price", it->price);
                key(sb, 0, "score");
                sb_dbl(sb, it->score);
                key(sb, 0, "evidence");
                sb_put(sb, "{", 1);
                kv_i64(sb, 1, "k11", e->k11);
                kv_i64(sb, 0, "k12", e->k12);
                kv_i64(sb, 0, "k21", e->k21);
                kv_i64(sb, 0, "k22", e->k22);
                key(sb, 0, "llr");
                sb_dbl(sb, e->llr);
                key(sb, 0, "lift");
                sb_dbl(sb, e->lift);
                kv_i64(sb, 0, "order_count", e->rel[XS_REL_ORDER]);
                kv_i64(sb, 0, "customer_count", e->rel[XS_REL_CUSTOMER]);
                kv_i64(sb, 0, "cart_count", e->rel[XS_REL_CART]);
                kv_i64(sb, 0, "view_count", e->rel[XS_REL_VIEW]);
                kv_i64(sb, 0, "view_buy_count", e->rel[XS_REL_VIEW_BUY]);
                kv_i64(sb, 0, "reorder_interval_ms", e->reorder_interval_ms);
                kv_i64(sb, 0, "last_purchase_at", e->last_purchase_at);
                kv_i64(sb, 0, "repeat_buyers", e->repeat_buyers);
                sb_put(sb, "}", 1);
                kv_str(sb, 0, "category_label", it->category_label);
                kv_str(sb, 0, "addon", it->addon);
                sb_put(sb, "}", 1);
        }
        sb_put(sb, "]", 1);
        key(sb, 0, "incentives");
        sb_put(sb, "[", 1);
        n = o->n_incentives < XS_OFFER_MAX_INCENTIVES ? o->n_incentives : XS_OFFER_MAX_INCENTIVES;
        for (size_t i = 0; i < n; i++) {
                const struct xs_incentive *inc = &o->incentives[i];
                if (i)
                        sb_put(sb, ",", 1);
                sb_put(sb, "{", 1);
                kv_str(sb, 1, "kind", xs_incentive_kind_name(inc->kind));
                kv_i64(sb, 0, "percent", inc->percent);
                kv_i64(sb, 0, "threshold", inc->threshold);
                kv_i64(sb, 0, "amount", inc->amount);
                kv_str(sb, 0, "currency", currency_or_null(inc->currency));
                kv_i64(sb, 0, "valid_until", inc->valid_until);
                sb_put(sb, "}", 1);
        }
        sb_put(sb, "]", 1);
        kv_str(sb, 0, "rule", o->rule ? o->rule : "");
        kv_str(sb, 0, "score_kind", o->score_kind ? o->score_kind : "");
        kv_i64(sb, 0, "window_ms", o->window_ms);
        kv_i64(sb, 0, "cart_value", o->cart_value);
        kv_str(sb, 0, "currency", currency_or_null(o->currency));
        kv_i64(sb, 0, "created_at", o->created_at);
        kv_i64(sb, 0, "expires_at", o->expires_at);
        sb_put(sb, "}", 1);
}

void xs_json_signal(struct xs_strbuf *sb, const struct xs_signal *s)
{
        sb_put(sb, "{", 1);
        kv_str(sb, 1, "customer_id", s->customer_id);
        kv_str(sb, 0, "from_stage", xs_stage_name(s->from));
        kv_str(sb, 0, "to_stage", xs_stage_name(s->to));
        kv_str(sb, 0, "reason", s->reason ? s->reason : "");
        kv_str(sb, 0, "trigger_event_id", s->trigger_event_id);
        kv_i64(sb, 0, "event_time", s->event_time);
        sb_put(sb, "}", 1);
}

void xs_json_outcome(struct xs_strbuf *sb, const struct xs_outcome *o)
{
        sb_put(sb, "{", 1);
        kv_str(sb, 1, "offer_id", o->offer_id);
        kv_str(sb, 0, "customer_id", o->customer_id);
        kv_str(sb, 0, "offer_type", xs_offer_type_name(o->type));
        kv_str(sb, 0, "stage", xs_stage_name(o->stage));
        kv_str(sb, 0, "product_id", o->product_id);
        kv_str(sb, 0, "order_id", o->order_id);
        kv_str(sb, 0, "purchase_event_id", o->purchase_event_id);
        kv_i64(sb, 0, "offer_created_at", o->offer_created_at);
        kv_i64(sb, 0, "converted_at", o->converted_at);
        kv_bool(sb, 0, "control", o->control);
        sb_put(sb, "}", 1);
}
