/*
 * Per-customer state as a self-contained byte string, for a changelog topic keyed by
 * customer_id (restored on partition assignment). Products are written as their external ids,
 * so a record means the same in every instance.
 *
 * Format (version 5): "XSC" 0x05, then fields in a fixed order; integers are zig-zag varints,
 * strings a varint length and bytes, order hashes 8 bytes little-endian. Version 5 (issue 9
 * item 11) adds to each entry of the bought set, after its minute, the customer's own purchases
 * of the product and their span in hours (buy again's own repeat evidence, customer.h); older
 * records give each entry one purchase and no span. Version 4 (issue 9
 * items 8 and 11) writes the number of daily per-type offer counters and of timer dues before
 * them (so a new offer type or timer needs no new version: a reader keeps those it knows, older
 * records have none of the new ones); adds to each open offer its channel (1 byte) and
 * expires_at after attribution_until, and the flag lead_done (bit 5 of the flags); and ends,
 * after the bought set, with the lead period's e-mailed products (count, then each), the start
 * of the customer's purchase episode (cooc.c; 0 none) and reorder_at (0: nothing handled yet).
 * Versions 1-3 have 3 counters and 3 timers and none of the rest: an open offer's channel is
 * inferred from its type and stage (the e-mail rules of that version) and its expiry from that
 * channel's lifetime, the LEAD series starts counting from zero, and the next purchase starts a
 * new episode. Version 3 and 4 have the bought guard's set (count, then product and minute of
 * each; bought_floor; bought_bits as 8 bytes). Version 2 has no set: it is rebuilt from the
 * purchase history, all that version knew (still read). Version 1 also differs in the daily
 * offer counters, single bytes there. Import
 * checks every length and count against the bytes left and the configured caps, and every number
 * against what an event could have produced (quantities, prices, times): a corrupt record is
 * XS_ERR_DECODE, never a crash, an oversized allocation or a value that overflows later.
 *
 * Import builds the customer privately and links it into the engine only when the whole
 * record is valid, so a corrupt record leaves nothing half-built and leaves a customer of the
 * same id exactly as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/journey.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/xs_uthash.h"

struct wbuf {
        unsigned char *p;
        size_t n, cap;
        int oom;
};

static void put_bytes(struct wbuf *w, const void *src, size_t n)
{
        if (w->oom)
                return;
        if (w->n + n > w->cap) {
                size_t cap = w->cap ? w->cap : 256;
                while (cap < w->n + n)
                        cap *= 2;
                unsigned char *p = realloc(w->p, cap);
                if (!p) {
                        w->oom = 1;
                        return;
                }
                w->p = p;
                w->cap = cap;
        }
        memcpy(w->p + w->n, src, n);
        w->n += n;
}

static void put_varint(struct wbuf *w, int64_t v)
{
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        unsigned char b[10];
        size_t n = 0;
        do {
                b[n] = (unsigned char)(z & 0x7f);
                z >>= 7;
                if (z)
                        b[n] |= 0x80;
                n++;
        } while (z);
        put_bytes(w, b, n);
}

static void put_str(struct wbuf *w, const char *s)
{
        size_t n = s ? strlen(s) : 0;
        put_varint(w, s ? (int64_t)n : -1);
        if (s)
                put_bytes(w, s, n);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
        unsigned char b[8];
        for (int i = 0; i < 8; i++)
                b[i] = (unsigned char)(v >> (8 * i));
        put_bytes(w, b, 8);
}

xs_err_t xs_engine_customer_export(struct xs_engine *eng, const char *customer_id,
                                   unsigned char **buf, size_t *len)
{
        struct xs_customer *c;
        HASH_FIND_STR(eng->customers, customer_id, c);
        if (!c)
                return XS_ERR_NOT_FOUND;
        struct wbuf w = {0};
        put_bytes(&w, "XSC\x05", 4);
        put_str(&w, c->id);
        unsigned char flags = (unsigned char)(c->subscribed | c->email_ok << 1 |
                                              c->has_purchased << 2 | c->value_realized << 3 |
                                              c->onboarding_offered << 4 | c->lead_done << 5);
        put_bytes(&w, &c->stage, 1);
        put_bytes(&w, &flags, 1);
        int64_t times[] = {c->stage_since,      c->last_event_time, c->last_purchase_at,
                           c->onboarding_until, c->cooldown_until,  c->lead_last_offer,
                           c->cap_day};
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
                put_varint(&w, times[i]);
        put_varint(&w, c->offers_today);
        put_varint(&w, XS_OFFER_COUNT);
        for (int k = 0; k < XS_OFFER_COUNT; k++)
                put_varint(&w, c->offers_type_today[k]);
        put_varint(&w, XS_TIMER_COUNT);
        for (int k = 0; k < XS_TIMER_COUNT; k++)
                put_varint(&w, c->timer_due[k]);
        put_str(&w, c->cart_event_id);
        put_str(&w, c->subscribe_event_id);
        put_bytes(&w, c->currency, XS_CURRENCY_LEN);
        put_varint(&w, c->n_cart);
        for (uint16_t i = 0; i < c->n_cart; i++) {
                put_str(&w, xs_intern_str(eng->products, c->cart[i].product));
                put_varint(&w, c->cart[i].quantity);
                put_varint(&w, c->cart[i].unit_price);
        }
        put_u64(&w, c->open_order);
        put_varint(&w, c->n_order);
        for (uint16_t i = 0; i < c->n_order; i++)
                put_str(&w, xs_intern_str(eng->products, c->order_items[i]));
        put_varint(&w, c->n_hist);
        for (uint16_t i = 0; i < c->n_hist; i++) {
                put_str(&w, xs_intern_str(eng->products, c->hist[i].product));
                put_varint(&w, c->hist[i].t);
                put_u64(&w, c->hist[i].order);
        }
        put_varint(&w, c->n_views);
        for (uint16_t i = 0; i < c->n_views; i++) {
                put_str(&w, xs_intern_str(eng->products, c->views[i].product));
                put_varint(&w, c->views[i].t);
        }
        put_varint(&w, c->n_pending);
        for (uint16_t i = 0; i < c->n_pending; i++) {
                const struct xs_pending *pd = &c->pending[i];
                put_bytes(&w, pd->offer_id, XS_OFFER_ID_LEN - 1);
                unsigned char b[4] = {pd->type, pd->stage, pd->control, pd->n};
                put_bytes(&w, b, 4);
                put_varint(&w, pd->created_at);
                put_varint(&w, pd->attribution_until);
                put_bytes(&w, &pd->channel, 1);
                put_varint(&w, pd->expires_at);
                for (uint8_t k = 0; k < pd->n; k++)
                        put_str(&w, xs_intern_str(eng->products, pd->products[k]));
        }
        put_varint(&w, c->n_bought);
        for (uint16_t i = 0; i < c->n_bought; i++) {
                put_str(&w, xs_intern_str(eng->products, c->bought[i].product));
                put_varint(&w, c->bought[i].minute);
                put_varint(&w, c->bought[i].times);
                put_varint(&w, c->bought[i].span_h);
        }
        put_varint(&w, c->bought_floor);
        put_u64(&w, c->bought_bits);
        put_varint(&w, c->n_lead);
        for (uint8_t i = 0; i < c->n_lead; i++)
                put_str(&w, xs_intern_str(eng->products, c->lead_products[i]));
        put_varint(&w, c->episode_start);
        put_varint(&w, c->reorder_at);
        if (w.oom) {
                free(w.p);
                return XS_ERR_NOMEM;
        }
        *buf = w.p;
        *len = w.n;
        return XS_OK;
}

struct rbuf {
        const unsigned char *p;
        size_t n, off;
        int bad;
        char str[4096];
};

static int get_bytes(struct rbuf *r, void *dst, size_t n)
{
        if (r->bad || r->n - r->off < n) {
                r->bad = 1;
                return -1;
        }
        memcpy(dst, r->p + r->off, n);
        r->off += n;
        return 0;
}

static int64_t get_varint(struct rbuf *r)
{
        uint64_t z = 0;
        for (int shift = 0; shift < 70; shift += 7) {
                unsigned char b;
                if (get_bytes(r, &b, 1) != 0)
                        return 0;
                z |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80))
                        return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
        }
        r->bad = 1;
        return 0;
}

/* Returns the string (in r->str) or NULL for a null string or an error. */
static const char *get_str(struct rbuf *r)
{
        int64_t n = get_varint(r);
        if (n < 0 || r->bad)
                return NULL;
        if ((size_t)n >= sizeof(r->str) || get_bytes(r, r->str, (size_t)n) != 0) {
                r->bad = 1;
                return NULL;
        }
        r->str[n] = '\0';
        return r->str;
}

