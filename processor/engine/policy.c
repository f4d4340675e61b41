/*
 * Offer policy (PRODUCT.md §1-4, §6): which offer, if any, a moment in the journey deserves,
 * which products it carries, the guardrails that keep it from being pushy, its incentives,
 * and the attribution of later purchases to it.
 *
 *   moment                       offer                                    rule
 *   ADD_TO_CART                  UPSELL of the item just added            cart_upsell
 *   CHECKOUT_START               CROSS_SELL gap filler (free shipping)    free_shipping_gap_filler
 *                                or CROSS_SELL with a bundle discount     checkout_cross_sell
 *   PURCHASE                     UPSELL on site                           post_purchase_upsell
 *                                CROSS_SELL by e-mail + next coupon post_purchase_email_cross_sell
 *   view within the onboarding   CROSS_SELL of short-lived complements    onboarding_complement
 *   complement horizon           (once per purchase)
 *   USAGE_MILESTONE / REFERRAL   UPSELL of a higher tier                  value_realized_upsell
 *   cart timer                   one DOWNSELL of the priciest cart item   cart_abandoned_downsell
 *   lead timer (weekly)          one DOWNSELL by e-mail                   lead_downsell
 *   view while BROWSING          CROSS_SELL, only if journey.browsing_offers  browsing_cross_sell
 * BROWSING (by default), UNDECIDED and the onboarding period (for upsells) get nothing.
 *
 * Candidates pass every guardrail: known, in stock, priced, not in the cart, not bought within
 * guard.bought_horizon, not the anchor, same currency; cross-sell from another category with a
 * positive significant score and minimum support; upsell/downsell from the same category within
 * the price ratios (explicit targets first), ranked by the alternative (co-view) score.
 * Then frequency caps, the dismissal cooldown and the e-mail channel are checked; control-group
 * customers get nothing but are counted exactly as if they had.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/journey.h"
#include "engine/policy.h"
#include "engine/score.h"
#include "engine/window.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/xs_uthash.h"

/* The best complement candidates of one anchor, before the customer's guardrails. Walking all
 * of a popular product's neighbours on every offer would cost thousands of lookups; the list
 * is recomputed when the anchor's counts have moved: on any change while its row total is
 * below 64; once larger, after it has moved 10% (growth or expiry) and at most once per pane.
 * So a newly significant pair of a popular product can wait up to a pane to enter the list;
 * the scores and evidence of the products finally offered are always recomputed exactly. */
#define XS_COMP_CACHE_MAX 32
struct xs_comp_cache {
        uint32_t ids[XS_COMP_CACHE_MAX];
        uint8_t n, valid;
        uint64_t epoch;
        int64_t row_at;
};

#define MAX_CANDS 64

struct cand {
        uint32_t id;
        const char *name; /* external id: the last tie-break, so ranking needs no global */
        double score;
        int explicit_rank; /* 0 = not an explicit target, else 1-based rank */
        int has_evidence;
        int same_brand;
        int lazy_evidence; /* never seen together: evidence computed only if offered */
        int64_t price;
        struct xs_evidence ev;
};

/* Once full (cap entries, at most MAX_CANDS), c[] is a binary heap with the weakest candidate
 * (by the set's ranking) at c[0], so a newcomer costs one comparison when it loses and
 * O(log cap) when it replaces the weakest; rank() sorts the set before anything reads it in
 * order. The set always holds the best cap candidates put, whatever the order they came in
 * (the ranking is total: the last tie-break is the unique external id). */
struct cand_set {
        struct cand c[MAX_CANDS];
        size_t n;
        size_t cap;   /* how many best candidates the set keeps: 0 means MAX_CANDS */
        int by_grade; /* ranked (and evicted when full) by grade_cmp, else by score_cmp */
        int heap;     /* c[] is a heap (weakest first): set when it fills, cleared by rank() */
};

static int grade_cmp(const void *x, const void *y);
static int score_cmp(const void *x, const void *y);

static int guard_ok(struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor,
                    uint32_t id, int64_t t)
{
        const struct xs_params *p = eng->p;
        if (id == anchor || !xs_catalog_offerable(eng->catalog, id) || xs_customer_in_cart(c, id) ||
            xs_customer_bought_since(c, id, t - p->bought_horizon))
                goto filtered;
        const struct xs_cat_product *a = xs_catalog_get(eng->catalog, anchor);
        const struct xs_cat_product *b = xs_catalog_get(eng->catalog, id);
        if (a && a->currency[0] && b->currency[0] && strcmp(a->currency, b->currency) != 0)
                goto filtered;
        return 1;
filtered:
        eng->st.candidates_filtered++;
        return 0;
}

static struct cand *cand_find(struct cand_set *s, uint32_t id)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->c[i].id == id)
                        return &s->c[i];
        return NULL;
}

/* c->name must be set. When full, the weakest by the set's own ranking is replaced if c ranks
 * before it (so an explicit target, ranked first by grade_cmp, is never pushed out by a
 * better-scored ladder product). */
