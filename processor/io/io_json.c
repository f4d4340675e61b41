/*
 * JSON lines: the reader of events and catalog products (one JSON object per line, field names
 * and defaults as in schemas/customer_event.avsc and schemas/catalog_product.avsc) and the
 * JSON text of every record kind for the writers.
 *
 * Reading: a line that is not a JSON object, has a field of the wrong type, or lacks a required
 * field is skipped with "name:line: reason"; unknown fields are ignored (a newer writer); an
 * unknown event type symbol decodes as UNKNOWN, as the Avro enum default does. Blank lines are
 * skipped silently. A catalog record with "deleted": true is a tombstone and needs only
 * product_id.
 *
 * Writing: compact, keys in .avsc field order, nullable fields written as null, integers exact,
 * doubles as "%.6g" (non-finite as null), strings escaped with invalid UTF-8 replaced by U+FFFD,
 * so the same records always give the same bytes.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

struct xs_jsonl_state {
        json_t *doc;       /* the document the current record points into */
        const char **strs; /* upgrades / downgrades pointers */
        size_t n_strs, cap_strs;
};

int xs_jsonl_open(struct xs_reader *r, char *errstr, size_t errstr_size)
{
        r->jsonl = calloc(1, sizeof(*r->jsonl));
        if (!r->jsonl) {
                snprintf(errstr, errstr_size, "%s: out of memory", r->name);
                return -1;
        }
        return 0;
}

void xs_jsonl_close(struct xs_reader *r)
{
        if (!r->jsonl)
                return;
        json_decref(r->jsonl->doc);
        free(r->jsonl->strs);
        free(r->jsonl);
        r->jsonl = NULL;
}

/* Field access with the .avsc rules. Each returns 0, or -1 with why in *why. */
static int get_str(json_t *obj, const char *key, int required, const char **out, const char **why)
{
        json_t *v = json_object_get(obj, key);
        *out = NULL;
        if (!v || json_is_null(v)) {
                if (required) {
                        *why = "missing";
                        return -1;
                }
                return 0;
        }
        if (!json_is_string(v)) {
                *why = "not a string";
                return -1;
        }
        *out = json_string_value(v);
        return 0;
}

static int get_int(json_t *obj, const char *key, int required, int64_t def, int64_t *out,
                   const char **why)
{
        json_t *v = json_object_get(obj, key);
        *out = def;
        if (!v || json_is_null(v)) {
                if (required) {
                        *why = "missing";
                        return -1;
                }
                return 0;
        }
        if (!json_is_integer(v)) {
                *why = "not an integer";
                return -1;
        }
        *out = (int64_t)json_integer_value(v);
        return 0;
}

static int get_bool(json_t *obj, const char *key, int def, int *out, const char **why)
{
        json_t *v = json_object_get(obj, key);
        *out = def;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v)) {
                *why = "not a boolean";
                return -1;
        }
        *out = json_is_true(v);
        return 0;
}

#define BAD(err, field, reason)                                                                    \
        do {                                                                                       \
                snprintf(errstr, errstr_size, "%s:%llu: %s: %s", r->name,                          \
                         (unsigned long long)r->line_no, field, reason);                           \
                return err;                                                                        \
        } while (0)