static uint64_t get_u64(struct rbuf *r)
{
        unsigned char b[8];
        if (get_bytes(r, b, 8) != 0)
                return 0;
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
                v |= (uint64_t)b[i] << (8 * i);
        return v;
}

static uint32_t get_product(struct xs_engine *eng, struct rbuf *r)
{
        const char *s = get_str(r);
        if (!s || !*s) {
                r->bad = 1;
                return 0;
        }
        uint32_t id = xs_intern_put(eng->products, s, (size_t)eng->p->max_products);
        if (!id)
                r->bad = 1;
        return id;
}

static int64_t get_count(struct rbuf *r, int64_t max)
{
        int64_t n = get_varint(r);
        if (n < 0 || n > max)
                r->bad = 1;
        return r->bad ? 0 : n;
}

/* A time that an event (max XS_MAX_TIME) or a deadline (XS_MAX_DEADLINE) could have set. */
static int64_t get_time(struct rbuf *r, int64_t max)
{
        int64_t t = get_varint(r);
        if (t < 0 || t > max)
                r->bad = 1;
        return r->bad ? 0 : t;
}

static uint16_t get_counter(struct rbuf *r, int version)
{
        if (version == 1) {
                unsigned char b = 0;
                get_bytes(r, &b, 1);
                return b;
        }
        return (uint16_t)get_count(r, UINT16_MAX);
}

