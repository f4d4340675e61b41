/*
 * The measuring part of `xsell evaluate` (evaluate.h): the command's own record of offers,
 * purchases and popularity, the hits, the rules check, and the figures of the report. The
 * definitions (hit@1, hit@3, coverage, conversion, the popularity baseline, the rules) are those
 * of cmd_evaluate.c's top comment.
 *
 * Bounds: as evaluate.h; popularity expiry is amortised (each purchase enters and leaves the
 * window once), the top list is rebuilt at most once per offer after a change, over the
 * distinct products.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/evaluate.h"
#include "engine/cand.h"
#include "engine/catalog.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "util/conf_int.h"
#include "util/xs_uthash.h"

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

uint32_t xs_evaluate_product(struct evaluate *ev, const char *id)
{
        uint32_t pid = xs_intern_put(ev->products, id, 0);
        if (!pid || EV_RESERVE(ev->pop_count, ev->cap_pop, (size_t)pid + 1) != 0) {
                ev->nomem = 1;
                return 0;
        }
        return pid;
}

struct ev_cust *xs_evaluate_customer(struct evaluate *ev, const char *id, uint32_t *out)
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

/* The popularity baseline for the moment of offer o, into eo->pop: the top products that pass
 * the engine's own guardrails for this customer at this moment (xs_cand_guard_ok on the
 * engine's customer state: anchor, catalog, cart, bought within guard.bought_horizon), so that
 * popularity, the engine and the count engine (the same code) are held to exactly one rule. */
static void pop_offer(struct evaluate *ev, struct xs_engine *eng, const struct xs_offer *o,
                      struct ev_offer *eo)
{
        pop_expire(ev, o->created_at);
        pop_top(ev);
        const struct xs_customer *ec = xs_customer_find(eng, o->customer_id);
        uint32_t anchor =
            o->anchor_product_id ? xs_intern_find(eng->products, o->anchor_product_id) : 0;
        int own_trigger = ev->cur && !strcmp(o->trigger_event_id, ev->cur->event_id);
        eo->pn = 0;
        for (size_t i = 0; ec && i < ev->n_top && eo->pn < eo->n; i++) {
                uint32_t id = ev->top[i];
                uint32_t eid = xs_intern_find(eng->products, xs_intern_str(ev->products, id));
                int skip = !eid || !xs_cand_guard_ok(eng, ec, anchor, eid, o->created_at);
                for (size_t k = 0; own_trigger && k < ev->n_cur_items && !skip; k++)
                        skip = ev->cur_items[k] == id;
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

/* Same (finest) category or an explicit target, within the price ratios; or an explicit
 * upgrade target the catalog marks as an add-on, whatever its price: checked from the engine's
 * catalog at the moment of the offer, with the ratios applied here (not policy.c's integer
 * bounds), half a minor unit of rounding allowed. */
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
                int target = is_target(up ? a->up : a->down, up ? a->n_up : a->n_down, id);
                /* categories are the finest known (REES46: category_id) */
                int same = acat && it->category && !strcmp(acat, it->category);
                int ok;
                if (up && target && it->addon)
                        ok = 1; /* an add-on listed as an upgrade: offered whatever its price */
                else if (up)
                        ok = (same || target) && it->price > a->price &&
                             price >= ap * p->upsell_min_ratio - 0.5 &&
                             price <= ap * p->upsell_max_ratio + 1e-6;
                else
                        ok = (same || target) && !it->addon && it->price < a->price &&
                             price >= ap * p->downsell_min_ratio - 0.5 &&
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

void xs_evaluate_on_offer(void *opaque, const struct xs_offer *o)
{
        struct ev_engine *ee = opaque;
        struct evaluate *ev = ee->ev;
        rules_check(ee, o);
        if (o->created_at < ev->split || o->control)
                return; /* the learning period is muted */
        uint32_t cid;
        struct ev_cust *c = xs_evaluate_customer(ev, o->customer_id, &cid);
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
        eo->anchor = o->anchor_product_id ? xs_evaluate_product(ev, o->anchor_product_id) : 0;
        for (size_t i = 0; i < o->n_items && eo->n < EV_HIT_K; i++)
                eo->items[eo->n++] = xs_evaluate_product(ev, o->items[i].product_id);
        if (ev->cur && !strcmp(o->trigger_event_id, ev->cur->event_id)) {
                eo->skip_seq = ev->seq;
                if (ev->cur->type == XS_EV_PURCHASE && ee->last_order_seq != ev->seq) {
                        ee->last_order_seq = ev->seq;
                        ee->orders_offered++;
                }
        }
        if (ee->which == EV_ENGINE)
                pop_offer(ev, ee->eng, o, eo);
        c->pend[c->n_pend++] = (uint32_t)ee->which << 31 | (uint32_t)ee->n_offers;
        c->mask[ee->which] |= 1ull << (o->type * XS_STAGE_COUNT + o->stage);
        ee->rows[o->type * XS_STAGE_COUNT + o->stage].offers++;
        if (o->created_at + ev->p->attribution_window > ev->t_max)
                ee->rows[o->type * XS_STAGE_COUNT + o->stage].censored++;
        ee->n_offers++;
}

void xs_evaluate_on_outcome(void *opaque, const struct xs_outcome *o)
{
        struct ev_engine *ee = opaque;
        if (o->offer_created_at >= ee->ev->split && !o->control)
                ee->rows[o->type * XS_STAGE_COUNT + o->stage].conv++;
}

/* ---- hits --------------------------------------------------------------------------- */

int xs_evaluate_in_items(const uint32_t *items, size_t n, uint32_t id)
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
                if (eo->n && xs_evaluate_in_items(ev->cur_items, ev->n_cur_items, eo->items[0]))
                        eo->flags |= F_HIT1;
                for (uint8_t k = 0; k < eo->n; k++)
                        if (xs_evaluate_in_items(ev->cur_items, ev->n_cur_items, eo->items[k]))
                                eo->flags |= F_HIT3;
                if (eo->pn && xs_evaluate_in_items(ev->cur_items, ev->n_cur_items, eo->pop[0]))
                        eo->flags |= F_POP_HIT1;
                for (uint8_t k = 0; k < eo->pn; k++)
                        if (xs_evaluate_in_items(ev->cur_items, ev->n_cur_items, eo->pop[k]))
                                eo->flags |= F_POP_HIT3;
                unsigned all = ee->which == EV_ENGINE ? 15u : 3u;
                if ((eo->flags & all) != all)
                        c->pend[keep++] = c->pend[i];
        }
        c->n_pend = keep;
}