static xs_err_t decode_event(struct xs_reader *r, json_t *o, struct xs_event *ev, char *errstr,
                             size_t errstr_size)
{
        const char *why = "";
        const char *s;
        int64_t v;
        if (get_str(o, "event_id", 1, &ev->event_id, &why))
                BAD(XS_ERR_INVALID, "event_id", why);
        if (!ev->event_id[0])
                BAD(XS_ERR_INVALID, "event_id", "empty");
        if (get_str(o, "customer_id", 1, &ev->customer_id, &why))
                BAD(XS_ERR_INVALID, "customer_id", why);
        if (get_str(o, "session_id", 0, &ev->session_id, &why))
                BAD(XS_ERR_INVALID, "session_id", why);
        if (get_int(o, "event_time", 1, 0, &ev->event_time, &why))
                BAD(XS_ERR_INVALID, "event_time", why);
        if (get_str(o, "type", 1, &s, &why))
                BAD(XS_ERR_INVALID, "type", why);
        int t = xs_event_type_parse(s);
        ev->type = t < 0 ? XS_EV_UNKNOWN : (enum xs_event_type)t;
        if (get_str(o, "currency", 0, &s, &why))
                BAD(XS_ERR_INVALID, "currency", why);
        if (s) {
                if (strlen(s) >= XS_CURRENCY_LEN)
                        BAD(XS_ERR_INVALID, "currency", "longer than 3 characters");
                strcpy(ev->currency, s);
        }
        if (get_str(o, "order_id", 0, &ev->order_id, &why))
                BAD(XS_ERR_INVALID, "order_id", why);
        if (get_str(o, "offer_id", 0, &ev->offer_id, &why))
                BAD(XS_ERR_INVALID, "offer_id", why);

        json_t *items = json_object_get(o, "items");
        if (items && !json_is_null(items)) {
                if (!json_is_array(items))
                        BAD(XS_ERR_INVALID, "items", "not an array");
                size_t n = json_array_size(items);
                if (n > XS_IO_MAX_ITEMS)
                        BAD(XS_ERR_INVALID, "items", "more than 100000 items");
                for (size_t i = 0; i < n; i++) {
                        json_t *it = json_array_get(items, i);
                        struct xs_line_item li = {0};
                        if (!json_is_object(it))
                                BAD(XS_ERR_INVALID, "items", "an item is not an object");
                        if (get_str(it, "product_id", 1, &li.product_id, &why))
                                BAD(XS_ERR_INVALID, "items.product_id", why);
                        if (get_int(it, "quantity", 0, 1, &v, &why))
                                BAD(XS_ERR_INVALID, "items.quantity", why);
                        /* values are the engine's to judge (it counts violations by
                         * reason); only what does not fit our types is clamped here */
                        li.quantity = v > INT32_MAX   ? INT32_MAX
                                      : v < INT32_MIN ? INT32_MIN
                                                      : (int32_t)v;
                        if (get_int(it, "unit_price", 0, -1, &li.unit_price, &why))
                                BAD(XS_ERR_INVALID, "items.unit_price", why);
                        if (li.unit_price == -1 &&
                            json_is_integer(json_object_get(it, "unit_price")))
                                li.unit_price = -2; /* explicit -1 is not "unknown" (null) */
                        if (get_str(it, "category", 0, &li.category, &why))
                                BAD(XS_ERR_INVALID, "items.category", why);
                        if (get_str(it, "brand", 0, &li.brand, &why))
                                BAD(XS_ERR_INVALID, "items.brand", why);
                        if (xs_items_add(&r->items, &li) < 0)
                                BAD(XS_ERR_NOMEM, "items", "out of memory");
                }
                ev->items = r->items.v;
                ev->n_items = r->items.n;
        }
        return XS_OK;
}

static int get_str_array(struct xs_reader *r, json_t *o, const char *key, size_t *n,
                         const char **why)
{
        json_t *a = json_object_get(o, key);
        *n = 0;
        if (!a || json_is_null(a))
                return 0;
        if (!json_is_array(a)) {
                *why = "not an array";
                return -1;
        }
        size_t m = json_array_size(a);
        if (m > XS_IO_MAX_ITEMS) {
                *why = "more than 100000 entries";
                return -1;
        }
        struct xs_jsonl_state *js = r->jsonl;
        if (js->n_strs + m > js->cap_strs) {
                size_t cap = js->n_strs + m + 16;
                const char **strs = realloc(js->strs, cap * sizeof(*strs));
                if (!strs) {
                        *why = "out of memory";
                        return -1;
                }
                js->strs = strs;
                js->cap_strs = cap;
        }
        for (size_t i = 0; i < m; i++) {
                json_t *s = json_array_get(a, i);
                if (!json_is_string(s)) {
                        *why = "an entry is not a string";
                        return -1;
                }
                js->strs[js->n_strs++] = json_string_value(s);
        }
        *n = m;
        return 0;
}

