/*
 * JSON lines reader (jsonl.h): events and catalog products, one JSON object per line, field
 * names and defaults as in schemas/customer_event.avsc and schemas/catalog_product.avsc.
 *
 * A line that is not a JSON object, has a field of the wrong type, or lacks a required field
 * is skipped with "name:line: reason"; unknown fields are ignored (a newer writer); an unknown
 * event type symbol decodes as UNKNOWN, as the Avro enum default does. Blank lines are skipped
 * silently. A catalog record with "deleted": true is a tombstone and needs only product_id.
 *
 * Bounds: the lines of reader.h; at most XS_IO_MAX_ITEMS items, upgrades or downgrades per
 * record. The record points into the decoded document, which is kept until the next call.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonl.h"

struct xs_jsonl_state {
        json_t *doc;       /* the document the current record points into */
        const char **strs; /* upgrades / downgrades pointers */
        size_t n_strs, cap_strs;
};

static int jsonl_open(struct xs_reader *r, char *errstr, size_t errstr_size)
{
        r->jsonl = calloc(1, sizeof(*r->jsonl));
        if (!r->jsonl) {
                snprintf(errstr, errstr_size, "%s: out of memory", r->name);
                return -1;
        }
        return 0;
}

static void jsonl_close(struct xs_reader *r)
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
                        if (get_str(it, "category_label", 0, &li.category_label, &why))
                                BAD(XS_ERR_INVALID, "items.category_label", why);
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
        if (get_str(o, "category_label", 0, &p->category_label, &why))
                BAD(XS_ERR_INVALID, "category_label", why);
        if (get_str(o, "addon", 0, &p->addon, &why))
                BAD(XS_ERR_INVALID, "addon", why);
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

static xs_err_t jsonl_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
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

const struct xs_format_ops xs_jsonl_format = {jsonl_open, jsonl_next, jsonl_close};
