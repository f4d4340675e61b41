/*
 * `xsell evaluate`: offer quality on a recorded dataset (PRODUCT.md §5, §6).
 *
 * The events are replayed in time order through two engines: the configured one, and the same
 * configuration with cooc.score=count (the raw weighted pair count, no significance). Event
 * time is split into a learning period and an evaluation period. Offers made in the learning
 * period only build state (caps, journeys); every offer made in the evaluation period is
 * recorded and scored by this command itself, from the PURCHASE events that follow it:
 *
 *   hit@1   the customer bought the rank-1 product within attribution.window of created_at
 *   hit@3   ... any of the products at ranks 1..3
 *   coverage  evaluation-period customers (and orders) that received an offer
 *   conversion  the engine's own attribution (its outcomes: what xs_engine_stats counts)
 *
 * A third ranking, global popularity, is computed for the same offer moments as the engine:
 * the most purchased products over the last window.size (counts kept here), as many as the
 * engine offered, skipping the anchor, the trigger event's items, the customer's cart and
 * what the customer bought within guard.bought_horizon.
 *
 * Every UPSELL and DOWNSELL item of both engines is also checked against the catalog rules
 * (same category within the price ratios, or an explicit target on the right side of the
 * price); the share that complies must be 1.
 *
 * Bounds: one pass over the file (two with a fractional --split, to find the time span);
 * memory grows with the distinct customers and products and the evaluation-period offers,
 * which is what the command reports on. Nothing here reads the clock except progress lines.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "engine/engine_int.h"
#include "io/text.h"

#define EV_TOP      64 /* popularity candidates kept, before the per-offer guardrails */
#define EV_HIT_K    3  /* hit@3 */
#define EV_CART_MAX 64
#define EV_ROWS     (XS_OFFER_COUNT * XS_STAGE_COUNT)

enum { EV_ENGINE, EV_COUNT_BASELINE, EV_N };

/* hit flags of an offer */
#define F_HIT1     1u
#define F_HIT3     2u
#define F_POP_HIT1 4u
#define F_POP_HIT3 8u

struct ev_offer {
        uint32_t cust, anchor;
        uint8_t type, stage, n, pn, flags;
        uint32_t items[EV_HIT_K]; /* command product ids, ranks 1..3 */
        uint32_t pop[EV_HIT_K];   /* popularity baseline for the same moment */
        int64_t created_at;
        uint64_t skip_seq; /* the event that triggered it: its own items are not a hit */
        uint64_t key;      /* customer, trigger, rule, time: the same moment in both engines */
};

struct ev_hist {
        uint32_t product;
        int64_t t;
};

struct ev_cust {
        uint32_t mask[EV_N]; /* bit per (type, stage) offered in the evaluation period */
        uint8_t seen_eval;
        uint32_t *pend; /* open offers: engine << 31 | index */
        size_t n_pend, cap_pend;
        struct ev_hist *hist;
        size_t n_hist, cap_hist;
        uint32_t cart[EV_CART_MAX];
        size_t n_cart;
};

struct ev_row {
        uint64_t offers, hit1, hit3, pop_hit1, pop_hit3, conv, censored;
};

struct ev_rules {
        uint64_t items, compliant, no_anchor;
};

struct evaluate;

struct ev_engine {
        struct evaluate *ev;
        struct xs_engine *eng;
        int which;
        struct ev_offer *offers;
        size_t n_offers, cap_offers;
        struct ev_row rows[EV_ROWS];
        struct ev_rules rules[XS_OFFER_COUNT];
        uint64_t orders_offered;
        uint64_t last_order_seq; /* an order is counted once */
};

struct pop_entry {
        int64_t t;
        uint32_t product;
};

struct evaluate {
        const struct xs_params *p;
        int64_t split;
        struct xs_intern *customers, *products;
        struct ev_cust *cust; /* [customer id] */
        size_t cap_cust;
        struct ev_engine e[EV_N];
        /* the event being processed */
        uint64_t seq;
        const struct xs_event *cur;
        uint32_t cur_cust;
        uint32_t cur_items[1024];
        size_t n_cur_items;
        /* popularity: purchases of the last window.size, oldest first */
        struct pop_entry *pq;
        size_t pq_head, pq_n, pq_cap;
        int64_t *pop_count; /* [product id] */
        size_t cap_pop;
        uint32_t top[EV_TOP];
        size_t n_top;
        int top_dirty;
        int nomem;
        uint64_t customers_eval, orders_eval, events_learn, events_eval;
        int64_t t_min, t_max;
        int verbose_rules;
};

#define EV_RESERVE(arr, cap, need)                                                                 \
        ((need) <= (cap) ? 0 : ev_grow((void **)&(arr), &(cap), (need), sizeof(*(arr))))

static int ev_grow(void **arr, size_t *cap, size_t need, size_t size)
{
        size_t n = *cap ? *cap : 16;
        while (n < need)
                n *= 2;
        void *p = realloc(*arr, n * size);
        if (!p)
                return -1;
        memset((char *)p + *cap * size, 0, (n - *cap) * size);
        *arr = p;
        *cap = n;
        return 0;
}

static uint32_t ev_product(struct evaluate *ev, const char *id)
{
        uint32_t pid = xs_intern_put(ev->products, id, 0);
        if (!pid || EV_RESERVE(ev->pop_count, ev->cap_pop, (size_t)pid + 1) != 0) {
                ev->nomem = 1;
                return 0;
        }
        return pid;
}

static struct ev_cust *ev_customer(struct evaluate *ev, const char *id, uint32_t *out)
{
        uint32_t cid = xs_intern_put(ev->customers, id, 0);
        if (!cid || EV_RESERVE(ev->cust, ev->cap_cust, (size_t)cid + 1) != 0) {
                ev->nomem = 1;
                return NULL;
        }
        if (out)
                *out = cid;
        return &ev->cust[cid];
}

