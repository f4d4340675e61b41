/*
 * The debug views of the engine's state (see inspect.h). Read-only: nothing here changes the
 * engine (the catalog's ladder may be rebuilt lazily, as any read does). JSON is written by
 * hand into the caller's buffer: strings escaped, bytes that are not UTF-8 written as U+FFFD,
 * so an id from the wire cannot break the document. Bounded: a customer's arrays are bounded
 * by their caps, a product's lists by max_items.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/inspect.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/xs_uthash.h"
#include "xsell/engine.h"

/* ---- a JSON writer on a fixed buffer ------------------------------------------------ */

struct jw {
        char *out;
        size_t size, len;
        int full;
        int first; /* no comma before the next member or element */
};

static void raw(struct jw *w, const char *s, size_t n)
{
        if (w->full || w->len + n + 1 > w->size) {
                w->full = 1;
                return;
        }
        memcpy(w->out + w->len, s, n);
        w->len += n;
        w->out[w->len] = '\0';
}

static void rawf(struct jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rawf(struct jw *w, const char *fmt, ...)
{
        char tmp[64];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        raw(w, tmp, n > 0 && (size_t)n < sizeof(tmp) ? (size_t)n : 0);
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
        if (s[0] < 0x80)
                return 1;
        size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
        if (s[0] >= 0xF8)
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
        return n;
}

static void str(struct jw *w, const char *s)
{
        if (!s) {
                raw(w, "null", 4);
                return;
        }
        raw(w, "\"", 1);
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                if (*p == '"' || *p == '\\') {
                        char e[2] = {'\\', (char)*p};
                        raw(w, e, 2);
                        p++;
                } else if (*p < 0x20) {
                        rawf(w, "\\u%04x", *p);
                        p++;
                } else {
                        size_t n = utf8_len(p);
                        if (n)
                                raw(w, (const char *)p, n);
                        else
                                raw(w, "\\ufffd", 6);
                        p += n ? n : 1;
                }
        }
        raw(w, "\"", 1);
}

static void sep(struct jw *w)
{
        if (!w->first)
                raw(w, ",", 1);
        w->first = 0;
}

static void key(struct jw *w, const char *k)
{
        sep(w);
        str(w, k);
        raw(w, ":", 1);
}

static void open_(struct jw *w, const char *k, char c)
{
        if (k)
                key(w, k);
        else
                sep(w);
        raw(w, &c, 1);
        w->first = 1;
}

static void close_(struct jw *w, char c)
{
        raw(w, &c, 1);
        w->first = 0;
}

static void kstr(struct jw *w, const char *k, const char *v)
{
        key(w, k);
        str(w, v);
}

static void kint(struct jw *w, const char *k, int64_t v)
{
        key(w, k);
        rawf(w, "%" PRId64, v);
}

/* An event time in ms, or null when 0 (not set). */
static void ktime(struct jw *w, const char *k, int64_t v)
{
        key(w, k);
        if (v)
                rawf(w, "%" PRId64, v);
        else
                raw(w, "null", 4);
}

static void kbool(struct jw *w, const char *k, int v)
{
        key(w, k);
        raw(w, v ? "true" : "false", v ? 4 : 5);
}

static void kdbl(struct jw *w, const char *k, double v)
{
        key(w, k);
        if (isfinite(v))
                rawf(w, "%.6g", v);
        else
                raw(w, "null", 4);
}

static int finish(struct jw *w, size_t *len)
{
        if (w->full) {
                *len = 0;
                return -1;
        }
        *len = w->len;
        return 1;
}

static const char *pid(const struct xs_engine *eng, uint32_t id)
{
        return id ? xs_intern_str(eng->products, id) : NULL;
}

static void evidence(struct jw *w, const struct xs_evidence *ev);

/* ---- a customer --------------------------------------------------------------------- */

static const char *const timer_names[XS_TIMER_COUNT] = {"cart_abandon", "onboarding_end",
                                                        "lead_email", "reorder"};

