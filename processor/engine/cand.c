/*
 * Offer candidates (PRODUCT.md §3, §5): which products an offer could carry, and in what order.
 *
 * Candidates pass every guardrail: known, in stock, priced, not in the cart, not bought within
 * guard.bought_horizon, not the anchor, same currency; cross-sell from another category with a
 * positive significant score and minimum support; upsell/downsell within the price ratios, from
 * the same category or an explicit target of the anchor (explicit targets first), ranked by the
 * alternative (co-view) score, then (most ladder products were never seen with the anchor) by
 * their own popularity: orders with them in the window. "Category" is the finest one known (REES46:
 * category_id). An explicit upgrade target that the catalog marks as an add-on (warranty, plan,
 * accessory) is the one exception to the ratios: it improves the purchase rather than replacing it,
 * so it is put whatever its price (and never as a downsell).
 *
 * Significance admits a complement, the ranking orders the admitted ones (PRODUCT.md §5).
 * cooc.rank=basket (the default): every item of the cart or order (up to offer.max_anchors,
 * the priciest) is an anchor; a product is admitted when it is a significant complement of at
 * least one anchor, and its score is the sum, over the anchors it is positively associated
 * with (signed llr > 0, cooc.min_support, another category: significant or not), of the
 * weighted pair count k11 of the complement table ("bought with this basket" as a whole, not
 * with its priciest item alone). Significance decides what may be offered; the ranking counts
 * every pair that is evidence for it: a pair too thin to be significant alone still says the
 * product goes with the basket, and summing only the significant parts (the first version)
 * ranked best sellers that are significant with one item below rare products (BENCHMARKS.md
 * "Ranking"). Its evidence is the table of the significant pair with the largest part.
 * cooc.rank=score ranks by the best pair's llr (or lift), cooc.rank=support by the best pair's k11.
 * BENCHMARKS.md ("Ranking") has the measurement that chose the default.
 *
 * Bounds: a set holds at most XS_CAND_MAX candidates (an offer's set only as many as can be
 * offered); a cross-sell looks at offer.max_anchors anchors (items beyond: anchors_truncated)
 * and at most XS_COMP_CACHE_MAX cached complements of each (a stale cache entry is rebuilt
 * from all of the anchor's window neighbours), so O(offer.max_anchors x XS_COMP_CACHE_MAX)
 * pair lookups per offer; an upsell or downsell at the explicit targets and at most
 * 4 * XS_CAND_MAX ladder products.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cand.h"
#include "engine/catalog.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/score.h"
#include "engine/window.h"
#include "util/array.h"
#include "util/conf_int.h"
#include "util/intern.h"

/* The best complement candidates of one anchor, before the customer's guardrails. Walking all
 * of a popular product's neighbours on every offer would cost thousands of lookups, so the list
 * is kept and recomputed when the window has changed:
 *  - sealed visibility (the default): the window changes only when the step folds sealed panes
 *    (issue 11 item 5), so the list is recomputed on its first use after a fold, once per
 *    step at most, and is exactly what a walk would give. It is a function of the window alone,
 *    so instances and replay that reach the same step offer from the same lists, whatever
 *    events each of them scored before;
 *  - immediate visibility, where every event changes the window: when the anchor's counts have
 *    moved, on any change while its row total is below 64; once larger, after it has moved 10%
 *    (growth or expiry) and at most once per pane. A newly significant pair of a popular product
 *    can then wait up to a pane to enter the list.
 * The scores and evidence of the products finally offered are always recomputed exactly. */
#define XS_COMP_CACHE_MAX 32
struct xs_comp_cache {
        uint32_t ids[XS_COMP_CACHE_MAX];
        uint8_t n, valid;
        uint64_t epoch; /* sealed: the window's version; immediate: its epoch */
        int64_t row_at;
};

static int grade_cmp(const void *x, const void *y);
static int score_cmp(const void *x, const void *y);