/* ---- popularity --------------------------------------------------------------------- */

static void pop_expire(struct evaluate *ev, int64_t now)
{
        if (ev->p->window_unbounded)
                return;
        while (ev->pq_n && ev->pq[ev->pq_head].t <= now - ev->p->window_size) {
                ev->pop_count[ev->pq[ev->pq_head].product]--;
                ev->pq_head = (ev->pq_head + 1) % ev->pq_cap;
                ev->pq_n--;
                ev->top_dirty = 1;
        }
}

static void pop_add(struct evaluate *ev, int64_t t, uint32_t product)
{
        if (ev->pq_n == ev->pq_cap) {
                size_t n = ev->pq_cap ? 2 * ev->pq_cap : 4096;
                struct pop_entry *q = malloc(n * sizeof(*q));
                if (!q) {
                        ev->nomem = 1;
                        return;
                }
                for (size_t i = 0; i < ev->pq_n; i++)
                        q[i] = ev->pq[(ev->pq_head + i) % ev->pq_cap];
                free(ev->pq);
                ev->pq = q;
                ev->pq_cap = n;
                ev->pq_head = 0;
        }
        ev->pq[(ev->pq_head + ev->pq_n) % ev->pq_cap] = (struct pop_entry){t, product};
        ev->pq_n++;
        ev->pop_count[product]++;
        ev->top_dirty = 1;
}

/* The EV_TOP most purchased products, most first, ties by first appearance. */
static void pop_top(struct evaluate *ev)
{
        if (!ev->top_dirty)
                return;
        ev->n_top = 0;
        size_t n = xs_intern_count(ev->products);
        for (uint32_t id = 1; id <= n; id++) {
                int64_t c = ev->pop_count[id];
                if (c <= 0)
                        continue;
                size_t pos = ev->n_top;
                while (pos > 0 && ev->pop_count[ev->top[pos - 1]] < c)
                        pos--;
                if (pos >= EV_TOP)
                        continue;
                size_t last = ev->n_top < EV_TOP ? ev->n_top : EV_TOP - 1;
                memmove(&ev->top[pos + 1], &ev->top[pos], (last - pos) * sizeof(ev->top[0]));
                ev->top[pos] = id;
                if (ev->n_top < EV_TOP)
                        ev->n_top++;
        }
        ev->top_dirty = 0;
}

static int bought_since(const struct ev_cust *c, uint32_t product, int64_t since)
{
        for (size_t i = 0; i < c->n_hist; i++)
                if (c->hist[i].product == product)
                        return c->hist[i].t >= since;
        return 0;
}

/* The popularity baseline for the moment of offer o (customer c), into eo->pop. */
static void pop_offer(struct evaluate *ev, const struct xs_offer *o, const struct ev_cust *c,
                      struct ev_offer *eo)
{
        pop_expire(ev, o->created_at);
        pop_top(ev);
        uint32_t anchor =
            o->anchor_product_id ? xs_intern_find(ev->products, o->anchor_product_id) : 0;
        int own_trigger = ev->cur && !strcmp(o->trigger_event_id, ev->cur->event_id);
        eo->pn = 0;
        for (size_t i = 0; i < ev->n_top && eo->pn < eo->n; i++) {
                uint32_t id = ev->top[i];
                int skip =
                    id == anchor || bought_since(c, id, o->created_at - ev->p->bought_horizon);
                for (size_t k = 0; own_trigger && k < ev->n_cur_items && !skip; k++)
                        skip = ev->cur_items[k] == id;
                for (size_t k = 0; k < c->n_cart && !skip; k++)
                        skip = c->cart[k] == id;
                if (!skip)
                        eo->pop[eo->pn++] = id;
        }
}

/* ---- the rules check ---------------------------------------------------------------- */

static int is_target(const uint32_t *targets, int n, uint32_t id)
{
        for (int i = 0; i < n; i++)
                if (targets[i] == id)
                        return 1;
        return 0;
}

/* Same category within the price ratios, or an explicit target on the right side of the
 * price: checked from the engine's catalog at the moment of the offer, with the ratios applied
 * here (not policy.c's integer bounds), half a minor unit of rounding allowed. */
static void rules_check(struct ev_engine *ee, const struct xs_offer *o)
{
        struct xs_engine *eng = ee->eng;
        const struct xs_params *p = ee->ev->p;
        if (o->type != XS_OFFER_UPSELL && o->type != XS_OFFER_DOWNSELL)
                return;
        struct ev_rules *r = &ee->rules[o->type];
        int up = o->type == XS_OFFER_UPSELL;
        uint32_t aid =
            o->anchor_product_id ? xs_intern_find(eng->products, o->anchor_product_id) : 0;
        const struct xs_cat_product *a = aid ? xs_catalog_get(eng->catalog, aid) : NULL;
        const char *acat = a && a->category ? xs_catalog_label(eng->catalog, a->category) : NULL;
        for (size_t i = 0; i < o->n_items; i++) {
                const struct xs_offer_item *it = &o->items[i];
                r->items++;
                if (!a || a->price <= 0) {
                        r->no_anchor++;
                        continue;
                }
                uint32_t id = xs_intern_find(eng->products, it->product_id);
                double ap = (double)a->price, price = (double)it->price;
                int ok;
                if (is_target(up ? a->up : a->down, up ? a->n_up : a->n_down, id))
                        ok = up ? it->price > a->price : it->price < a->price;
                else if (up)
                        ok = acat && it->category && !strcmp(acat, it->category) &&
                             it->price > a->price && price >= ap * p->upsell_min_ratio - 0.5 &&
                             price <= ap * p->upsell_max_ratio + 1e-6;
                else
                        ok = acat && it->category && !strcmp(acat, it->category) &&
                             it->price < a->price && price >= ap * p->downsell_min_ratio - 0.5 &&
                             price <= ap * p->downsell_max_ratio + 1e-6;
                ok = ok && id != aid;
                if (ok)
                        r->compliant++;
                else if (ee->ev->verbose_rules)
                        fprintf(stderr,
                                "xsell evaluate: rule broken: %s %s anchor %s [%s] %" PRId64
                                " -> %s [%s] %" PRId64 "\n",
                                ee->which ? "count" : "engine", xs_offer_type_name(o->type),
                                o->anchor_product_id, acat ? acat : "-", a->price, it->product_id,
                                it->category ? it->category : "-", it->price);
        }
}