int xs_engine_inspect_customer(struct xs_engine *eng, const char *customer_id, char *out,
                               size_t size, size_t *len)
{
        struct xs_customer *c = xs_customer_find(eng, customer_id);
        *len = 0;
        if (!c)
                return 0;
        struct jw w = {out, size, 0, 0, 1};
        if (size)
                out[0] = '\0';
        open_(&w, NULL, '{');
        kstr(&w, "customer_id", c->id);
        kstr(&w, "stage", xs_stage_name((enum xs_stage)c->stage));
        ktime(&w, "stage_since", c->stage_since);
        ktime(&w, "last_event_time", c->last_event_time);
        kint(&w, "watermark", eng->watermark);
        kint(&w, "partition", c->tag);
        kbool(&w, "control_group",
              eng->control_threshold &&
                  xs_hash_str(c->id, eng->control_seed) < eng->control_threshold);
        kbool(&w, "subscribed", c->subscribed);
        kbool(&w, "email_ok", c->email_ok);
        kbool(&w, "has_purchased", c->has_purchased);
        kbool(&w, "value_realized", c->value_realized);
        ktime(&w, "last_purchase_at", c->last_purchase_at);
        ktime(&w, "onboarding_until", c->onboarding_until);
        ktime(&w, "cooldown_until", c->cooldown_until);

        open_(&w, "cart", '{');
        kint(&w, "value", xs_customer_cart_value(c));
        kstr(&w, "currency", c->currency);
        kstr(&w, "last_change_event_id", c->cart_event_id);
        open_(&w, "lines", '[');
        for (size_t i = 0; i < c->n_cart; i++) {
                open_(&w, NULL, '{');
                kstr(&w, "product_id", pid(eng, c->cart[i].product));
                kint(&w, "quantity", c->cart[i].quantity);
                kint(&w, "unit_price", c->cart[i].unit_price);
                close_(&w, '}');
        }
        close_(&w, ']');
        close_(&w, '}');

        open_(&w, "timers", '{'); /* event time each is due at; null: not armed */
        for (int k = 0; k < XS_TIMER_COUNT; k++)
                ktime(&w, timer_names[k], c->timer_due[k]);
        close_(&w, '}');

        open_(&w, "caps_today", '{');
        kint(&w, "day", c->cap_day);
        kint(&w, "offers", c->offers_today);
        for (int t = 0; t < XS_OFFER_COUNT; t++)
                kint(&w, xs_offer_type_name((enum xs_offer_type)t), c->offers_type_today[t]);
        close_(&w, '}');

        open_(&w, "recent_views", '[');
        for (size_t i = 0; i < c->n_views; i++) {
                open_(&w, NULL, '{');
                kstr(&w, "product_id", pid(eng, c->views[i].product));
                kint(&w, "at", c->views[i].t);
                close_(&w, '}');
        }
        close_(&w, ']');
        open_(&w, "recent_purchases", '[');
        for (size_t i = 0; i < c->n_hist; i++) {
                open_(&w, NULL, '{');
                kstr(&w, "product_id", pid(eng, c->hist[i].product));
                kint(&w, "at", c->hist[i].t);
                close_(&w, '}');
        }
        close_(&w, ']');

        /* what the engine keeps of an offer; its full evidence is on the offer record */
        open_(&w, "open_offers", '[');
        for (size_t i = 0; i < c->n_pending; i++) {
                const struct xs_pending *pd = &c->pending[i];
                open_(&w, NULL, '{');
                kstr(&w, "offer_id", pd->offer_id);
                kstr(&w, "type", xs_offer_type_name((enum xs_offer_type)pd->type));
                kstr(&w, "stage", xs_stage_name((enum xs_stage)pd->stage));
                kstr(&w, "channel", xs_channel_name((enum xs_channel)pd->channel));
                kbool(&w, "control", pd->control);
                kint(&w, "created_at", pd->created_at);
                kint(&w, "expires_at", pd->expires_at);
                kint(&w, "attribution_until", pd->attribution_until);
                open_(&w, "products", '[');
                for (size_t k = 0; k < pd->n && k < XS_OFFER_MAX_ITEMS; k++) {
                        sep(&w);
                        str(&w, pid(eng, pd->products[k]));
                }
                close_(&w, ']');
                close_(&w, '}');
        }
        close_(&w, ']');

        /* the last debug.recent_offers offers, oldest first, with what their records say of
         * why: the same rule, anchor, trigger, scores and evidence */
        open_(&w, "recent_offers", '[');
        for (uint8_t i = 0; i < c->n_recent; i++) {
                const struct xs_recent *r =
                    &c->recent[(c->recent_next + c->cap_recent - c->n_recent + i) % c->cap_recent];
                open_(&w, NULL, '{');
                kstr(&w, "offer_id", r->offer_id);
                kstr(&w, "type", xs_offer_type_name((enum xs_offer_type)r->type));
                kstr(&w, "stage", xs_stage_name((enum xs_stage)r->stage));
                kstr(&w, "channel", xs_channel_name((enum xs_channel)r->channel));
                kbool(&w, "control", r->control);
                kstr(&w, "rule", r->rule);
                kstr(&w, "score_kind", r->score_kind);
                kstr(&w, "anchor_product_id", pid(eng, r->anchor));
                kstr(&w, "trigger_event_id", r->trigger);
                kint(&w, "created_at", r->created_at);
                open_(&w, "items", '[');
                for (uint8_t k = 0; k < r->n; k++) {
                        const struct xs_recent_item *it = &r->items[k];
                        open_(&w, NULL, '{');
                        kstr(&w, "product_id", pid(eng, it->product));
                        kdbl(&w, "score", it->score);
                        evidence(&w, &it->ev);
                        kint(&w, "reorder_interval_ms", it->ev.reorder_interval_ms);
                        kint(&w, "last_purchase_at", it->ev.last_purchase_at);
                        kint(&w, "repeat_buyers", it->ev.repeat_buyers);
                        close_(&w, '}');
                }
                close_(&w, ']');
                close_(&w, '}');
        }
        close_(&w, ']');
        close_(&w, '}');
        return finish(&w, len);
}