static xs_err_t decode_product(struct xs_reader *r, json_t *o, struct xs_record *rec, char *errstr,
                               size_t errstr_size)
{
        struct xs_product *p = &rec->product;
        const char *why = "";
        const char *s;
        if (get_bool(o, "deleted", 0, &rec->tombstone, &why))
                BAD(XS_ERR_INVALID, "deleted", why);
        int tomb = rec->tombstone;
        if (get_str(o, "product_id", 1, &p->product_id, &why))
                BAD(XS_ERR_INVALID, "product_id", why);
        if (!p->product_id[0])
                BAD(XS_ERR_INVALID, "product_id", "empty");
        if (get_str(o, "category", 0, &p->category, &why))
                BAD(XS_ERR_INVALID, "category", why);
        if (get_str(o, "brand", 0, &p->brand, &why))
                BAD(XS_ERR_INVALID, "brand", why);
        if (get_int(o, "price", !tomb, 0, &p->price, &why))
                BAD(XS_ERR_INVALID, "price", why);
        if (p->price < 0)
                BAD(XS_ERR_INVALID, "price", "negative");
        if (get_str(o, "currency", !tomb, &s, &why))
                BAD(XS_ERR_INVALID, "currency", why);
        if (s) {
                if (strlen(s) >= XS_CURRENCY_LEN)
                        BAD(XS_ERR_INVALID, "currency", "longer than 3 characters");
                strcpy(p->currency, s);
        }
        if (get_bool(o, "in_stock", 1, &p->in_stock, &why))
                BAD(XS_ERR_INVALID, "in_stock", why);
        r->jsonl->n_strs = 0;
        size_t nu, nd;
        if (get_str_array(r, o, "upgrades", &nu, &why))
                BAD(XS_ERR_INVALID, "upgrades", why);
        if (get_str_array(r, o, "downgrades", &nd, &why))
                BAD(XS_ERR_INVALID, "downgrades", why);
        p->upgrades = nu ? r->jsonl->strs : NULL;
        p->n_upgrades = nu;
        p->downgrades = nd ? r->jsonl->strs + nu : NULL;
        p->n_downgrades = nd;
        return XS_OK;
}

xs_err_t xs_jsonl_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                       size_t errstr_size)
{
        struct xs_jsonl_state *js = r->jsonl;
        json_decref(js->doc);
        js->doc = NULL;
        for (;;) {
                int too_long;
                int rc = xs_reader_line(r, &too_long, errstr, errstr_size);
                if (rc < 0)
                        return XS_ERR_IO;
                if (rc == 0) {
                        *eof = 1;
                        return XS_OK;
                }
                rec->position = r->line_no;
                if (too_long)
                        BAD(XS_ERR_DECODE, "line", "longer than 1 MiB, skipped");
                size_t i = 0;
                while (i < r->line_len && strchr(" \t\r", r->line[i]))
                        i++;
                if (i == r->line_len)
                        continue; /* blank */
                json_error_t jerr;
                js->doc = json_loadb(r->line, r->line_len, JSON_REJECT_DUPLICATES, &jerr);
                if (!js->doc) {
                        snprintf(errstr, errstr_size, "%s:%llu: not JSON: %s (column %d)", r->name,
                                 (unsigned long long)r->line_no, jerr.text, jerr.column);
                        return XS_ERR_DECODE;
                }
                if (!json_is_object(js->doc))
                        BAD(XS_ERR_DECODE, "line", "not a JSON object");
                if (r->kind == XS_KIND_EVENT)
                        return decode_event(r, js->doc, &rec->ev, errstr, errstr_size);
                return decode_product(r, js->doc, rec, errstr, errstr_size);
        }
}

/* ---- JSON text ---- */

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
                sb_put(sb, "}}", 2);
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