/* ---- sink --------------------------------------------------------------------------- */

static uint64_t moment_key(const struct xs_offer *o)
{
        uint64_t h = xs_hash_str(o->customer_id, 0x5eed);
        h = xs_hash_str(o->trigger_event_id, h);
        h = xs_hash_str(o->rule, h);
        return xs_hash_bytes(&o->created_at, sizeof(o->created_at), h);
}

static void on_offer(void *opaque, const struct xs_offer *o)
{
        struct ev_engine *ee = opaque;
        struct evaluate *ev = ee->ev;
        rules_check(ee, o);
        if (o->created_at < ev->split || o->control)
                return; /* the learning period is muted */
        uint32_t cid;
        struct ev_cust *c = ev_customer(ev, o->customer_id, &cid);
        if (!c || EV_RESERVE(ee->offers, ee->cap_offers, ee->n_offers + 1) != 0 ||
            EV_RESERVE(c->pend, c->cap_pend, c->n_pend + 1) != 0) {
                ev->nomem = 1;
                return;
        }
        struct ev_offer *eo = &ee->offers[ee->n_offers];
        memset(eo, 0, sizeof(*eo));
        eo->cust = cid;
        eo->type = (uint8_t)o->type;
        eo->stage = (uint8_t)o->stage;
        eo->created_at = o->created_at;
        eo->key = moment_key(o);
        eo->anchor = o->anchor_product_id ? ev_product(ev, o->anchor_product_id) : 0;
        for (size_t i = 0; i < o->n_items && eo->n < EV_HIT_K; i++)
                eo->items[eo->n++] = ev_product(ev, o->items[i].product_id);
        if (ev->cur && !strcmp(o->trigger_event_id, ev->cur->event_id)) {
                eo->skip_seq = ev->seq;
                if (ev->cur->type == XS_EV_PURCHASE && ee->last_order_seq != ev->seq) {
                        ee->last_order_seq = ev->seq;
                        ee->orders_offered++;
                }
        }
        if (ee->which == EV_ENGINE)
                pop_offer(ev, o, c, eo);
        c->pend[c->n_pend++] = (uint32_t)ee->which << 31 | (uint32_t)ee->n_offers;
        c->mask[ee->which] |= 1u << (o->type * XS_STAGE_COUNT + o->stage);
        ee->rows[o->type * XS_STAGE_COUNT + o->stage].offers++;
        if (o->created_at + ev->p->attribution_window > ev->t_max)
                ee->rows[o->type * XS_STAGE_COUNT + o->stage].censored++;
        ee->n_offers++;
}

static void on_outcome(void *opaque, const struct xs_outcome *o)
{
        struct ev_engine *ee = opaque;
        if (o->offer_created_at >= ee->ev->split && !o->control)
                ee->rows[o->type * XS_STAGE_COUNT + o->stage].conv++;
}

/* ---- hits --------------------------------------------------------------------------- */

static int in_items(const uint32_t *items, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (items[i] == id)
                        return 1;
        return 0;
}

/* After a PURCHASE was processed by both engines: the open offers of its customer that it
 * hits, within attribution.window after the offer was made. */
static void hits(struct evaluate *ev, struct ev_cust *c, int64_t t)
{
        size_t keep = 0;
        for (size_t i = 0; i < c->n_pend; i++) {
                struct ev_engine *ee = &ev->e[c->pend[i] >> 31];
                struct ev_offer *eo = &ee->offers[c->pend[i] & 0x7fffffffu];
                if (t > eo->created_at + ev->p->attribution_window)
                        continue; /* closed */
                if (t < eo->created_at || eo->skip_seq == ev->seq) {
                        c->pend[keep++] = c->pend[i];
                        continue;
                }
                if (eo->n && in_items(ev->cur_items, ev->n_cur_items, eo->items[0]))
                        eo->flags |= F_HIT1;
                for (uint8_t k = 0; k < eo->n; k++)
                        if (in_items(ev->cur_items, ev->n_cur_items, eo->items[k]))
                                eo->flags |= F_HIT3;
                if (eo->pn && in_items(ev->cur_items, ev->n_cur_items, eo->pop[0]))
                        eo->flags |= F_POP_HIT1;
                for (uint8_t k = 0; k < eo->pn; k++)
                        if (in_items(ev->cur_items, ev->n_cur_items, eo->pop[k]))
                                eo->flags |= F_POP_HIT3;
                unsigned all = ee->which == EV_ENGINE ? 15u : 3u;
                if ((eo->flags & all) != all)
                        c->pend[keep++] = c->pend[i];
        }
        c->n_pend = keep;
}

/* What the command itself keeps of an accepted event: customers of the evaluation period,
 * carts and purchase histories (the popularity guardrails), popularity counts, hits. */