/* ---- a product ---------------------------------------------------------------------- */

static void evidence(struct jw *w, const struct xs_evidence *ev)
{
        open_(w, "evidence", '{');
        kint(w, "k11", ev->k11);
        kint(w, "k12", ev->k12);
        kint(w, "k21", ev->k21);
        kint(w, "k22", ev->k22);
        kdbl(w, "llr", ev->llr);
        kdbl(w, "lift", ev->lift);
        open_(w, "pair_counts", '{');
        for (int r = 0; r < XS_REL_COUNT; r++)
                kint(w, xs_relation_name((enum xs_relation)r), ev->rel[r]);
        close_(w, '}');
        close_(w, '}');
}

static void related_list(struct jw *w, struct xs_engine *eng, const char *k,
                         const struct xs_related *rel, size_t n)
{
        open_(w, k, '[');
        for (size_t i = 0; i < n; i++) {
                uint32_t id = xs_intern_find(eng->products, rel[i].product_id);
                open_(w, NULL, '{');
                kstr(w, "product_id", rel[i].product_id);
                kdbl(w, "score", rel[i].score);
                kbool(w, "offerable", id && xs_catalog_offerable(eng->catalog, id));
                evidence(w, &rel[i].evidence);
                close_(w, '}');
        }
        close_(w, ']');
}

static void ladder(struct jw *w, struct xs_engine *eng, const char *k,
                   const struct xs_cat_product *a, double lo, double hi, int up,
                   const struct xs_related *alt, size_t n_alt, size_t max_items)
{
        open_(w, k, '{');
        int64_t min_price = (int64_t)ceil((double)a->price * lo);
        int64_t max_price = (int64_t)floor((double)a->price * hi);
        if (up && min_price <= a->price)
                min_price = a->price + 1;
        if (!up && max_price >= a->price)
                max_price = a->price - 1;
        kint(w, "min_price", min_price);
        kint(w, "max_price", max_price);
        open_(w, "products", '[');
        size_t n = 0;
        const uint32_t *l =
            a->category && a->price > 0 && min_price <= max_price
                ? xs_catalog_ladder(eng->catalog, a->category, min_price, max_price, &n)
                : NULL;
        /* upsell: the cheapest step first; downsell: the closest below first (as cand.c) */
        for (size_t i = 0; l && i < n && i < max_items; i++) {
                uint32_t b = l[up ? i : n - 1 - i];
                const struct xs_cat_product *bp = xs_catalog_get(eng->catalog, b);
                const char *bid = pid(eng, b);
                open_(w, NULL, '{');
                kstr(w, "product_id", bid);
                kint(w, "price", bp ? bp->price : -1);
                kbool(w, "offerable", xs_catalog_offerable(eng->catalog, b));
                const struct xs_related *r = NULL;
                for (size_t j = 0; bid && j < n_alt && !r; j++)
                        if (!strcmp(alt[j].product_id, bid))
                                r = &alt[j];
                key(w, "score");
                if (r && isfinite(r->score))
                        rawf(w, "%.6g", r->score);
                else
                        raw(w, "null", 4);
                close_(w, '}');
        }
        close_(w, ']');
        close_(w, '}');
}