static char *dup_str(struct rbuf *r)
{
        const char *s = get_str(r);
        if (!s)
                return NULL;
        char *copy = strdup(s);
        if (!copy)
                r->bad = 1;
        return copy;
}

static int bought_cmp(const void *x, const void *y)
{
        const struct xs_bought *a = x, *b = y;
        return a->product < b->product ? -1 : a->product > b->product;
}

/* A version 1 or 2 record has no bought set: it is rebuilt from the history, the products that
 * version's guard looked at, each at its last purchase. */
static void parse_bought_v2(struct xs_engine *eng, struct rbuf *r, struct xs_customer *c)
{
        if (r->bad)
                return;
        for (uint16_t i = 0; i < c->n_hist; i++) {
                uint32_t one = c->hist[i].product;
                xs_customer_bought_add(eng, c, c->hist[i].t, &one, 1);
        }
}

/* A version 1-3 open offer has no channel or expiry: that version's e-mails were the LEAD
 * downsell, the post-purchase cross-sell and the abandoned-cart downsell to a subscriber; the
 * rest was on site. */
static void pending_v3(const struct xs_params *p, const struct xs_customer *c,
                       struct xs_pending *pd)
{
        int email = pd->stage == XS_STAGE_LEAD ||
                    (pd->type == XS_OFFER_CROSS_SELL && pd->stage == XS_STAGE_PURCHASED) ||
                    (pd->type == XS_OFFER_DOWNSELL && pd->stage == XS_STAGE_CART_ABANDONED &&
                     c->subscribed && c->email_ok);
        pd->channel = email ? XS_CHANNEL_EMAIL : XS_CHANNEL_ONSITE;
        pd->expires_at = pd->created_at + (email ? p->offer_email_ttl : p->offer_ttl);
}

/* Version 4's lead period: the products of its LEAD e-mails. */
static void parse_lead(struct xs_engine *eng, struct rbuf *r, struct xs_customer *c)
{
        int64_t n = get_count(r, XS_LEAD_MAX_EMAILS);
        if (!r->bad && XS_RESERVE(c->lead_products, c->cap_lead, (size_t)n) != 0)
                r->bad = 1;
        for (int64_t i = 0; i < n && !r->bad; i++)
                c->lead_products[i] = get_product(eng, r);
        c->n_lead = r->bad ? 0 : (uint8_t)n;
}

/* Parses the fields after the id into c (unlinked). Every n_* is set after its loop, so it
 * never counts an entry that was not filled. */
