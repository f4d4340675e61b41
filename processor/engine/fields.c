/*
 * String fields of decoded records against their bounds and UTF-8 (see fields.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "engine/fields.h"

/* One string field against its bound (event.max_id_bytes or event.max_label_bytes) and UTF-8.
 * Returns 0, or the verdict with why filled (the field is named, never quoted: it may be a
 * megabyte or not text). */
static enum xs_str_verdict str_field(const char *s, int64_t max, const char *key, const char *field,
                                     char *why, size_t why_size)
{
        size_t len, at;
        enum xs_str_verdict v = xs_str_check(s, (size_t)max, &len, &at);
        if (v == XS_STR_TOO_LONG)
                snprintf(why, why_size, "%s longer than %s (%" PRId64 " bytes)", field, key, max);
        else if (v == XS_STR_BAD_UTF8)
                snprintf(why, why_size, "%s is not valid UTF-8 (byte %zu)", field, at);
        return v;
}

enum xs_str_verdict xs_fields_event(const struct xs_params *p, const struct xs_event *ev, char *why,
                                    size_t why_size)
{
        const int64_t id = p->event_max_id_bytes, label = p->event_max_label_bytes;
        const char *ik = "event.max_id_bytes", *lk = "event.max_label_bytes";
        const struct {
                const char *s, *field;
        } ids[] = {{ev->event_id, "event_id"},     {ev->customer_id, "customer_id"},
                   {ev->session_id, "session_id"}, {ev->order_id, "order_id"},
                   {ev->offer_id, "offer_id"},     {ev->currency, "currency"}};
        enum xs_str_verdict v = XS_STR_OK;
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]) && !v; i++)
                v = str_field(ids[i].s, id, ik, ids[i].field, why, why_size);
        for (size_t i = 0; i < ev->n_items && !v; i++) {
                const struct xs_line_item *li = &ev->items[i];
                if (!(v = str_field(li->product_id, id, ik, "a line item's product_id", why,
                                    why_size)) &&
                    !(v = str_field(li->category, label, lk, "a line item's category", why,
                                    why_size)) &&
                    !(v = str_field(li->brand, label, lk, "a line item's brand", why, why_size)))
                        v = str_field(li->category_label, label, lk, "a line item's category_label",
                                      why, why_size);
        }
        return v;
}

enum xs_str_verdict xs_fields_product(const struct xs_params *p, const struct xs_product *pr,
                                      char *why, size_t why_size)
{
        const int64_t id = p->event_max_id_bytes, label = p->event_max_label_bytes;
        const char *ik = "event.max_id_bytes", *lk = "event.max_label_bytes";
        enum xs_str_verdict v = str_field(pr->product_id, id, ik, "product_id", why, why_size);
        if (!v)
                v = str_field(pr->currency, id, ik, "currency", why, why_size);
        const struct {
                const char *s, *field;
        } labels[] = {{pr->category, "category"},
                      {pr->brand, "brand"},
                      {pr->category_label, "category_label"},
                      {pr->addon, "addon"}};
        for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]) && !v; i++)
                v = str_field(labels[i].s, label, lk, labels[i].field, why, why_size);
        for (size_t i = 0; i < pr->n_upgrades && !v; i++)
                v = str_field(pr->upgrades[i], id, ik, "an upgrade target", why, why_size);
        for (size_t i = 0; i < pr->n_downgrades && !v; i++)
                v = str_field(pr->downgrades[i], id, ik, "a downgrade target", why, why_size);
        return v;
}