static void observe(struct evaluate *ev, const struct xs_event *e)
{
        struct ev_cust *c = &ev->cust[ev->cur_cust];
        int eval = e->event_time >= ev->split;
        if (eval && !c->seen_eval) {
                c->seen_eval = 1;
                ev->customers_eval++;
        }
        switch (e->type) {
        case XS_EV_ADD_TO_CART:
                for (size_t i = 0; i < ev->n_cur_items && c->n_cart < EV_CART_MAX; i++)
                        if (!in_items(c->cart, c->n_cart, ev->cur_items[i]))
                                c->cart[c->n_cart++] = ev->cur_items[i];
                break;
        case XS_EV_REMOVE_FROM_CART: {
                size_t keep = 0;
                for (size_t i = 0; i < c->n_cart; i++)
                        if (!in_items(ev->cur_items, ev->n_cur_items, c->cart[i]))
                                c->cart[keep++] = c->cart[i];
                c->n_cart = keep;
                break;
        }
        case XS_EV_PURCHASE:
                if (eval) {
                        ev->orders_eval++;
                        hits(ev, c, e->event_time);
                }
                c->n_cart = 0;
                for (size_t i = 0; i < ev->n_cur_items; i++) {
                        uint32_t id = ev->cur_items[i];
                        pop_add(ev, e->event_time, id);
                        size_t k = 0;
                        while (k < c->n_hist && c->hist[k].product != id)
                                k++;
                        if (k == c->n_hist) {
                                if (EV_RESERVE(c->hist, c->cap_hist, c->n_hist + 1) != 0) {
                                        ev->nomem = 1;
                                        return;
                                }
                                c->hist[c->n_hist++].product = id;
                        }
                        if (e->event_time > c->hist[k].t)
                                c->hist[k].t = e->event_time;
                }
                break;
        default:
                break;
        }
}

/* ---- report ------------------------------------------------------------------------- */

static double ratio(uint64_t a, uint64_t b)
{
        return b ? (double)a / (double)b : 0.0;
}

struct ev_report_row {
        struct ev_row r[EV_N];
        uint64_t cust[EV_N];
        uint64_t matched, m_hit1[EV_N], m_hit3[EV_N];
};

static int key_cmp(const void *x, const void *y)
{
        const uint64_t *a = x, *b = y;
        return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* Per (type, stage) and in total (index EV_ROWS): offers, hits, customers, and the moments
 * both engines offered at (matched by customer, trigger, rule and time). */
static int build_report(struct evaluate *ev, struct ev_report_row *rep)
{
        memset(rep, 0, (EV_ROWS + 1) * sizeof(*rep));
        for (int w = 0; w < EV_N; w++) {
                struct ev_engine *ee = &ev->e[w];
                for (size_t i = 0; i < ee->n_offers; i++) {
                        const struct ev_offer *eo = &ee->offers[i];
                        int row = eo->type * XS_STAGE_COUNT + eo->stage;
                        for (int t = 0; t < 2; t++) {
                                struct ev_row *r = &rep[t ? EV_ROWS : row].r[w];
                                r->hit1 += !!(eo->flags & F_HIT1);
                                r->hit3 += !!(eo->flags & F_HIT3);
                                r->pop_hit1 += !!(eo->flags & F_POP_HIT1);
                                r->pop_hit3 += !!(eo->flags & F_POP_HIT3);
                        }
                }
                for (int row = 0; row < EV_ROWS; row++) {
                        rep[row].r[w].offers = ee->rows[row].offers;
                        rep[row].r[w].conv = ee->rows[row].conv;
                        rep[row].r[w].censored = ee->rows[row].censored;
                        rep[EV_ROWS].r[w].offers += ee->rows[row].offers;
                        rep[EV_ROWS].r[w].conv += ee->rows[row].conv;
                        rep[EV_ROWS].r[w].censored += ee->rows[row].censored;
                }
        }
        size_t nc = xs_intern_count(ev->customers);
        for (uint32_t id = 1; id <= nc; id++)
                for (int w = 0; w < EV_N; w++) {
                        uint32_t m = ev->cust[id].mask[w];
                        for (int row = 0; row < EV_ROWS; row++)
                                rep[row].cust[w] += (m >> row) & 1u;
                        rep[EV_ROWS].cust[w] += m != 0;
                }
        /* same moments: sort the count baseline's keys, look the engine's up */
        struct ev_engine *eb = &ev->e[EV_COUNT_BASELINE], *ea = &ev->e[EV_ENGINE];
        uint64_t(*keys)[2] = malloc((eb->n_offers + 1) * sizeof(*keys));
        if (!keys)
                return -1;
        for (size_t i = 0; i < eb->n_offers; i++) {
                keys[i][0] = eb->offers[i].key;
                keys[i][1] = i;
        }
        qsort(keys, eb->n_offers, sizeof(*keys), key_cmp);
        for (size_t i = 0; i < ea->n_offers; i++) {
                const struct ev_offer *a = &ea->offers[i];
                uint64_t k[2] = {a->key, 0};
                uint64_t(*hit)[2] = bsearch(k, keys, eb->n_offers, sizeof(*keys), key_cmp);
                if (!hit)
                        continue;
                const struct ev_offer *b = &eb->offers[(*hit)[1]];
                if (b->type != a->type)
                        continue;
                int row = a->type * XS_STAGE_COUNT + a->stage;
                for (int t = 0; t < 2; t++) {
                        struct ev_report_row *rr = &rep[t ? EV_ROWS : row];
                        rr->matched++;
                        rr->m_hit1[EV_ENGINE] += !!(a->flags & F_HIT1);
                        rr->m_hit3[EV_ENGINE] += !!(a->flags & F_HIT3);
                        rr->m_hit1[EV_COUNT_BASELINE] += !!(b->flags & F_HIT1);
                        rr->m_hit3[EV_COUNT_BASELINE] += !!(b->flags & F_HIT3);
                }
        }
        free(keys);
        return 0;
}

static const char *const param_keys[] = {"cooc.score",
                                         "cooc.rank",
                                         "cooc.min_support",
                                         "cooc.min_score",
                                         "window.size",
                                         "window.pane",
                                         "attribution.window",
                                         "weight.view",
                                         "weight.cart",
                                         "weight.purchase",
                                         "offer.max_items",
                                         "upsell.min_ratio",
                                         "upsell.max_ratio",
                                         "downsell.min_ratio",
                                         "downsell.max_ratio",
                                         "caps.per_day",
                                         "caps.per_type_per_day",
                                         "guard.bought_horizon",
                                         "control.share",
                                         NULL};

static void row_name(int row, char *buf, size_t size)
{
        if (row == EV_ROWS)
                snprintf(buf, size, "total");
        else
                snprintf(buf, size, "%s / %s",
                         xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)),
                         xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)));
}