/* Moves s->c[i] down the heap until both children are stronger (rank before it). */
static void cand_sift(struct cand_set *s, size_t i, int (*cmp)(const void *, const void *))
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, w = i;
                if (l < s->n && cmp(&s->c[l], &s->c[w]) > 0)
                        w = l;
                if (r < s->n && cmp(&s->c[r], &s->c[w]) > 0)
                        w = r;
                if (w == i)
                        return;
                struct cand tmp = s->c[i];
                s->c[i] = s->c[w];
                s->c[w] = tmp;
                i = w;
        }
}

static void cand_put(struct cand_set *s, const struct cand *c)
{
        int (*cmp)(const void *, const void *) = s->by_grade ? grade_cmp : score_cmp;
        struct cand *old = cand_find(s, c->id);
        if (old) {
                if (cmp(c, old) < 0) {
                        *old = *c;
                        if (s->heap) /* stronger: it may have to move away from the top */
                                cand_sift(s, (size_t)(old - s->c), cmp);
                }
                return;
        }
        size_t cap = s->cap ? s->cap : MAX_CANDS;
        if (s->n < cap) {
                s->c[s->n++] = *c;
                if (s->n == cap) {
                        for (size_t i = cap / 2; i-- > 0;)
                                cand_sift(s, i, cmp);
                        s->heap = 1;
                }
                return;
        }
        if (cmp(c, &s->c[0]) < 0) {
                s->c[0] = *c;
                cand_sift(s, 0, cmp);
        }
}

/* 0 if c (its ranking fields set) would be turned away by the full set s: it does not rank
 * before the weakest member and is not in the set already (a member may be replaced by a
 * stronger copy of itself). */
static int cand_may_enter(struct cand_set *s, const struct cand *c)
{
        size_t cap = s->cap ? s->cap : MAX_CANDS;
        if (s->n < cap || cand_find(s, c->id))
                return 1;
        return (s->by_grade ? grade_cmp : score_cmp)(c, &s->c[0]) < 0;
}

static void rank(struct xs_engine *eng, struct cand_set *s, int by_grade);

/* ---- cross-sell candidates ---------------------------------------------------------- */

struct comp_ctx {
        struct xs_engine *eng;
        const struct xs_customer *c;
        uint32_t anchor;
        int64_t t;
        int64_t min_price; /* gap filler: only products at least this price */
        struct cand_set *out;
};

/* Is b a complement of a by the counts n? Fills cd's score and evidence. */
static int complement_ok(struct xs_engine *eng, uint32_t a, uint32_t b,
                         const int32_t n[XS_REL_COUNT], struct cand *cd)
{
        const struct xs_params *p = eng->p;
        int64_t support;
        cd->id = b;
        cd->score = xs_score_pair(eng, XS_SCORE_COMPLEMENT, a, b, n, &cd->ev, &support);
        /* the signed llr keeps negatively associated pairs out, except under cooc.score=count
         * (the no-significance baseline ranks raw counts only) */
        if (support < p->min_support || cd->score < p->min_score ||
            (!eng->score_count && cd->ev.llr <= 0))
                return 0;
        const struct xs_cat_product *pa = xs_catalog_get(eng->catalog, a);
        const struct xs_cat_product *pb = xs_catalog_get(eng->catalog, b);
        /* a complement comes from another category (same category: a substitute) */
        if (pa && pb && pa->category && pa->category == pb->category)
                return 0;
        if (eng->rank_support)
                cd->score = (double)cd->ev.k11; /* significant: now the most often together */
        cd->has_evidence = 1;
        return 1;
}

static void cache_visit(void *opaque, uint32_t b, const int32_t n[XS_REL_COUNT])
{
        struct comp_ctx *ctx = opaque;
        struct cand cd = {0};
        if (complement_ok(ctx->eng, ctx->anchor, b, n, &cd)) {
                cd.name = xs_intern_str(ctx->eng->products, b);
                cand_put(ctx->out, &cd);
        }
}

static int64_t comp_row(struct xs_engine *eng, uint32_t a)
{
        int64_t row[XS_REL_COUNT];
        xs_window_row(eng->window, a, row);
        return row[XS_REL_ORDER] + row[XS_REL_CUSTOMER] + row[XS_REL_CART] + row[XS_REL_VIEW_BUY];
}

static const struct xs_comp_cache *comp_cache_get(struct xs_engine *eng, uint32_t a)
{
        if (a >= eng->n_comp_cache) {
                /* 64-bit: the doubling must not wrap for an id at or above 2^31 */
                uint64_t n = eng->n_comp_cache ? eng->n_comp_cache : 1024;
                while (n <= a)
                        n *= 2;
                struct xs_comp_cache *cc = realloc(eng->comp_cache, n * sizeof(*cc));
                if (!cc)
                        return NULL;
                memset(cc + eng->n_comp_cache, 0, (n - eng->n_comp_cache) * sizeof(*cc));
                eng->comp_cache = cc;
                eng->n_comp_cache = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
        }
        struct xs_comp_cache *e = &eng->comp_cache[a];
        uint64_t epoch = xs_window_epoch(eng->window);
        int64_t row = comp_row(eng, a);
        int64_t moved = row > e->row_at ? row - e->row_at : e->row_at - row;
        int stale = e->row_at < 64 ? moved != 0 : moved * 10 > e->row_at && epoch != e->epoch;
        if (e->valid && !stale)
                return e;
        struct cand_set best = {.cap = XS_COMP_CACHE_MAX};
        struct comp_ctx ctx = {.eng = eng, .anchor = a, .out = &best};
        xs_window_neighbors(eng->window, a, cache_visit, &ctx);
        rank(eng, &best, 0);
        e->n = 0;
        for (size_t i = 0; i < best.n && e->n < XS_COMP_CACHE_MAX; i++)
                e->ids[e->n++] = best.c[i].id;
        e->valid = 1;
        e->epoch = epoch;
        e->row_at = row;
        return e;
}