static void parse_customer(struct xs_engine *eng, struct rbuf *r, int version,
                           struct xs_customer *c, int64_t due[XS_TIMER_COUNT])
{
        const struct xs_params *p = eng->p;
        unsigned char flags = 0, stage = 0;
        get_bytes(r, &stage, 1);
        get_bytes(r, &flags, 1);
        if (stage >= XS_STAGE_COUNT)
                r->bad = 1;
        c->stage = stage;
        c->subscribed = flags & 1;
        c->email_ok = (flags >> 1) & 1;
        c->has_purchased = (flags >> 2) & 1;
        c->value_realized = (flags >> 3) & 1;
        c->onboarding_offered = (flags >> 4) & 1;
        c->lead_done = version >= 4 ? (flags >> 5) & 1 : 0;
        c->stage_since = get_time(r, XS_MAX_DEADLINE);
        c->last_event_time = get_time(r, XS_MAX_TIME);
        c->last_purchase_at = get_time(r, XS_MAX_TIME);
        c->onboarding_until = get_time(r, XS_MAX_DEADLINE);
        c->cooldown_until = get_time(r, XS_MAX_DEADLINE);
        c->lead_last_offer = get_time(r, XS_MAX_DEADLINE);
        c->cap_day = get_time(r, XS_MAX_DEADLINE / XS_DAY_MS);
        c->offers_today = get_counter(r, version);
        /* versions 1-3: CROSS_SELL, UPSELL, DOWNSELL; CART, ONBOARDING, LEAD */
        int64_t n_types = version >= 4 ? get_count(r, 64) : 3;
        for (int64_t k = 0; k < n_types && !r->bad; k++) {
                uint16_t v = get_counter(r, version);
                if (k < XS_OFFER_COUNT)
                        c->offers_type_today[k] = v;
        }
        int64_t n_timers = version >= 4 ? get_count(r, 64) : 3;
        for (int64_t k = 0; k < n_timers && !r->bad; k++) {
                int64_t v = get_time(r, XS_MAX_DEADLINE);
                if (k < XS_TIMER_COUNT)
                        due[k] = v;
        }
        c->cart_event_id = dup_str(r);
        c->subscribe_event_id = dup_str(r);
        get_bytes(r, c->currency, XS_CURRENCY_LEN);
        c->currency[XS_CURRENCY_LEN - 1] = '\0';

        int64_t n = get_count(r, XS_CART_MAX);
        if (!r->bad && XS_RESERVE(c->cart, c->cap_cart, (size_t)n) != 0)
                r->bad = 1;
        for (int64_t i = 0; i < n && !r->bad; i++) {
                struct xs_cart_line *l = &c->cart[i];
                l->product = get_product(eng, r);
                int64_t qty = get_varint(r);
                l->unit_price = get_varint(r);
                if (qty < 1 || qty > p->event_max_quantity || l->unit_price < -1 ||
                    l->unit_price > p->event_max_unit_price)
                        r->bad = 1;
                l->quantity = (int32_t)(r->bad ? 0 : qty);
        }
        c->n_cart = r->bad ? 0 : (uint16_t)n;

        c->open_order = get_u64(r);
        int64_t order_cap = p->max_basket_items;
        n = get_count(r, order_cap);
        if (!r->bad && XS_RESERVE(c->order_items, c->cap_order, (size_t)n) != 0)
                r->bad = 1;
        for (int64_t i = 0; i < n && !r->bad; i++)
                c->order_items[i] = get_product(eng, r);
        c->n_order = r->bad ? 0 : (uint16_t)n;

        n = get_count(r, p->max_history);
        if (!r->bad && XS_RESERVE(c->hist, c->cap_hist, (size_t)n) != 0)
                r->bad = 1;
        for (int64_t i = 0; i < n && !r->bad; i++) {
                c->hist[i].product = get_product(eng, r);
                c->hist[i].t = get_time(r, XS_MAX_TIME);
                c->hist[i].order = get_u64(r);
        }
        c->n_hist = r->bad ? 0 : (uint16_t)n;