static uint64_t rules_total(const struct evaluate *ev, int field)
{
        uint64_t n = 0;
        for (int w = 0; w < EV_N; w++)
                for (int t = 0; t < XS_OFFER_COUNT; t++)
                        n += field == 0 ? ev->e[w].rules[t].items : ev->e[w].rules[t].compliant;
        return n;
}

static void report_text(FILE *f, struct evaluate *ev, const struct xs_conf *conf,
                        const char *source, const struct ev_report_row *rep)
{
        char a[32], b[32], c[32];
        xs_io_format_utc(ev->t_min, a, sizeof(a));
        xs_io_format_utc(ev->split, b, sizeof(b));
        xs_io_format_utc(ev->t_max, c, sizeof(c));
        fprintf(f, "### %s\n\n", source);
        fprintf(f,
                "Learning %s .. %s (%" PRIu64 " events), evaluation %s .. %s (%" PRIu64
                " events, %" PRIu64 " customers, %" PRIu64 " orders).\n\n",
                a, b, ev->events_learn, b, c, ev->events_eval, ev->customers_eval, ev->orders_eval);
        fprintf(f, "Parameters:");
        for (const char *const *k = param_keys; *k; k++) {
                char v[64];
                if (xs_conf_get(conf, *k, v, sizeof(v)) == XS_OK)
                        fprintf(f, " `%s=%s`", *k, v);
        }
        fprintf(f, "\n\n");
        fprintf(f, "| type / stage | offers | hit@1 | hit@3 | customers | conv. | "
                   "pop. hit@1 | pop. hit@3 | count: offers | hit@1 | hit@3 | customers | conv. "
                   "|\n");
        fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->r[0].offers && !rr->r[1].offers && row != EV_ROWS)
                        continue;
                char name[64];
                row_name(row, name, sizeof(name));
                const struct ev_row *x = &rr->r[EV_ENGINE], *y = &rr->r[EV_COUNT_BASELINE];
                fprintf(f,
                        "| %s%s%s | %" PRIu64
                        " | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %" PRIu64
                        " | %.3f | %.3f | %.3f | %.3f |\n",
                        row == EV_ROWS ? "**" : "", name, row == EV_ROWS ? "**" : "", x->offers,
                        ratio(x->hit1, x->offers), ratio(x->hit3, x->offers),
                        ratio(rr->cust[EV_ENGINE], ev->customers_eval), ratio(x->conv, x->offers),
                        ratio(x->pop_hit1, x->offers), ratio(x->pop_hit3, x->offers), y->offers,
                        ratio(y->hit1, y->offers), ratio(y->hit3, y->offers),
                        ratio(rr->cust[EV_COUNT_BASELINE], ev->customers_eval),
                        ratio(y->conv, y->offers));
        }
        fprintf(f,
                "\nSame moments (offers both engines made, by customer, trigger, rule, time):\n\n");
        fprintf(f, "| type / stage | moments | engine hit@1 | engine hit@3 | count hit@1 | "
                   "count hit@3 |\n|---|---:|---:|---:|---:|---:|\n");
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->matched && row != EV_ROWS)
                        continue;
                char name[64];
                row_name(row, name, sizeof(name));
                fprintf(f, "| %s | %" PRIu64 " | %.3f | %.3f | %.3f | %.3f |\n", name, rr->matched,
                        ratio(rr->m_hit1[0], rr->matched), ratio(rr->m_hit3[0], rr->matched),
                        ratio(rr->m_hit1[1], rr->matched), ratio(rr->m_hit3[1], rr->matched));
        }
        const struct ev_row *tot = &rep[EV_ROWS].r[EV_ENGINE];
        fprintf(f,
                "\nOrders with an offer: engine %.3f, count %.3f of %" PRIu64
                ". Offers whose attribution window runs past the end of the data: %.3f.\n",
                ratio(ev->e[0].orders_offered, ev->orders_eval),
                ratio(ev->e[1].orders_offered, ev->orders_eval), ev->orders_eval,
                ratio(tot->censored, tot->offers));
        uint64_t items = rules_total(ev, 0), comp = rules_total(ev, 1);
        fprintf(f,
                "Upsell/downsell rule compliance (both engines, both periods): %" PRIu64
                " of %" PRIu64 " items (%.1f%%).\n\n",
                comp, items, items ? 100.0 * ratio(comp, items) : 100.0);
}

static void json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

static void json_figures(FILE *f, const struct ev_row *x, uint64_t cust, uint64_t customers,
                         int with_pop)
{
        fprintf(f,
                "{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64 ",\"hit3\":%" PRIu64
                ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f,\"customers\":%" PRIu64
                ",\"coverage\":%.6f,\"conversions\":%" PRIu64 ",\"conversion_rate\":%.6f"
                ",\"censored\":%" PRIu64 "}",
                x->offers, x->hit1, x->hit3, ratio(x->hit1, x->offers), ratio(x->hit3, x->offers),
                cust, ratio(cust, customers), x->conv, ratio(x->conv, x->offers), x->censored);
        if (with_pop)
                fprintf(f,
                        ",\"popularity\":{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64
                        ",\"hit3\":%" PRIu64 ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f}",
                        x->offers, x->pop_hit1, x->pop_hit3, ratio(x->pop_hit1, x->offers),
                        ratio(x->pop_hit3, x->offers));
}