static int64_t price_of(struct xs_engine *eng, uint32_t id)
{
        const struct xs_cat_product *p = xs_catalog_get(eng->catalog, id);
        return p ? p->price : -1;
}

/* 1 if id is one of the trigger's items: never offered (it is what the offer is about) */
static int is_item(const uint32_t *all, size_t n_all, uint32_t id)
{
        for (size_t j = 0; j < n_all; j++)
                if (all[j] == id)
                        return 1;
        return 0;
}

/* Keeps the out->cap best complements (offer.max_items when the caller left it 0): only the
 * first max_items of the ranked set are ever offered, and the best N of a stream are the
 * first N of its best 64. The trigger's own items are left out before they are put (until
 * 0.1 they were removed from the best 64 afterwards, so an order of some 60 items or more
 * could crowd out every real complement and get fewer than max_items, or no offer). */
static void complements(struct xs_engine *eng, const struct xs_customer *c, const uint32_t *all,
                        size_t n_all, int64_t t, int64_t min_price, struct cand_set *out)
{
        if (!out->cap)
                out->cap = (size_t)eng->p->offer_max_items;
        /* the offer.max_anchors priciest items speak for a large cart or order (selection by
         * price, ties by position: deterministic) */
        uint32_t anchors[64];
        size_t n_anchors = 0, max = (size_t)eng->p->offer_max_anchors;
        for (size_t i = 0; i < n_all; i++) {
                int64_t price = price_of(eng, all[i]);
                size_t pos = n_anchors;
                while (pos > 0 && price_of(eng, anchors[pos - 1]) < price)
                        pos--;
                if (pos >= max)
                        continue;
                size_t last = n_anchors < max ? n_anchors : max - 1;
                memmove(&anchors[pos + 1], &anchors[pos], (last - pos) * sizeof(*anchors));
                anchors[pos] = all[i];
                if (n_anchors < max)
                        n_anchors++;
        }
        for (size_t i = 0; i < n_anchors; i++) {
                const struct xs_comp_cache *e = comp_cache_get(eng, anchors[i]);
                for (uint8_t k = 0; e && k < e->n; k++) {
                        /* exact, current counts for what may be offered */
                        struct cand cd = {0};
                        int32_t n[XS_REL_COUNT];
                        xs_window_pair(eng->window, anchors[i], e->ids[k], n);
                        if (!complement_ok(eng, anchors[i], e->ids[k], n, &cd) ||
                            !guard_ok(eng, c, anchors[i], e->ids[k], t))
                                continue;
                        cd.price = xs_catalog_get(eng->catalog, e->ids[k])->price;
                        cd.name = xs_intern_str(eng->products, e->ids[k]);
                        if (cd.price >= min_price && !is_item(all, n_all, e->ids[k]))
                                cand_put(out, &cd);
                }
        }
}

/* ---- upsell / downsell candidates --------------------------------------------------- */

/* up: 1 for upsell, 0 for downsell. Every candidate, explicit target or not, is on the right
 * side of the anchor's price: an upsell costs more, a downsell less. */
static int grade_add(struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor,
                     uint32_t id, int up, int explicit_rank, int64_t t, struct cand_set *out)
{
        if (!guard_ok(eng, c, anchor, id, t))
                return 0;
        const struct xs_cat_product *a = xs_catalog_get(eng->catalog, anchor);
        const struct xs_cat_product *b = xs_catalog_get(eng->catalog, id);
        if (a && (up ? b->price <= a->price : b->price >= a->price)) {
                eng->st.candidates_filtered++;
                return 0;
        }
        /* the ranking fields first: a candidate that cannot enter a full set costs no more */
        struct cand cd;
        cd.id = id;
        cd.name = xs_intern_str(eng->products, id);
        cd.explicit_rank = explicit_rank;
        cd.same_brand = a && a->brand && a->brand == b->brand;
        cd.score = 0;
        cd.has_evidence = 0;
        int32_t n[XS_REL_COUNT];
        xs_window_pair(eng->window, anchor, id, n);
        int together = 0;
        for (int r = 0; r < XS_REL_COUNT; r++)
                together |= n[r] != 0;
        if (!together) {
                /* most ladder products were never seen with the anchor: they rank by the
                 * catalog alone (score 0), and their evidence (the anchor's and their own
                 * row totals) is only worked out for the few that are offered */
                if (!cand_may_enter(out, &cd))
                        return 1;
                memset(&cd.ev, 0, sizeof(cd.ev));
                cd.lazy_evidence = 1;
                cd.price = b->price;
                cand_put(out, &cd);
                return 1;
        }
        int64_t support;
        cd.score = xs_score_pair(eng, XS_SCORE_ALTERNATIVE, anchor, id, n, &cd.ev, &support);
        cd.has_evidence = support > 0;
        if (!cd.has_evidence)
                cd.score = 0;
        else if (eng->rank_support)
                cd.score = (double)cd.ev.k11;
        cd.lazy_evidence = 0;
        cd.price = b->price;
        cand_put(out, &cd);
        return 1;
}