int xs_cand_guard_ok(const struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor,
                     uint32_t id, int64_t t)
{
        if (id == anchor || !xs_catalog_offerable(eng->catalog, id) || xs_customer_in_cart(c, id) ||
            xs_customer_bought_recently(eng, c, id, t))
                return 0;
        const struct xs_cat_product *a = xs_catalog_get(eng->catalog, anchor);
        const struct xs_cat_product *b = xs_catalog_get(eng->catalog, id);
        return !(a && a->currency[0] && b->currency[0] && strcmp(a->currency, b->currency) != 0);
}

static int guard_ok(struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor,
                    uint32_t id, int64_t t)
{
        if (xs_cand_guard_ok(eng, c, anchor, id, t))
                return 1;
        eng->st.candidates_filtered++;
        return 0;
}

static struct xs_cand *cand_find(struct xs_cand_set *s, uint32_t id)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->c[i].id == id)
                        return &s->c[i];
        return NULL;
}

/* Moves s->c[i] down the heap until both children are stronger (rank before it). */
static void cand_sift(struct xs_cand_set *s, size_t i, int (*cmp)(const void *, const void *))
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, w = i;
                if (l < s->n && cmp(&s->c[l], &s->c[w]) > 0)
                        w = l;
                if (r < s->n && cmp(&s->c[r], &s->c[w]) > 0)
                        w = r;
                if (w == i)
                        return;
                struct xs_cand tmp = s->c[i];
                s->c[i] = s->c[w];
                s->c[w] = tmp;
                i = w;
        }
}

/* c->name must be set. When full, the weakest by the set's own ranking is replaced if c ranks
 * before it (so an explicit target, ranked first by grade_cmp, is never pushed out by a
 * better-scored ladder product). */