static void report_json(FILE *f, struct evaluate *ev, const struct xs_conf *conf,
                        const char *source, const struct ev_report_row *rep)
{
        char a[32], b[32], c[32];
        xs_io_format_utc(ev->t_min, a, sizeof(a));
        xs_io_format_utc(ev->split, b, sizeof(b));
        xs_io_format_utc(ev->t_max, c, sizeof(c));
        fprintf(f, "{\"source\":");
        json_string(f, source);
        fprintf(f,
                ",\"start\":\"%s\",\"split\":\"%s\",\"end\":\"%s\",\"split_ms\":%" PRId64
                ",\"events_learning\":%" PRIu64 ",\"events_evaluation\":%" PRIu64
                ",\"customers_evaluation\":%" PRIu64 ",\"orders_evaluation\":%" PRIu64
                ",\"orders_offered\":{\"engine\":%" PRIu64 ",\"count\":%" PRIu64
                "},\"parameters\":{",
                a, b, c, ev->split, ev->events_learn, ev->events_eval, ev->customers_eval,
                ev->orders_eval, ev->e[0].orders_offered, ev->e[1].orders_offered);
        int first = 1;
        for (const char *const *k = param_keys; *k; k++) {
                char v[64];
                if (xs_conf_get(conf, *k, v, sizeof(v)) != XS_OK)
                        continue;
                fprintf(f, "%s\"%s\":", first ? "" : ",", *k);
                json_string(f, v);
                first = 0;
        }
        fprintf(f, "},\"rows\":[");
        first = 1;
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->r[0].offers && !rr->r[1].offers && row != EV_ROWS)
                        continue;
                fprintf(f, "%s{", first ? "" : ",");
                first = 0;
                if (row == EV_ROWS)
                        fprintf(f, "\"type\":\"TOTAL\",\"stage\":\"TOTAL\"");
                else
                        fprintf(f, "\"type\":\"%s\",\"stage\":\"%s\"",
                                xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)),
                                xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)));
                fprintf(f, ",\"engine\":");
                json_figures(f, &rr->r[EV_ENGINE], rr->cust[EV_ENGINE], ev->customers_eval, 0);
                fprintf(f,
                        ",\"popularity\":{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64
                        ",\"hit3\":%" PRIu64 ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f}",
                        rr->r[0].offers, rr->r[0].pop_hit1, rr->r[0].pop_hit3,
                        ratio(rr->r[0].pop_hit1, rr->r[0].offers),
                        ratio(rr->r[0].pop_hit3, rr->r[0].offers));
                fprintf(f, ",\"count\":");
                json_figures(f, &rr->r[EV_COUNT_BASELINE], rr->cust[EV_COUNT_BASELINE],
                             ev->customers_eval, 0);
                fprintf(f,
                        ",\"same_moments\":{\"n\":%" PRIu64 ",\"engine_hit1\":%" PRIu64
                        ",\"engine_hit3\":%" PRIu64 ",\"count_hit1\":%" PRIu64
                        ",\"count_hit3\":%" PRIu64 "}}",
                        rr->matched, rr->m_hit1[0], rr->m_hit3[0], rr->m_hit1[1], rr->m_hit3[1]);
        }
        fprintf(f, "],\"rules\":{");
        for (int w = 0; w < EV_N; w++) {
                fprintf(f, "%s\"%s\":{", w ? "," : "", w ? "count" : "engine");
                for (int t = XS_OFFER_UPSELL; t < XS_OFFER_COUNT; t++) {
                        const struct ev_rules *r = &ev->e[w].rules[t];
                        fprintf(f,
                                "%s\"%s\":{\"items\":%" PRIu64 ",\"compliant\":%" PRIu64
                                ",\"no_anchor\":%" PRIu64 ",\"share\":%.6f}",
                                t == XS_OFFER_UPSELL ? "" : ",",
                                xs_offer_type_name((enum xs_offer_type)t), r->items, r->compliant,
                                r->no_anchor, r->items ? ratio(r->compliant, r->items) : 1.0);
                }
                fprintf(f, "}");
        }
        uint64_t items = rules_total(ev, 0), comp = rules_total(ev, 1);
        fprintf(f, ",\"items\":%" PRIu64 ",\"compliant\":%" PRIu64 ",\"share\":%.6f}}\n", items,
                comp, items ? ratio(comp, items) : 1.0);
}

/* Every evaluated offer as a JSON line: which ranking, whom, what, and what hit. */
static int write_offers(struct evaluate *ev, const char *path)
{
        FILE *f = !strcmp(path, "-") ? stdout : fopen(path, "w");
        if (!f) {
                fprintf(stderr, "xsell evaluate: %s: cannot open\n", path);
                return -1;
        }
        for (int w = 0; w < EV_N; w++)
                for (size_t i = 0; i < ev->e[w].n_offers; i++) {
                        const struct ev_offer *eo = &ev->e[w].offers[i];
                        fprintf(f, "{\"ranking\":\"%s\",\"customer_id\":", w ? "count" : "engine");
                        json_string(f, xs_intern_str(ev->customers, eo->cust));
                        fprintf(f,
                                ",\"type\":\"%s\",\"stage\":\"%s\",\"created_at\":%" PRId64
                                ",\"items\":[",
                                xs_offer_type_name((enum xs_offer_type)eo->type),
                                xs_stage_name((enum xs_stage)eo->stage), eo->created_at);
                        for (uint8_t k = 0; k < eo->n; k++) {
                                fprintf(f, k ? "," : "");
                                json_string(f, xs_intern_str(ev->products, eo->items[k]));
                        }
                        fprintf(f, "],\"anchor\":");
                        if (eo->anchor)
                                json_string(f, xs_intern_str(ev->products, eo->anchor));
                        else
                                fprintf(f, "null");
                        fprintf(f, ",\"hit1\":%s,\"hit3\":%s",
                                eo->flags & F_HIT1 ? "true" : "false",
                                eo->flags & F_HIT3 ? "true" : "false");
                        if (w == EV_ENGINE) {
                                fprintf(f, ",\"popularity\":[");
                                for (uint8_t k = 0; k < eo->pn; k++) {
                                        fprintf(f, k ? "," : "");
                                        json_string(f, xs_intern_str(ev->products, eo->pop[k]));
                                }
                                fprintf(f, "],\"popularity_hit1\":%s,\"popularity_hit3\":%s",
                                        eo->flags & F_POP_HIT1 ? "true" : "false",
                                        eo->flags & F_POP_HIT3 ? "true" : "false");
                        }
                        fprintf(f, "}\n");
                }
        int bad = ferror(f);
        if (f != stdout)
                bad |= fclose(f) != 0;
        if (bad)
                fprintf(stderr, "xsell evaluate: %s: write failed\n", path);
        return bad ? -1 : 0;
}