/* price * ratio + round, as int64 minor units; clamped to the int64 range before the cast
 * (a cast of an out-of-range double is undefined) */
static int64_t price_scale(int64_t price, double ratio, double round)
{
        double v = (double)price * ratio + round;
        if (!(v < 9223372036854775807.0))
                return INT64_MAX;
        if (v < 0)
                return 0;
        return (int64_t)v;
}

/* up: 1 for upsell, 0 for downsell */
static void grades(struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor, int up,
                   int64_t t, struct cand_set *out)
{
        const struct xs_params *p = eng->p;
        out->by_grade = 1;
        const struct xs_cat_product *a = xs_catalog_get(eng->catalog, anchor);
        if (!a || a->price <= 0)
                return;
        const uint32_t *targets = up ? a->up : a->down;
        int n_targets = up ? a->n_up : a->n_down;
        /* Only the first max_items of the ranked set are offered (one for a downsell), so the
         * set keeps only those. A product is graded once: the explicit targets first (a
         * duplicate target or a ladder product that is also a target is skipped), then the
         * ladder, whose ids are unique. */
        out->cap = up ? (size_t)p->offer_max_items : 1;
        uint32_t done[XS_CATALOG_MAX_TARGETS];
        int n_done = 0;
        for (int i = 0; i < n_targets; i++) {
                if (is_item(done, (size_t)n_done, targets[i]))
                        continue;
                if (grade_add(eng, c, anchor, targets[i], up, i + 1, t, out))
                        done[n_done++] = targets[i];
        }
        if (!a->category)
                return;
        double lo = up ? p->upsell_min_ratio : p->downsell_min_ratio;
        double hi = up ? p->upsell_max_ratio : p->downsell_max_ratio;
        int64_t min_price = price_scale(a->price, lo, 0.5);
        int64_t max_price = price_scale(a->price, hi, 0.0);
        if (!up && max_price >= a->price)
                max_price = a->price - 1; /* never the same price: not a downsell */
        if (up && min_price <= a->price)
                min_price = a->price < INT64_MAX ? a->price + 1 : INT64_MAX;
        size_t n;
        const uint32_t *ladder =
            xs_catalog_ladder(eng->catalog, a->category, min_price, max_price, &n);
        /* bounded scan: the MAX_CANDS closest in price on the right side; the pair lookups of
         * later products are started ahead (their cache misses overlap) */
        size_t scan = n < 4 * MAX_CANDS ? n : 4 * MAX_CANDS;
        for (size_t i = 0; i < scan; i++) {
                size_t k = up ? i : n - 1 - i; /* upsell: cheapest step first; downsell: closest */
                if (i + 8 < scan)
                        xs_window_prefetch_pair(eng->window, anchor,
                                                ladder[up ? i + 8 : n - 1 - (i + 8)], 0);
                if (i + 4 < scan)
                        xs_window_prefetch_pair(eng->window, anchor,
                                                ladder[up ? i + 4 : n - 1 - (i + 4)], 1);
                if (!is_item(done, (size_t)n_done, ladder[k]))
                        grade_add(eng, c, anchor, ladder[k], up, 0, t, out);
        }
}

static int grade_cmp(const void *x, const void *y)
{
        const struct cand *a = x, *b = y;
        if ((a->explicit_rank > 0) != (b->explicit_rank > 0))
                return a->explicit_rank > 0 ? -1 : 1;
        if (a->explicit_rank != b->explicit_rank)
                return a->explicit_rank < b->explicit_rank ? -1 : 1;
        if (a->has_evidence != b->has_evidence)
                return a->has_evidence ? -1 : 1;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        if (a->same_brand != b->same_brand)
                return a->same_brand ? -1 : 1;
        return strcmp(a->name, b->name);
}

static int score_cmp(const void *x, const void *y)
{
        const struct cand *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        return strcmp(a->name, b->name);
}

static void rank(struct xs_engine *eng, struct cand_set *s, int by_grade)
{
        (void)eng;
        qsort(s->c, s->n, sizeof(s->c[0]), by_grade ? grade_cmp : score_cmp);
        s->heap = 0;
}

/* ---- building and sending an offer -------------------------------------------------- */

struct draft {
        enum xs_offer_type type;
        enum xs_channel channel;
        const char *rule;
        const char *trigger_event_id;
        uint32_t anchor;
        int64_t t;
        struct xs_incentive inc[XS_OFFER_MAX_INCENTIVES];
        size_t n_inc;
};

/* Chains the hash over one field: its length, then its bytes (so field boundaries count and
 * no field is ever truncated). */
static uint64_t id_field(uint64_t h, const void *p, size_t n)
{
        uint64_t len = n;
        h = xs_hash_bytes(&len, sizeof(len), h);
        return xs_hash_bytes(p, n, h);
}

/* Deterministic: a hash, under two seeds, of customer, trigger event, rule, anchor and time,
 * field by field, whatever their length. */