static void cand_put(struct xs_cand_set *s, const struct xs_cand *c)
{
        int (*cmp)(const void *, const void *) = s->by_grade ? grade_cmp : score_cmp;
        struct xs_cand *old = cand_find(s, c->id);
        if (old) {
                if (cmp(c, old) < 0) {
                        *old = *c;
                        if (s->heap) /* stronger: it may have to move away from the top */
                                cand_sift(s, (size_t)(old - s->c), cmp);
                }
                return;
        }
        size_t cap = s->cap ? s->cap : XS_CAND_MAX;
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
static int cand_may_enter(struct xs_cand_set *s, const struct xs_cand *c)
{
        size_t cap = s->cap ? s->cap : XS_CAND_MAX;
        if (s->n < cap || cand_find(s, c->id))
                return 1;
        return (s->by_grade ? grade_cmp : score_cmp)(c, &s->c[0]) < 0;
}

/* ---- cross-sell candidates ---------------------------------------------------------- */

struct comp_ctx {
        struct xs_engine *eng;
        const struct xs_customer *c;
        uint32_t anchor;
        int64_t t;
        int64_t min_price; /* gap filler: only products at least this price */
        struct xs_cand_set *out;
};

/* What b is to a by the counts n: PAIR_NONE, PAIR_POSITIVE (cooc.min_support, positively
 * associated (signed llr > 0), another category, but not significant: only counted in a basket
 * sum) or PAIR_SIGNIFICANT (also signed score >= cooc.min_score: a complement). Fills cd's
 * score (k11 under cooc.rank=support or basket) and evidence. Under cooc.score=count (no
 * significance) a pair is significant or nothing, as cooc.min_score on the count decides. */
enum { PAIR_NONE, PAIR_POSITIVE, PAIR_SIGNIFICANT };

static int pair_class(struct xs_engine *eng, uint32_t a, uint32_t b, const int32_t n[XS_REL_COUNT],
                      struct xs_cand *cd)
{
        const struct xs_params *p = eng->p;
        int64_t support;
        cd->id = b;
        cd->score = xs_score_pair(eng, XS_SCORE_COMPLEMENT, a, b, n, &cd->ev, &support);
        /* the signed llr keeps negatively associated pairs out, except under cooc.score=count
         * (the no-significance baseline ranks raw counts only) */
        if (support < p->min_support || (!eng->score_count && cd->ev.llr <= 0))
                return PAIR_NONE;
        int significant = cd->score >= p->min_score;
        if (eng->score_count && !significant)
                return PAIR_NONE;
        const struct xs_cat_product *pa = xs_catalog_get(eng->catalog, a);
        const struct xs_cat_product *pb = xs_catalog_get(eng->catalog, b);
        /* a complement comes from another category (same category: a substitute) */
        if (pa && pb && pa->category && pa->category == pb->category)
                return PAIR_NONE;
        /* rank by how often together (support: the best pair; basket: this pair's part of the
         * basket's sum) */
        if (eng->rank_support || eng->rank_basket)
                cd->score = (double)cd->ev.k11;
        cd->has_evidence = 1;
        return significant ? PAIR_SIGNIFICANT : PAIR_POSITIVE;
}

/* Is b a complement of a by the counts n? Fills cd's score and evidence. */
static int complement_ok(struct xs_engine *eng, uint32_t a, uint32_t b,
                         const int32_t n[XS_REL_COUNT], struct xs_cand *cd)
{
        return pair_class(eng, a, b, n, cd) == PAIR_SIGNIFICANT;
}

static void cache_visit(void *opaque, uint32_t b, const int32_t n[XS_REL_COUNT])
{
        struct comp_ctx *ctx = opaque;
        struct xs_cand cd = {0};
        int cls = pair_class(ctx->eng, ctx->anchor, b, n, &cd);
        /* cooc.rank=basket also sums the positive pairs: they are cached too */
        if (cls == PAIR_SIGNIFICANT || (cls == PAIR_POSITIVE && ctx->eng->rank_basket)) {
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
                size_t n = eng->n_comp_cache;
                if (xs_array_fit((void **)&eng->comp_cache, &n, sizeof(*eng->comp_cache), a, 1024,
                                 UINT32_MAX) != 0)
                        return NULL;
                eng->cand_bytes += (n - eng->n_comp_cache) * sizeof(*eng->comp_cache);
                eng->n_comp_cache = (uint32_t)n;
        }
        struct xs_comp_cache *e = &eng->comp_cache[a];
        uint64_t epoch;
        int64_t row;
        int stale;
        if (eng->stepped) {
                epoch = xs_window_version(eng->window);
                row = 0;
                stale = epoch != e->epoch;
        } else {
                epoch = xs_window_epoch(eng->window);
                row = comp_row(eng, a);
                int64_t moved = row > e->row_at ? row - e->row_at : e->row_at - row;
                stale = e->row_at < 64 ? moved != 0 : moved * 10 > e->row_at && epoch != e->epoch;
        }
        if (e->valid && !stale) {
                eng->st.comp_cache_hits++;
                return e;
        }
        eng->st.comp_cache_builds++;
        struct xs_cand_set best = {.cap = XS_COMP_CACHE_MAX};
        struct comp_ctx ctx = {.eng = eng, .anchor = a, .out = &best};
        xs_window_neighbors(eng->window, a, cache_visit, &ctx);
        xs_cand_rank(eng, &best, 0);
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

/* The offer.max_anchors priciest of all[0..n_all) (ties: the first), into eng->comp_anchors;
 * every item when there are no more. Items left out are counted (anchors_truncated). Returns
 * how many, 0 when the buffer cannot be allocated. O(n_all x offer.max_anchors) comparisons
 * at worst, only when the cap bites. */
static size_t select_anchors(struct xs_engine *eng, const uint32_t *all, size_t n_all)
{
        size_t max = (size_t)eng->p->offer_max_anchors;
        if (!eng->comp_anchors) {
                eng->comp_anchors =
                    malloc(2 * max * sizeof(*eng->comp_anchors) + max * sizeof(int64_t));
                if (!eng->comp_anchors)
                        return 0;
                eng->cand_bytes += 2 * max * sizeof(*eng->comp_anchors) + max * sizeof(int64_t);
        }
        uint32_t *anchors = eng->comp_anchors;
        if (n_all <= max) {
                memcpy(anchors, all, n_all * sizeof(*anchors));
                return n_all;
        }
        /* the prices of the kept anchors, beside them (one catalog lookup per item) */
        int64_t *kept = (int64_t *)(void *)(anchors + 2 * max);
        size_t n = 0;
        for (size_t i = 0; i < n_all; i++) {
                int64_t price = price_of(eng, all[i]);
                size_t pos = n;
                while (pos > 0 && kept[pos - 1] < price)
                        pos--;
                if (pos >= max)
                        continue;
                size_t last = n < max ? n : max - 1;
                memmove(&anchors[pos + 1], &anchors[pos], (last - pos) * sizeof(*anchors));
                memmove(&kept[pos + 1], &kept[pos], (last - pos) * sizeof(*kept));
                anchors[pos] = all[i];
                kept[pos] = price;
                if (n < max)
                        n++;
        }
        eng->st.anchors_truncated += n_all - n;
        return n;
}

/* One product's sum over the basket (cooc.rank=basket). */
struct xs_comp_acc {
        uint32_t id;
        uint32_t gen;     /* the slot is free unless gen == eng->comp_gen */
        uint32_t anchor;  /* the anchor of the largest significant part: its table is the
                           * evidence */
        double sum, best; /* best: that part; -HUGE_VAL while no part is significant */
};

/* Sums each product's parts (its weighted pair count k11 with that item) over the n_anchors
 * anchors it is positively associated with, then puts the products that are a significant
 * complement of at least one anchor by their sums. Work: O(n_anchors x
 * XS_COMP_CACHE_MAX) pair lookups and scores, plus one more score for each product that can
 * still enter out. A product's part from an anchor whose cached list does not hold it is not
 * counted: the list holds the anchor's XS_COMP_CACHE_MAX largest parts. */
static void complements_basket(struct xs_engine *eng, const struct xs_customer *c,
                               const uint32_t *all, size_t n_all, size_t n_anchors, int64_t t,
                               int64_t min_price, struct xs_cand_set *out)
{
        const uint32_t *anchors = eng->comp_anchors;
        if (!eng->comp_acc) {
                /* a power of two at least twice the most products one offer can touch */
                size_t most = (size_t)eng->p->offer_max_anchors * XS_COMP_CACHE_MAX, cap = 64;
                while (cap < 2 * most)
                        cap *= 2;
                eng->comp_acc = calloc(cap, sizeof(*eng->comp_acc));
                eng->comp_touched = malloc(most * sizeof(*eng->comp_touched));
                if (!eng->comp_acc || !eng->comp_touched) {
                        free(eng->comp_acc);
                        free(eng->comp_touched);
                        eng->comp_acc = NULL;
                        eng->comp_touched = NULL;
                        return;
                }
                eng->cap_comp_acc = cap;
                eng->cand_bytes += cap * sizeof(*eng->comp_acc) + most * sizeof(*eng->comp_touched);
        }
        if (++eng->comp_gen == 0) { /* wrapped: every slot free again */
                memset(eng->comp_acc, 0, eng->cap_comp_acc * sizeof(*eng->comp_acc));
                eng->comp_gen = 1;
        }
        struct xs_comp_acc *acc = eng->comp_acc;
        size_t mask = eng->cap_comp_acc - 1, n_touched = 0;
        for (size_t i = 0; i < n_anchors; i++) {
                const struct xs_comp_cache *e = comp_cache_get(eng, anchors[i]);
                for (uint8_t k = 0; e && k < e->n; k++) {
                        struct xs_cand cd = {0};
                        int32_t n[XS_REL_COUNT];
                        xs_window_pair(eng->window, anchors[i], e->ids[k], n);
                        int cls = pair_class(eng, anchors[i], e->ids[k], n, &cd);
                        if (cls == PAIR_NONE)
                                continue;
                        size_t h = (size_t)((e->ids[k] * 0x9E3779B1u) >> 7) & mask;
                        while (acc[h].gen == eng->comp_gen && acc[h].id != e->ids[k])
                                h = (h + 1) & mask;
                        struct xs_comp_acc *s = &acc[h];
                        if (s->gen != eng->comp_gen) {
                                s->gen = eng->comp_gen;
                                s->id = e->ids[k];
                                s->sum = 0;
                                s->best = -HUGE_VAL;
                                eng->comp_touched[n_touched++] = (uint32_t)h;
                        }
                        s->sum += cd.score;
                        if (cls == PAIR_SIGNIFICANT && cd.score > s->best) {
                                s->best = cd.score;
                                s->anchor = anchors[i];
                        }
                }
        }
        for (size_t j = 0; j < n_touched; j++) {
                const struct xs_comp_acc *s = &acc[eng->comp_touched[j]];
                if (s->best == -HUGE_VAL)
                        continue; /* positively associated only: not a complement */
                if (!guard_ok(eng, c, s->anchor, s->id, t))
                        continue;
                struct xs_cand cd = {0};
                cd.id = s->id;
                cd.score = s->sum;
                cd.name = xs_intern_str(eng->products, s->id);
                cd.price = xs_catalog_get(eng->catalog, s->id)->price;
                if (cd.price < min_price || is_item(all, n_all, s->id) || !cand_may_enter(out, &cd))
                        continue;
                /* the evidence: the table of the pair with the largest part */
                int32_t n[XS_REL_COUNT];
                xs_window_pair(eng->window, s->anchor, s->id, n);
                complement_ok(eng, s->anchor, s->id, n, &cd);
                cd.score = s->sum;
                cand_put(out, &cd);
        }
}

/* Keeps the out->cap best complements (offer.max_items when the caller left it 0): only the
 * first max_items of the ranked set are ever offered, and the best N of a stream are the
 * first N of its best 64. The trigger's own items are left out before they are put (until
 * 0.1 they were removed from the best 64 afterwards, so an order of some 60 items or more
 * could crowd out every real complement and get fewer than max_items, or no offer). */
void xs_cand_complements(struct xs_engine *eng, const struct xs_customer *c, const uint32_t *all,
                         size_t n_all, int64_t t, int64_t min_price, struct xs_cand_set *out)
{
        if (!out->cap)
                out->cap = (size_t)eng->p->offer_max_items;
        /* the offer.max_anchors priciest items speak for a large cart or order (selection by
         * price, ties by position: deterministic) */
        size_t n_anchors = select_anchors(eng, all, n_all);
        const uint32_t *anchors = eng->comp_anchors;
        if (eng->rank_basket) {
                complements_basket(eng, c, all, n_all, n_anchors, t, min_price, out);
                return;
        }
        for (size_t i = 0; i < n_anchors; i++) {
                const struct xs_comp_cache *e = comp_cache_get(eng, anchors[i]);
                for (uint8_t k = 0; e && k < e->n; k++) {
                        /* exact, current counts for what may be offered */
                        struct xs_cand cd = {0};
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

/* up: 1 for upsell, 0 for downsell. Every candidate, explicit target or not, is within
 * [min_price, max_price] (the ratios, on the right side of the anchor's price: an upsell costs
 * more, a downsell less), except an explicit upgrade target marked as an add-on. */
static int grade_add(struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor,
                     uint32_t id, int up, int explicit_rank, int64_t min_price, int64_t max_price,
                     int64_t t, struct xs_cand_set *out)
{
        if (!guard_ok(eng, c, anchor, id, t))
                return 0;
        const struct xs_cat_product *b = xs_catalog_get(eng->catalog, id);
        int addon = b->addon != 0 && explicit_rank > 0;
        if (addon ? !up : (b->price < min_price || b->price > max_price)) {
                eng->st.candidates_filtered++;
                return 0;
        }
        const struct xs_cat_product *a = xs_catalog_get(eng->catalog, anchor);
        /* the ranking fields first: a candidate that cannot enter a full set costs no more */
        struct xs_cand cd;
        cd.id = id;
        cd.name = xs_intern_str(eng->products, id);
        cd.explicit_rank = explicit_rank;
        cd.addon = addon;
        cd.same_brand = a && a->brand && a->brand == b->brand;
        int64_t row[XS_REL_COUNT];
        xs_window_occurrence(eng->window, id, row);
        cd.popularity = row[XS_REL_ORDER];
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
void xs_cand_grades(struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor, int up,
                    int with_ladder, int64_t t, struct xs_cand_set *out)
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
         * ladder, whose ids are unique. A caller that will drop some (the LEAD rotation) sets a
         * larger cap first. */
        if (!out->cap)
                out->cap = up ? (size_t)p->offer_max_items : 1;
        double lo = up ? p->upsell_min_ratio : p->downsell_min_ratio;
        double hi = up ? p->upsell_max_ratio : p->downsell_max_ratio;
        int64_t min_price = price_scale(a->price, lo, 0.5);
        int64_t max_price = price_scale(a->price, hi, 0.0);
        if (!up && max_price >= a->price)
                max_price = a->price - 1; /* never the same price: not a downsell */
        if (up && min_price <= a->price)
                min_price = a->price < INT64_MAX ? a->price + 1 : INT64_MAX;
        /* explicit targets respect the ratios too (until 0.1 an upgrade at 3x or a downgrade at
         * 0.2x was offered), add-ons excepted */
        uint32_t done[XS_CATALOG_MAX_TARGETS];
        int n_done = 0;
        for (int i = 0; i < n_targets; i++) {
                if (is_item(done, (size_t)n_done, targets[i]))
                        continue;
                if (grade_add(eng, c, anchor, targets[i], up, i + 1, min_price, max_price, t, out))
                        done[n_done++] = targets[i];
        }
        if (!with_ladder || !a->category)
                return;
        size_t n;
        const uint32_t *ladder =
            xs_catalog_ladder(eng->catalog, a->category, min_price, max_price, &n);
        /* bounded scan: the XS_CAND_MAX closest in price on the right side; the pair lookups of
         * later products are started ahead (their cache misses overlap) */
        size_t scan = n < 4 * XS_CAND_MAX ? n : 4 * XS_CAND_MAX;
        for (size_t i = 0; i < scan; i++) {
                size_t k = up ? i : n - 1 - i; /* upsell: cheapest step first; downsell: closest */
                if (i + 8 < scan)
                        xs_window_prefetch_pair(eng->window, anchor,
                                                ladder[up ? i + 8 : n - 1 - (i + 8)], 0);
                if (i + 4 < scan)
                        xs_window_prefetch_pair(eng->window, anchor,
                                                ladder[up ? i + 4 : n - 1 - (i + 4)], 1);
                if (!is_item(done, (size_t)n_done, ladder[k]))
                        grade_add(eng, c, anchor, ladder[k], up, 0, min_price, max_price, t, out);
        }
}

static int grade_cmp(const void *x, const void *y)
{
        const struct xs_cand *a = x, *b = y;
        if ((a->explicit_rank > 0) != (b->explicit_rank > 0))
                return a->explicit_rank > 0 ? -1 : 1;
        if (a->explicit_rank != b->explicit_rank)
                return a->explicit_rank < b->explicit_rank ? -1 : 1;
        if (a->has_evidence != b->has_evidence)
                return a->has_evidence ? -1 : 1;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        if (a->popularity != b->popularity)
                return a->popularity > b->popularity ? -1 : 1;
        if (a->same_brand != b->same_brand)
                return a->same_brand ? -1 : 1;
        return strcmp(a->name, b->name);
}

static int score_cmp(const void *x, const void *y)
{
        const struct xs_cand *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        return strcmp(a->name, b->name);
}

void xs_cand_rank(struct xs_engine *eng, struct xs_cand_set *s, int by_grade)
{
        (void)eng;
        qsort(s->c, s->n, sizeof(s->c[0]), by_grade ? grade_cmp : score_cmp);
        s->heap = 0;
}