/* ---- the command -------------------------------------------------------------------- */

static void usage(FILE *f)
{
        fprintf(f,
                "usage: xsell evaluate [options] EVENTS\n"
                "Offer quality: replays EVENTS in time order, learns until --split, then scores\n"
                "every offer against what the customer bought within attribution.window, next\n"
                "to two baselines on the same stream: global popularity over window.size and the\n"
                "same policy ranked by raw co-occurrence count (cooc.score=count).\n\n"
                "  -f, --events-format FMT  events format: auto, avro, jsonl, rees46, retail,\n"
                "                        groceries (default auto)\n"
                "  -c, --catalog FILE    catalog (jsonl or avro), loaded before the events\n"
                "      --split S         where evaluation starts: a fraction of the time span\n"
                "                        (0 < S < 1, default 0.7) or a UTC time\n"
                "                        (\"2011-08-01\", \"2011-08-01 12:00:00\")\n"
                "      --format FMT      report: text (default; markdown tables) or json\n"
                "  -o, --offers FILE     every evaluated offer as a JSON line (ranking, items,\n"
                "                        popularity items, hits)\n"
                "      --rules-verbose   print every upsell/downsell item that breaks the rules\n"
                "  -q, --quiet           no progress on stderr\n"
                "  -F, --config FILE     properties file (key=value)\n"
                "  -X key=value          configuration (both engines); the command's default\n"
                "                        is control.share=0, so that every customer is scored\n"
                "  -h, --help            this help\n");
}

static int parse_split(const char *s, double *frac, int64_t *t)
{
        char *end;
        double d = strtod(s, &end);
        if (*end == '\0' && end != s && d > 0.0 && d < 1.0) {
                *frac = d;
                return 0;
        }
        char buf[32];
        size_t n = strlen(s);
        if (n >= sizeof(buf))
                return -1;
        memcpy(buf, s, n + 1);
        if (n && buf[n - 1] == 'Z')
                buf[--n] = '\0';
        if (n == 10) {
                memcpy(buf + 10, " 00:00:00", 10);
                n = 19;
        }
        if (n > 10 && buf[10] == 'T')
                buf[10] = ' ';
        if (xs_io_parse_utc(buf, n, t) != 0)
                return -1;
        *frac = -1;
        return 0;
}

/* First pass for a fractional split: the span of event times in the file. */
static int time_span(const char *path, enum xs_format fmt, int64_t *lo, int64_t *hi)
{
        char err[512];
        struct xs_reader *rd = xs_reader_open(path, fmt, XS_KIND_EVENT, err, sizeof(err));
        if (!rd) {
                fprintf(stderr, "xsell evaluate: %s\n", err);
                return -1;
        }
        *lo = INT64_MAX;
        *hi = INT64_MIN;
        for (;;) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t e = xs_reader_next(rd, &rec, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        fprintf(stderr, "xsell evaluate: %s\n", err);
                        xs_reader_close(rd);
                        return -1;
                }
                if (e != XS_OK)
                        continue;
                if (eof)
                        break;
                if (rec.ev.event_time < *lo)
                        *lo = rec.ev.event_time;
                if (rec.ev.event_time > *hi)
                        *hi = rec.ev.event_time;
        }
        xs_reader_close(rd);
        if (*lo > *hi) {
                fprintf(stderr, "xsell evaluate: %s: no events\n", path);
                return -1;
        }
        return 0;
}