static void offer_id(const struct xs_customer *c, const struct draft *d, const char *anchor,
                     char out[XS_OFFER_ID_LEN])
{
        const char *trigger = d->trigger_event_id ? d->trigger_event_id : "";
        const char *anc = anchor ? anchor : "";
        unsigned char tb[8];
        for (int i = 0; i < 8; i++)
                tb[i] = (unsigned char)((uint64_t)d->t >> (8 * i));
        uint64_t h[2] = {0x0ffe4, 0x1d5eed};
        for (int k = 0; k < 2; k++) {
                h[k] = id_field(h[k], c->id, strlen(c->id));
                h[k] = id_field(h[k], trigger, strlen(trigger));
                h[k] = id_field(h[k], d->rule, strlen(d->rule));
                h[k] = id_field(h[k], anc, strlen(anc));
                h[k] = id_field(h[k], tb, sizeof(tb));
        }
        snprintf(out, XS_OFFER_ID_LEN, "%016" PRIx64 "%016" PRIx64, h[0], h[1]);
}

static int in_control(const struct xs_engine *eng, const struct xs_customer *c)
{
        if (eng->control_threshold == 0)
                return 0;
        return xs_hash_str(c->id, eng->control_seed) < eng->control_threshold;
}

static void pending_add(struct xs_engine *eng, struct xs_customer *c, const struct xs_offer *o)
{
        const struct xs_params *p = eng->p;
        if (c->n_pending == p->attribution_max_pending) {
                memmove(&c->pending[0], &c->pending[1],
                        (size_t)(c->n_pending - 1) * sizeof(*c->pending));
                c->n_pending--;
        }
        if (XS_RESERVE(c->pending, c->cap_pending, c->n_pending + 1u) != 0)
                return;
        struct xs_pending *pd = &c->pending[c->n_pending++];
        memset(pd, 0, sizeof(*pd));
        memcpy(pd->offer_id, o->offer_id, XS_OFFER_ID_LEN);
        pd->type = (uint8_t)o->type;
        pd->stage = (uint8_t)o->stage;
        pd->control = (uint8_t)o->control;
        pd->created_at = o->created_at;
        pd->attribution_until = o->created_at + p->attribution_window;
        for (size_t i = 0; i < o->n_items; i++)
                pd->products[pd->n++] = xs_intern_find(eng->products, o->items[i].product_id);
}

/* Applies caps, cooldown, channel and control group; sends or withholds. Returns 1 if the
 * offer counted (sent or withheld for the control group). */
/* The same offer again (same type, same leading product) while an earlier one is still open
 * (within offer.ttl): a customer who adds an item twice is not shown the same upgrade twice. */
static int repeats_open_offer(const struct xs_engine *eng, const struct xs_customer *c,
                              const struct draft *d, const struct cand_set *cands)
{
        for (uint16_t i = 0; i < c->n_pending; i++) {
                const struct xs_pending *pd = &c->pending[i];
                if (pd->type == d->type && pd->n && pd->products[0] == cands->c[0].id &&
                    d->t - pd->created_at < eng->p->offer_ttl)
                        return 1;
        }
        return 0;
}

static int offer_send(struct xs_engine *eng, struct xs_customer *c, const struct draft *d,
                      struct cand_set *cands)
{
        const struct xs_params *p = eng->p;
        if (cands->n == 0) {
                eng->st.offers_no_candidate++;
                return 0;
        }
        if (d->t < c->cooldown_until) {
                eng->st.offers_suppressed_cap++;
                return 0;
        }
        /* only a later day starts new counts: an offer of a late event from an earlier day
         * counts against the current day, so a late event never resets them */
        int64_t day = d->t / XS_DAY_MS;
        if (day > c->cap_day) {
                c->cap_day = day;
                c->offers_today = 0;
                memset(c->offers_type_today, 0, sizeof(c->offers_type_today));
        }
        if (c->offers_today >= p->caps_per_day ||
            c->offers_type_today[d->type] >= p->caps_per_type_per_day) {
                eng->st.offers_suppressed_cap++;
                return 0;
        }
        if (d->channel == XS_CHANNEL_EMAIL && !c->email_ok) {
                eng->st.offers_suppressed_channel++;
                return 0;
        }
        if (repeats_open_offer(eng, c, d, cands)) {
                eng->st.offers_suppressed_repeat++;
                return 0;
        }
        struct xs_offer o;
        memset(&o, 0, sizeof(o));
        const char *anchor = d->anchor ? xs_intern_str(eng->products, d->anchor) : NULL;
        offer_id(c, d, anchor, o.offer_id);
        o.customer_id = c->id;
        o.type = d->type;
        o.stage = (enum xs_stage)c->stage;
        o.channel = d->channel;
        o.trigger_event_id = d->trigger_event_id ? d->trigger_event_id : "";
        o.anchor_product_id = anchor;
        size_t max_items = d->type == XS_OFFER_DOWNSELL ? 1 : (size_t)p->offer_max_items;
        int any_evidence = 0;
        for (size_t i = 0; i < cands->n && o.n_items < max_items; i++) {
                const struct cand *cd = &cands->c[i];
                const struct xs_cat_product *pr = xs_catalog_get(eng->catalog, cd->id);
                struct xs_offer_item *it = &o.items[o.n_items++];
                it->product_id = xs_intern_str(eng->products, cd->id);
                it->category = xs_catalog_label(eng->catalog, pr->category);
                it->brand = xs_catalog_label(eng->catalog, pr->brand);
                it->price = pr->price;
                it->score = cd->score;
                it->evidence = cd->ev;
                if (cd->lazy_evidence) {
                        int32_t zero[XS_REL_COUNT] = {0};
                        xs_score_pair(eng, XS_SCORE_ALTERNATIVE, d->anchor, cd->id, zero,
                                      &it->evidence, NULL);
                }
                any_evidence |= cd->has_evidence;
        }
        memcpy(o.incentives, d->inc, sizeof(d->inc));
        o.n_incentives = d->n_inc;
        o.rule = d->rule;
        o.score_kind = !any_evidence       ? "catalog"
                       : eng->score_count  ? "count"
                       : eng->rank_support ? (eng->score_lift ? "lift+support" : "llr+support")
                       : eng->score_lift   ? "lift"
                                           : "llr";
        o.window_ms = p->window_unbounded ? 0 : p->window_size;
        o.cart_value = xs_customer_cart_value(c);
        const struct xs_cat_product *ap =
            d->anchor ? xs_catalog_get(eng->catalog, d->anchor) : NULL;
        memcpy(o.currency, c->currency[0] || !ap ? c->currency : ap->currency, XS_CURRENCY_LEN);
        o.created_at = d->t;
        o.expires_at = d->t + (d->channel == XS_CHANNEL_EMAIL ? p->offer_email_ttl : p->offer_ttl);
        for (size_t i = 0; i < o.n_incentives; i++)
                if (!o.incentives[i].valid_until)
                        o.incentives[i].valid_until = o.expires_at;
        o.control = in_control(eng, c);