        int64_t view_cap = p->max_recent_views > p->undecided_min_products
                               ? p->max_recent_views
                               : p->undecided_min_products;
        n = get_count(r, view_cap);
        if (!r->bad && XS_RESERVE(c->views, c->cap_views, (size_t)n) != 0)
                r->bad = 1;
        for (int64_t i = 0; i < n && !r->bad; i++) {
                c->views[i].product = get_product(eng, r);
                c->views[i].t = get_time(r, XS_MAX_TIME);
        }
        c->n_views = r->bad ? 0 : (uint16_t)n;

        n = get_count(r, p->attribution_max_pending);
        if (!r->bad && XS_RESERVE(c->pending, c->cap_pending, (size_t)n) != 0)
                r->bad = 1;
        for (int64_t i = 0; i < n && !r->bad; i++) {
                struct xs_pending *pd = &c->pending[i];
                memset(pd, 0, sizeof(*pd));
                get_bytes(r, pd->offer_id, XS_OFFER_ID_LEN - 1);
                unsigned char b[4] = {0};
                get_bytes(r, b, 4);
                if (b[0] >= XS_OFFER_COUNT || b[1] >= XS_STAGE_COUNT || b[2] > 1 ||
                    b[3] > XS_OFFER_MAX_ITEMS)
                        r->bad = 1;
                pd->type = b[0];
                pd->stage = b[1];
                pd->control = b[2];
                pd->created_at = get_time(r, XS_MAX_DEADLINE);
                pd->attribution_until = get_time(r, XS_MAX_DEADLINE);
                if (version >= 4) {
                        get_bytes(r, &pd->channel, 1);
                        if (pd->channel >= XS_CHANNEL_COUNT)
                                r->bad = 1;
                        pd->expires_at = get_time(r, XS_MAX_DEADLINE);
                } else {
                        pending_v3(p, c, pd);
                }
                for (uint8_t k = 0; k < b[3] && !r->bad; k++)
                        pd->products[pd->n++] = get_product(eng, r);
        }
        c->n_pending = r->bad ? 0 : (uint16_t)n;

        if (version < 3) {
                parse_bought_v2(eng, r, c);
                return;
        }
        n = get_count(r, p->max_bought);
        if (!r->bad && XS_RESERVE(c->bought, c->cap_bought, (size_t)n) != 0)
                r->bad = 1;
        for (int64_t i = 0; i < n && !r->bad; i++) {
                c->bought[i].product = get_product(eng, r);
                int64_t m = get_varint(r);
                if (m < 0 || m > xs_customer_bought_minute(XS_MAX_TIME))
                        r->bad = 1;
                c->bought[i].minute = (uint32_t)(r->bad ? 0 : m);
                c->bought[i].flags = 0; /* this process's learning never counted it */
                c->bought[i].times = 1;
                c->bought[i].span_h = 0;
                if (version >= 5) { /* the customer's own repeats: 1..255 purchases, hours */
                        int64_t times = get_varint(r), span = get_varint(r);
                        if (times < 1 || times > UINT8_MAX || span < 0 || span > UINT16_MAX)
                                r->bad = 1;
                        else {
                                c->bought[i].times = (uint8_t)times;
                                c->bought[i].span_h = (uint16_t)span;
                        }
                }
        }
        c->n_bought = r->bad ? 0 : (uint16_t)n;
        c->bought_floor = get_time(r, XS_MAX_TIME);
        c->bought_bits = get_u64(r);
        /* product ids are this instance's: sort again; a product twice is a corrupt record */
        if (c->n_bought > 1)
                qsort(c->bought, c->n_bought, sizeof(*c->bought), bought_cmp);
        for (uint16_t i = 1; i < c->n_bought; i++)
                if (c->bought[i].product == c->bought[i - 1].product)
                        r->bad = 1;
        if (version >= 4) {
                parse_lead(eng, r, c);
                c->episode_start = get_time(r, XS_MAX_TIME);
                c->reorder_at = get_time(r, XS_MAX_DEADLINE);
        }
}