#define XS_INSPECT_ALT 256 /* alternatives scanned for the ladder's scores */

int xs_engine_inspect_product(struct xs_engine *eng, const char *product_id, size_t max_items,
                              char *out, size_t size, size_t *len)
{
        *len = 0;
        uint32_t a = xs_intern_find(eng->products, product_id);
        if (!a)
                return 0;
        struct xs_related *comp = calloc(max_items ? max_items : 1, sizeof(*comp));
        struct xs_related *alt = calloc(XS_INSPECT_ALT, sizeof(*alt));
        if (!comp || !alt) {
                free(comp);
                free(alt);
                return -1;
        }
        size_t n_comp = xs_engine_related(eng, product_id, XS_SCORE_COMPLEMENT, comp, max_items);
        size_t n_alt =
            xs_engine_related(eng, product_id, XS_SCORE_ALTERNATIVE, alt, XS_INSPECT_ALT);
        struct jw w = {out, size, 0, 0, 1};
        if (size)
                out[0] = '\0';
        const struct xs_cat_product *p = xs_catalog_get(eng->catalog, a);
        open_(&w, NULL, '{');
        kstr(&w, "product_id", product_id);
        kstr(&w, "score", eng->score_lift ? "lift" : eng->score_count ? "count" : "llr");
        kint(&w, "window_ms", eng->p->window_size);
        kint(&w, "watermark", eng->watermark);
        if (!p) {
                key(&w, "catalog");
                raw(&w, "null", 4);
        } else {
                open_(&w, "catalog", '{');
                kstr(&w, "source",
                     p->source == XS_SRC_RECORD    ? "record"
                     : p->source == XS_SRC_LEARNED ? "learned"
                                                   : "none");
                kstr(&w, "category",
                     p->category ? xs_catalog_label(eng->catalog, p->category) : NULL);
                kstr(&w, "category_label",
                     p->category_label ? xs_catalog_label(eng->catalog, p->category_label) : NULL);
                kstr(&w, "brand", p->brand ? xs_catalog_label(eng->catalog, p->brand) : NULL);
                kstr(&w, "addon", p->addon ? xs_catalog_label(eng->catalog, p->addon) : NULL);
                kint(&w, "price", p->price);
                kstr(&w, "currency", p->currency);
                kbool(&w, "in_stock", p->in_stock);
                kbool(&w, "deleted", p->deleted);
                kbool(&w, "offerable", xs_catalog_offerable(eng->catalog, a));
                open_(&w, "upgrades", '[');
                for (int i = 0; i < p->n_up; i++) {
                        sep(&w);
                        str(&w, pid(eng, p->up[i]));
                }
                close_(&w, ']');
                open_(&w, "downgrades", '[');
                for (int i = 0; i < p->n_down; i++) {
                        sep(&w);
                        str(&w, pid(eng, p->down[i]));
                }
                close_(&w, ']');
                close_(&w, '}');
        }
        related_list(&w, eng, "complements", comp, n_comp);
        related_list(&w, eng, "alternatives", alt, n_alt < max_items ? n_alt : max_items);
        if (p && p->price > 0) {
                ladder(&w, eng, "upsell_ladder", p, eng->p->upsell_min_ratio,
                       eng->p->upsell_max_ratio, 1, alt, n_alt, max_items);
                ladder(&w, eng, "downsell_ladder", p, eng->p->downsell_min_ratio,
                       eng->p->downsell_max_ratio, 0, alt, n_alt, max_items);
        }
        close_(&w, '}');
        free(comp);
        free(alt);
        return finish(&w, len);
}