        if (c->offers_today < UINT16_MAX)
                c->offers_today++;
        if (c->offers_type_today[d->type] < UINT16_MAX)
                c->offers_type_today[d->type]++;
        pending_add(eng, c, &o);
        if (o.control) {
                eng->st.offers_withheld_control++;
                eng->st.control_offers[o.type][o.stage]++;
                return 1;
        }
        eng->st.offers[o.type][o.stage]++;
        if (eng->sink.offer)
                eng->sink.offer(eng->sink.opaque, &o);
        return 1;
}

static void incentive(struct draft *d, enum xs_incentive_kind kind, int32_t percent,
                      int64_t threshold, int64_t amount, const char *currency, int64_t valid_until)
{
        if (d->n_inc == XS_OFFER_MAX_INCENTIVES)
                return;
        struct xs_incentive *in = &d->inc[d->n_inc++];
        memset(in, 0, sizeof(*in));
        in->kind = kind;
        in->percent = percent;
        in->threshold = threshold;
        in->amount = amount;
        if (currency)
                memcpy(in->currency, currency, XS_CURRENCY_LEN);
        in->valid_until = valid_until;
}

/* The priciest of products (ties: first). 0 if none. */
static uint32_t priciest(struct xs_engine *eng, const uint32_t *ids, size_t n)
{
        uint32_t best = 0;
        int64_t best_price = -2;
        for (size_t i = 0; i < n; i++) {
                const struct xs_cat_product *pr = xs_catalog_get(eng->catalog, ids[i]);
                int64_t price = pr ? pr->price : -1;
                if (price > best_price) {
                        best = ids[i];
                        best_price = price;
                }
        }
        return best;
}

/* ---- the moments -------------------------------------------------------------------- */

static void upsell(struct xs_engine *eng, struct xs_customer *c, uint32_t anchor, int64_t t,
                   const char *trigger, const char *rule, int64_t basis_value, int with_shipping)
{
        const struct xs_params *p = eng->p;
        struct cand_set cands = {0};
        grades(eng, c, anchor, 1, t, &cands);
        rank(eng, &cands, 1);
        struct draft d = {.type = XS_OFFER_UPSELL,
                          .channel = XS_CHANNEL_ONSITE,
                          .rule = rule,
                          .trigger_event_id = trigger,
                          .anchor = anchor,
                          .t = t};
        const struct xs_cat_product *a = xs_catalog_get(eng->catalog, anchor);
        const char *cur = c->currency[0] ? c->currency : (a ? a->currency : NULL);
        if (p->upgrade_percent > 0 && basis_value >= p->upgrade_min_cart && basis_value > 0)
                incentive(&d, XS_INC_PERCENT_OFF, (int32_t)p->upgrade_percent, p->upgrade_min_cart,
                          0, cur, 0);
        if (with_shipping && cands.n && a && p->free_shipping_threshold > 0 &&
            basis_value < p->free_shipping_threshold) {
                int64_t upgraded = xs_money_add(basis_value - a->price, cands.c[0].price);
                if (upgraded >= p->free_shipping_threshold)
                        incentive(&d, XS_INC_FREE_SHIPPING, 0, p->free_shipping_threshold,
                                  p->free_shipping_threshold - basis_value, cur, 0);
        }
        offer_send(eng, c, &d, &cands);
}