xs_err_t xs_engine_customer_import(struct xs_engine *eng, const unsigned char *buf, size_t len,
                                   char *errstr, size_t errstr_size)
{
        struct rbuf r = {.p = buf, .n = len};
        char magic[4];
        if (get_bytes(&r, magic, 4) != 0 || memcmp(magic, "XSC", 3) != 0 || magic[3] < 1 ||
            magic[3] > 5) {
                snprintf(errstr, errstr_size, "customer state: not a version 1 to 5 record");
                return XS_ERR_DECODE;
        }
        int version = magic[3];
        const char *id = get_str(&r);
        if (!id || !*id) {
                snprintf(errstr, errstr_size, "customer state: no customer id");
                return XS_ERR_DECODE;
        }
        struct xs_customer *c = calloc(1, sizeof(*c));
        if (!c || !(c->id = strdup(id))) {
                xs_customer_free(c);
                snprintf(errstr, errstr_size, "customer state: out of memory");
                return XS_ERR_NOMEM;
        }
        c->tag = eng->tag;
        int64_t due[XS_TIMER_COUNT] = {0};
        parse_customer(eng, &r, version, c, due);
        if (r.bad || r.off != r.n) {
                snprintf(errstr, errstr_size, "customer state: corrupt record (at byte %zu of %zu)",
                         r.off, r.n);
                xs_customer_free(c);
                return XS_ERR_DECODE;
        }
        if (xs_customer_install(eng, c) != 0) {
                xs_customer_free(c);
                snprintf(errstr, errstr_size, "customer state: out of memory");
                return XS_ERR_NOMEM;
        }
        for (int k = 0; k < XS_TIMER_COUNT; k++)
                if (due[k] > 0)
                        xs_journey_timer_arm(eng, c, (enum xs_timer_kind)k, due[k]);
        return XS_OK;
}

/* ---- the changelog: what changed since the last call ------------------------------------ */

void xs_engine_track_changes(struct xs_engine *eng, int on)
{
        eng->track_changes = on;
}

static int change_one(struct xs_engine *eng, struct xs_customer *c, xs_change_cb cb, void *opaque)
{
        unsigned char *buf = NULL;
        size_t len = 0;
        if (xs_engine_customer_export(eng, c->id, &buf, &len) != XS_OK)
                return -1;
        int rc = cb(opaque, c->id, c->tag, buf, len);
        free(buf);
        return rc;
}

int xs_engine_changes(struct xs_engine *eng, xs_change_cb cb, void *opaque)
{
        /* tombstones first: a customer forgotten and seen again ends with its new state */
        size_t i = 0;
        for (; i < eng->n_gone; i++)
                if (cb(opaque, eng->gone[i].id, eng->gone[i].tag, NULL, 0) != 0)
                        break;
        for (size_t k = 0; k < i; k++) {
                eng->gone_bytes -= strlen(eng->gone[k].id) + 1;
                free(eng->gone[k].id);
        }
        if (i) /* (gone is NULL while nothing was ever listed) */
                memmove(eng->gone, eng->gone + i, (eng->n_gone - i) * sizeof(*eng->gone));
        eng->n_gone -= i;
        if (eng->n_gone)
                return -1;
        if (eng->changes_lost) {
                /* a change could not be listed (out of memory): write every customer */
                struct xs_customer *c, *tmp;
                HASH_ITER(hh, eng->customers, c, tmp)
                {
                        if (change_one(eng, c, cb, opaque) != 0)
                                return -1;
                }
                eng->changes_lost = 0;
                for (size_t k = 0; k < eng->n_dirty; k++) {
                        struct xs_customer *d = eng->slots[eng->dirty[k].slot];
                        if (d && eng->slot_gen[eng->dirty[k].slot] == eng->dirty[k].gen)
                                d->dirty = 0;
                }
                eng->n_dirty = 0;
                return 0;
        }
        for (i = 0; i < eng->n_dirty; i++) {
                const struct xs_dirty *d = &eng->dirty[i];
                struct xs_customer *c = d->slot < eng->n_slots ? eng->slots[d->slot] : NULL;
                if (!c || eng->slot_gen[d->slot] != d->gen)
                        continue; /* dropped since (a tombstone or a revocation) */
                if (change_one(eng, c, cb, opaque) != 0)
                        break;
                c->dirty = 0;
        }
        if (i)
                memmove(eng->dirty, eng->dirty + i, (eng->n_dirty - i) * sizeof(*eng->dirty));
        eng->n_dirty -= i;
        return eng->n_dirty ? -1 : 0;
}

size_t xs_engine_changes_pending(const struct xs_engine *eng)
{
        return eng->n_dirty + eng->n_gone;
}