int xs_cmd_evaluate(int argc, char **argv)
{
        static const struct option opts[] = {{"events-format", required_argument, 0, 'f'},
                                             {"catalog", required_argument, 0, 'c'},
                                             {"split", required_argument, 0, 1},
                                             {"format", required_argument, 0, 2},
                                             {"rules-verbose", no_argument, 0, 3},
                                             {"offers", required_argument, 0, 'o'},
                                             {"catalog-format", required_argument, 0, 4},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"config", required_argument, 0, 'F'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
        static const char *const extra[] = {"control.share=0", NULL};
        struct xs_cli_conf cc = {0};
        const char *catalog = NULL, *offers_path = NULL;
        int fmt = XS_FMT_AUTO, cat_fmt = XS_FMT_AUTO, quiet = 0, json = 0, verbose_rules = 0;
        double frac = 0.7;
        int64_t split_t = 0;
        int opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "f:c:o:qF:X:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'f':
                        if (xs_cli_format_opt("evaluate", optarg, &fmt) != 0)
                                return 2;
                        break;
                case 4:
                        if (xs_cli_format_opt("evaluate", optarg, &cat_fmt) != 0)
                                return 2;
                        break;
                case 'c':
                        catalog = optarg;
                        break;
                case 'o':
                        offers_path = optarg;
                        break;
                case 1:
                        if (parse_split(optarg, &frac, &split_t) != 0) {
                                fprintf(stderr,
                                        "xsell evaluate: --split: a fraction in (0, 1) or a UTC "
                                        "time such as 2011-08-01 or \"2011-08-01 12:00:00\"\n");
                                return 2;
                        }
                        break;
                case 2:
                        if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                                fprintf(stderr, "xsell evaluate: output format: text or json\n");
                                return 2;
                        }
                        json = !strcmp(optarg, "json");
                        break;
                case 3:
                        verbose_rules = 1;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'F':
                case 'X':
                        if (xs_cli_conf_opt(&cc, opt, optarg) != 0)
                                return 2;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                return 2;
        }
        const char *path = argv[optind];
        char err[512];
        struct xs_conf *conf = xs_cli_conf_build(&cc, extra);
        if (!conf)
                return 2;
        struct xs_conf *conf_count = xs_conf_dup(conf);
        if (!conf_count ||
            xs_conf_set(conf_count, "cooc.score", "count", err, sizeof(err)) != XS_OK) {
                fprintf(stderr, "xsell evaluate: %s\n", conf_count ? err : "out of memory");
                xs_conf_destroy(conf);
                xs_conf_destroy(conf_count);
                return 2;
        }
        int rc = 1;
        struct ev_report_row *rep = NULL;
        struct xs_reader *rd = NULL;
        struct evaluate *ev = calloc(1, sizeof(*ev));
        if (!ev) {
                fprintf(stderr, "xsell evaluate: out of memory\n");
                goto out;
        }
        ev->p = xs_conf_params(conf);
        ev->verbose_rules = verbose_rules;
        ev->customers = xs_intern_new();
        ev->products = xs_intern_new();
        if (!ev->customers || !ev->products) {
                fprintf(stderr, "xsell evaluate: out of memory\n");
                goto out;
        }
        if (time_span(path, (enum xs_format)fmt, &ev->t_min, &ev->t_max) != 0)
                goto out;
        ev->split =
            frac > 0 ? ev->t_min + (int64_t)((double)(ev->t_max - ev->t_min) * frac) : split_t;
        for (int w = 0; w < EV_N; w++) {
                struct ev_engine *ee = &ev->e[w];
                ee->ev = ev;
                ee->which = w;
                struct xs_sink sink = {on_offer, NULL, on_outcome, ee};
                ee->eng = xs_engine_new(w ? conf_count : conf, &sink, err, sizeof(err));
                if (!ee->eng) {
                        fprintf(stderr, "xsell evaluate: %s\n", err);
                        goto out;
                }
                if (catalog && xs_cli_load_catalog(ee->eng, catalog, (enum xs_format)cat_fmt, NULL,
                                                   NULL, quiet || w) != 0)
                        goto out;
        }
        rd = xs_reader_open(path, (enum xs_format)fmt, XS_KIND_EVENT, err, sizeof(err));
        if (!rd) {
                fprintf(stderr, "xsell evaluate: %s\n", err);
                goto out;
        }
        double start = xs_cli_now(), last_progress = start;
        uint64_t records = 0;
        int64_t max_t = INT64_MIN;
        for (;;) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t e = xs_reader_next(rd, &rec, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        fprintf(stderr, "xsell evaluate: %s\n", err);
                        goto out;
                }
                if (e != XS_OK)
                        continue;
                if (eof)
                        break;
                records++;
                const struct xs_event *x = &rec.ev;
                ev->seq++;
                ev->cur = x;
                ev->n_cur_items = 0;
                if (!ev_customer(ev, x->customer_id, &ev->cur_cust))
                        goto nomem;
                for (size_t i = 0; i < x->n_items && ev->n_cur_items < 1024; i++) {
                        uint32_t id = ev_product(ev, x->items[i].product_id);
                        if (id && !in_items(ev->cur_items, ev->n_cur_items, id))
                                ev->cur_items[ev->n_cur_items++] = id;
                }
                xs_err_t ea = xs_engine_process(ev->e[0].eng, x, err, sizeof(err));
                xs_err_t eb = xs_engine_process(ev->e[1].eng, x, err, sizeof(err));
                if (ea == XS_ERR_NOMEM || eb == XS_ERR_NOMEM || ev->nomem)
                        goto nomem;
                if (ea == XS_OK) {
                        if (x->event_time > max_t)
                                max_t = x->event_time;
                        if (x->event_time >= ev->split)
                                ev->events_eval++;
                        else
                                ev->events_learn++;
                        observe(ev, x);
                }
                ev->cur = NULL;
                if (!quiet && (records & 4095) == 0) {
                        double now = xs_cli_now();
                        if (now - last_progress >= 1.0) {
                                fprintf(stderr,
                                        "xsell evaluate: %" PRIu64 " records  %zu offers  %.0f "
                                        "records/s\n",
                                        records, ev->e[0].n_offers,
                                        (double)records / (now - start));
                                last_progress = now;
                        }
                }
        }
        /* end of input: what is due by the last event time fires, nothing later (an offer past
         * the end could not be scored) */
        if (max_t != INT64_MIN)
                for (int w = 0; w < EV_N; w++)
                        xs_engine_advance(ev->e[w].eng, max_t + ev->p->allowed_lateness);
        if (ev->nomem)
                goto nomem;
        rep = calloc(EV_ROWS + 1, sizeof(*rep));
        if (!rep || build_report(ev, rep) != 0)
                goto nomem;
        if (json)
                report_json(stdout, ev, conf, path, rep);
        else
                report_text(stdout, ev, conf, path, rep);
        rc = fflush(stdout) == 0 ? 0 : 1;
        if (offers_path && write_offers(ev, offers_path) != 0)
                rc = 1;
        goto out;
nomem:
        fprintf(stderr, "xsell evaluate: out of memory\n");
out:
        xs_reader_close(rd);
        if (ev) {
                for (int w = 0; w < EV_N; w++) {
                        xs_engine_destroy(ev->e[w].eng);
                        free(ev->e[w].offers);
                }
                for (size_t i = 0; i < ev->cap_cust; i++) {
                        free(ev->cust[i].pend);
                        free(ev->cust[i].hist);
                }
                free(ev->cust);
                free(ev->pq);
                free(ev->pop_count);
                xs_intern_destroy(ev->customers);
                xs_intern_destroy(ev->products);
                free(ev);
        }
        free(rep);
        xs_conf_destroy(conf_count);
        xs_conf_destroy(conf);
        return rc;
}