static void downsell(struct xs_engine *eng, struct xs_customer *c, uint32_t anchor, int64_t t,
                     const char *trigger, const char *rule, enum xs_channel channel)
{
        struct cand_set cands = {0};
        grades(eng, c, anchor, 0, t, &cands);
        rank(eng, &cands, 1);
        struct draft d = {.type = XS_OFFER_DOWNSELL,
                          .channel = channel,
                          .rule = rule,
                          .trigger_event_id = trigger,
                          .anchor = anchor,
                          .t = t};
        offer_send(eng, c, &d, &cands);
}

static void checkout(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev)
{
        const struct xs_params *p = eng->p;
        uint32_t anchors[XS_CART_MAX];
        size_t n = 0;
        for (uint16_t i = 0; i < c->n_cart; i++)
                anchors[n++] = c->cart[i].product;
        if (!n)
                return;
        int64_t value = xs_customer_cart_value(c);
        int64_t gap = p->free_shipping_threshold - value;
        const char *cur = c->currency;
        struct draft d = {.type = XS_OFFER_CROSS_SELL,
                          .channel = XS_CHANNEL_ONSITE,
                          .trigger_event_id = ev->event_id,
                          .anchor = priciest(eng, anchors, n),
                          .t = ev->event_time};
        if (p->free_shipping_threshold > 0 && gap > 0 && gap <= p->free_shipping_gap) {
                /* the gap filler: a complement whose price lifts the cart over the threshold */
                struct cand_set fill = {.cap = 1}; /* only the best fills the gap */
                complements(eng, c, anchors, n, ev->event_time, gap, &fill);
                rank(eng, &fill, 0);
                if (fill.n) {
                        fill.n = 1;
                        d.rule = "free_shipping_gap_filler";
                        incentive(&d, XS_INC_FREE_SHIPPING, 0, p->free_shipping_threshold, gap, cur,
                                  0);
                        offer_send(eng, c, &d, &fill);
                        return;
                }
        }
        struct cand_set cands = {0};
        complements(eng, c, anchors, n, ev->event_time, 0, &cands);
        rank(eng, &cands, 0);
        d.rule = "checkout_cross_sell";
        if (p->bundle_percent > 0)
                incentive(&d, XS_INC_BUNDLE_DISCOUNT, (int32_t)p->bundle_percent, 0, 0, cur, 0);
        offer_send(eng, c, &d, &cands);
}

static void purchase(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                     const uint32_t *items, size_t n)
{
        const struct xs_params *p = eng->p;
        if (!n)
                return;
        int64_t order_value = 0;
        for (size_t i = 0; i < ev->n_items; i++)
                if (ev->items[i].unit_price > 0)
                        order_value =
                            xs_money_add(order_value, xs_money_mul(ev->items[i].unit_price,
                                                                   ev->items[i].quantity));
        uint32_t anchor = priciest(eng, items, n);
        c->onboarding_offered = 0;
        upsell(eng, c, anchor, ev->event_time, ev->event_id, "post_purchase_upsell", order_value,
               0);
        struct cand_set cands = {0};
        complements(eng, c, items, n, ev->event_time, 0, &cands);
        rank(eng, &cands, 0);
        struct draft d = {.type = XS_OFFER_CROSS_SELL,
                          .channel = XS_CHANNEL_EMAIL,
                          .rule = "post_purchase_email_cross_sell",
                          .trigger_event_id = ev->event_id,
                          .anchor = anchor,
                          .t = ev->event_time};
        if (p->coupon_percent > 0)
                incentive(&d, XS_INC_NEXT_PURCHASE_COUPON, (int32_t)p->coupon_percent, 0, 0,
                          c->currency, ev->event_time + p->coupon_valid);
        offer_send(eng, c, &d, &cands);
}

static uint32_t last_purchased(const struct xs_customer *c)
{
        return c->n_hist ? c->hist[c->n_hist - 1].product : 0;
}

void xs_policy_on_event(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                        const uint32_t *items, size_t n)
{
        const struct xs_params *p = eng->p;
        int64_t t = ev->event_time;
        int onboarding = c->has_purchased && !c->value_realized && t < c->onboarding_until;
        switch (ev->type) {
        case XS_EV_PRODUCT_VIEW:
                if (c->stage == XS_STAGE_ONBOARDING && !c->onboarding_offered &&
                    t - c->last_purchase_at <= p->onboarding_complement_horizon) {
                        /* short-lived complements of what was just bought */
                        uint32_t bought[64] = {0};
                        size_t nb = 0;
                        for (uint16_t i = 0; i < c->n_hist && nb < 64; i++)
                                if (c->hist[i].t == c->last_purchase_at)
                                        bought[nb++] = c->hist[i].product;
                        struct cand_set cands = {0};
                        complements(eng, c, bought, nb, t, 0, &cands);
                        rank(eng, &cands, 0);
                        struct draft d = {.type = XS_OFFER_CROSS_SELL,
                                          .channel = XS_CHANNEL_ONSITE,
                                          .rule = "onboarding_complement",
                                          .trigger_event_id = ev->event_id,
                                          .anchor = priciest(eng, bought, nb),
                                          .t = t};
                        if (offer_send(eng, c, &d, &cands))
                                c->onboarding_offered = 1;
                } else if (c->stage == XS_STAGE_BROWSING && p->browsing_offers && n) {
                        struct cand_set cands = {0};
                        complements(eng, c, items, 1, t, 0, &cands);
                        rank(eng, &cands, 0);
                        struct draft d = {.type = XS_OFFER_CROSS_SELL,
                                          .channel = XS_CHANNEL_ONSITE,
                                          .rule = "browsing_cross_sell",
                                          .trigger_event_id = ev->event_id,
                                          .anchor = items[0],
                                          .t = t};
                        offer_send(eng, c, &d, &cands);
                }
                break;
        case XS_EV_ADD_TO_CART:
                if (!n)
                        break;
                if (onboarding) {
                        eng->st.offers_suppressed_onboarding++;
                        break;
                }
                upsell(eng, c, priciest(eng, items, n), t, ev->event_id, "cart_upsell",
                       xs_customer_cart_value(c), 1);
                break;
        case XS_EV_CHECKOUT_START:
                checkout(eng, c, ev);
                break;
        case XS_EV_PURCHASE:
                purchase(eng, c, ev, items, n);
                break;
        case XS_EV_USAGE_MILESTONE:
        case XS_EV_REFERRAL:
                if (c->stage == XS_STAGE_VALUE_REALIZED) {
                        uint32_t anchor = n ? items[0] : last_purchased(c);
                        if (anchor)
                                upsell(eng, c, anchor, t, ev->event_id, "value_realized_upsell", 0,
                                       0);
                }
                break;
        default:
                break;
        }
}