/* What the command itself keeps of an accepted event: customers of the evaluation period,
 * popularity counts, hits. */
void xs_evaluate_observe(struct evaluate *ev, const struct xs_event *e)
{
        struct ev_cust *c = &ev->cust[ev->cur_cust];
        int eval = e->event_time >= ev->split;
        if (eval && !c->seen_eval) {
                c->seen_eval = 1;
                ev->customers_eval++;
        }
        if (e->type != XS_EV_PURCHASE)
                return;
        if (eval) {
                ev->orders_eval++;
                hits(ev, c, e->event_time);
        }
        for (size_t i = 0; i < ev->n_cur_items; i++)
                pop_add(ev, e->event_time, ev->cur_items[i]);
}

/* ---- the figures of the report ------------------------------------------------------ */

static int key_cmp(const void *x, const void *y)
{
        const uint64_t *a = x, *b = y;
        return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* Per (type, stage) and in total (index EV_ROWS): offers, hits, customers, and the moments
 * both engines offered at (matched by customer, trigger, rule and time). */
int xs_evaluate_build_report(struct evaluate *ev, struct ev_report_row *rep)
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
                        uint64_t m = ev->cust[id].mask[w];
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

/* ---- the protocol table: bootstrap over customers ------------------------------------ */

/* Per customer of one row: offers and hits of each ranking. */
struct boot_cust {
        uint32_t off[EV_R_N], h1[EV_R_N], h3[EV_R_N];
};

static uint64_t splitmix64(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static int dbl_cmp(const void *x, const void *y)
{
        double a = *(const double *)x, b = *(const double *)y;
        return a < b ? -1 : a > b;
}

/* The 2.5% and 97.5% percentiles of v[0..n) (sorted in place; NaNs, the undefined resamples,
 * sort to the end and count as missing: more than 2.5% of them and the interval is NaN). */
static void percentiles(double *v, int n, double *lo, double *hi)
{
        int ok = 0;
        for (int i = 0; i < n; i++)
                if (!isnan(v[i]))
                        v[ok++] = v[i];
        if (n == 0 || ok < n - n / 40) {
                *lo = *hi = NAN;
                return;
        }
        qsort(v, (size_t)ok, sizeof(*v), dbl_cmp);
        int a = (int)(0.025 * n), b = (int)(0.975 * n + 0.999999) - 1;
        if (b >= ok)
                b = ok - 1;
        *lo = v[a];
        *hi = v[b];
}

static double rate(uint64_t h, uint64_t n)
{
        return n ? (double)h / (double)n : NAN;
}

/* The customers with an offer in row (EV_ROWS: any), with their counts, into *out. */
static int boot_gather(struct evaluate *ev, int row, int32_t *slot, struct boot_cust **out,
                       size_t *n_out, struct ev_boot_row *br)
{
        size_t n = 0, cap = 0;
        struct boot_cust *bc = NULL;
        for (int w = 0; w < EV_N; w++) {
                const struct ev_engine *ee = &ev->e[w];
                for (size_t i = 0; i < ee->n_offers; i++) {
                        const struct ev_offer *eo = &ee->offers[i];
                        if (row != EV_ROWS && eo->type * XS_STAGE_COUNT + eo->stage != row)
                                continue;
                        if (slot[eo->cust] < 0) {
                                if (EV_RESERVE(bc, cap, n + 1) != 0) {
                                        free(bc);
                                        return -1;
                                }
                                slot[eo->cust] = (int32_t)n++;
                        }
                        struct boot_cust *b = &bc[slot[eo->cust]];
                        int r = w == EV_ENGINE ? EV_R_ENGINE : EV_R_COUNT;
                        for (int k = 0; k < (w == EV_ENGINE ? 2 : 1); k++, r = EV_R_POP) {
                                unsigned f1 = k ? F_POP_HIT1 : F_HIT1, f3 = k ? F_POP_HIT3 : F_HIT3;
                                b->off[r]++;
                                b->h1[r] += !!(eo->flags & f1);
                                b->h3[r] += !!(eo->flags & f3);
                        }
                }
        }
        for (size_t i = 0; i < n; i++)
                for (int r = 0; r < EV_R_N; r++) {
                        br->offers[r] += bc[i].off[r];
                        br->hit1[r] += bc[i].h1[r];
                        br->hit3[r] += bc[i].h3[r];
                        br->cust[r] += bc[i].off[r] != 0;
                }
        *out = bc;
        *n_out = n;
        return 0;
}

int xs_evaluate_bootstrap(struct evaluate *ev, int resamples, struct ev_boot_row *boot)
{
        size_t nc = xs_intern_count(ev->customers);
        int32_t *slot = malloc((nc + 1) * sizeof(*slot));
        double *v = malloc(((size_t)resamples + 1) * (2 * EV_R_N + 2) * sizeof(*v));
        if (!slot || !v) {
                free(slot);
                free(v);
                return -1;
        }
        memset(boot, 0, (EV_ROWS + 1) * sizeof(*boot));
        size_t B = (size_t)resamples;
        for (int row = 0; row <= EV_ROWS; row++) {
                struct ev_boot_row *br = &boot[row];
                for (size_t i = 0; i <= nc; i++)
                        slot[i] = -1;
                struct boot_cust *bc = NULL;
                size_t n = 0;
                if (boot_gather(ev, row, slot, &bc, &n, br) != 0) {
                        free(slot);
                        free(v);
                        return -1;
                }
                br->pop_ratio = rate(br->hit3[EV_R_ENGINE], br->offers[EV_R_ENGINE]) /
                                rate(br->hit3[EV_R_POP], br->offers[EV_R_POP]);
                br->count_ratio = rate(br->hit3[EV_R_ENGINE], br->offers[EV_R_ENGINE]) /
                                  rate(br->hit3[EV_R_COUNT], br->offers[EV_R_COUNT]);
                /* v: B values each of hit@1 and hit@3 per ranking, then the two ratios */
                uint64_t seed = 0x5eedb007ull + (uint64_t)row;
                for (size_t b = 0; b < B && n; b++) {
                        uint64_t off[EV_R_N] = {0}, h1[EV_R_N] = {0}, h3[EV_R_N] = {0};
                        for (size_t i = 0; i < n; i++) {
                                const struct boot_cust *x = &bc[splitmix64(&seed) % n];
                                for (int r = 0; r < EV_R_N; r++) {
                                        off[r] += x->off[r];
                                        h1[r] += x->h1[r];
                                        h3[r] += x->h3[r];
                                }
                        }
                        for (int r = 0; r < EV_R_N; r++) {
                                v[(2 * r) * B + b] = rate(h1[r], off[r]);
                                v[(2 * r + 1) * B + b] = rate(h3[r], off[r]);
                        }
                        double e3 = rate(h3[EV_R_ENGINE], off[EV_R_ENGINE]);
                        double p3 = rate(h3[EV_R_POP], off[EV_R_POP]);
                        double c3 = rate(h3[EV_R_COUNT], off[EV_R_COUNT]);
                        v[(2 * EV_R_N) * B + b] = p3 > 0 ? e3 / p3 : NAN;
                        v[(2 * EV_R_N + 1) * B + b] = c3 > 0 ? e3 / c3 : NAN;
                }
                int nb = n ? resamples : 0;
                for (int r = 0; r < EV_R_N; r++) {
                        percentiles(v + (2 * r) * B, nb, &br->lo1[r], &br->hi1[r]);
                        percentiles(v + (2 * r + 1) * B, nb, &br->lo3[r], &br->hi3[r]);
                }
                percentiles(v + (2 * EV_R_N) * B, nb, &br->pop_lo, &br->pop_hi);
                percentiles(v + (2 * EV_R_N + 1) * B, nb, &br->count_lo, &br->count_hi);
                free(bc);
        }
        free(slot);
        free(v);
        return 0;
}