void xs_policy_on_timer(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind,
                        int64_t due)
{
        const struct xs_params *p = eng->p;
        switch (kind) {
        case XS_TIMER_CART: {
                if (!c->n_cart || c->stage != XS_STAGE_CART)
                        return;
                xs_journey_set_stage(eng, c, XS_STAGE_CART_ABANDONED, due, NULL, "cart_timeout");
                uint32_t ids[XS_CART_MAX];
                for (uint16_t i = 0; i < c->n_cart; i++)
                        ids[i] = c->cart[i].product;
                downsell(eng, c, priciest(eng, ids, c->n_cart), due, c->cart_event_id,
                         "cart_abandoned_downsell",
                         c->email_ok && c->subscribed ? XS_CHANNEL_EMAIL : XS_CHANNEL_ONSITE);
                return;
        }
        case XS_TIMER_ONBOARDING:
                if (c->stage == XS_STAGE_ONBOARDING)
                        xs_journey_set_stage(eng, c, XS_STAGE_BROWSING, due, NULL,
                                             "onboarding_end");
                return;
        case XS_TIMER_LEAD: {
                if (!c->subscribed || c->has_purchased || !c->email_ok)
                        return;
                xs_journey_set_stage(eng, c, XS_STAGE_LEAD, due, NULL, "subscribed_no_purchase");
                if (!c->lead_last_offer || due - c->lead_last_offer >= p->lead_interval) {
                        uint32_t ids[256];
                        size_t n = 0;
                        for (uint16_t i = 0; i < c->n_views && n < 256; i++)
                                ids[n++] = c->views[i].product;
                        uint32_t anchor = priciest(eng, ids, n);
                        if (anchor) {
                                c->lead_last_offer = due;
                                downsell(eng, c, anchor, due, c->subscribe_event_id,
                                         "lead_downsell", XS_CHANNEL_EMAIL);
                        } else {
                                eng->st.offers_no_candidate++;
                        }
                }
                xs_journey_timer_arm(eng, c, XS_TIMER_LEAD, due + p->lead_interval);
                return;
        }
        default:
                return;
        }
}

void xs_policy_attribute(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                         const uint32_t *items, size_t n)
{
        int64_t t = ev->event_time;
        uint16_t keep = 0;
        for (uint16_t i = 0; i < c->n_pending; i++) {
                struct xs_pending *pd = &c->pending[i];
                if (t > pd->attribution_until)
                        continue; /* expired: forget it */
                if (t < pd->created_at) {
                        /* a late purchase made before the offer: the offer did not cause it */
                        c->pending[keep++] = *pd;
                        continue;
                }
                uint32_t hit = 0;
                for (size_t j = 0; j < n && !hit; j++)
                        for (uint8_t k = 0; k < pd->n && !hit; k++)
                                if (pd->products[k] == items[j])
                                        hit = items[j];
                if (!hit) {
                        c->pending[keep++] = *pd;
                        continue;
                }
                struct xs_outcome o = {.offer_id = pd->offer_id,
                                       .customer_id = c->id,
                                       .type = (enum xs_offer_type)pd->type,
                                       .stage = (enum xs_stage)pd->stage,
                                       .product_id = xs_intern_str(eng->products, hit),
                                       .order_id = ev->order_id,
                                       .purchase_event_id = ev->event_id,
                                       .offer_created_at = pd->created_at,
                                       .converted_at = t,
                                       .control = pd->control};
                eng->st.outcomes++;
                if (pd->control)
                        eng->st.control_conversions[pd->type][pd->stage]++;
                else
                        eng->st.conversions[pd->type][pd->stage]++;
                if (eng->sink.outcome)
                        eng->sink.outcome(eng->sink.opaque, &o);
                /* converted offers are done: dropped from the pending list */
        }
        c->n_pending = keep;
}
