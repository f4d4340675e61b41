/*
 * Offer candidates: the products an offer could carry, each past the customer's guardrails,
 * kept in a bounded set that holds the best ones by a total ranking. Two sources: the
 * complements of a cart's or order's priciest items (cross-sell, from the co-occurrence
 * window) and the category price ladder of an anchor (upsell and downsell).
 */
#ifndef XS_CAND_H
#define XS_CAND_H

#include <stddef.h>
#include <stdint.h>

#include "xsell/offer.h"

struct xs_customer;
struct xs_engine;

#define XS_CAND_MAX 64 /* candidates a set holds */

struct xs_cand {
        uint32_t id;
        const char *name; /* external id: the last tie-break, so ranking needs no global */
        double score;
        int explicit_rank; /* 0 = not an explicit target, else 1-based rank */
        int has_evidence;
        int same_brand;
        int lazy_evidence;  /* never seen together: evidence computed only if offered */
        int addon;          /* an explicit upgrade target the catalog marks as an add-on */
        int64_t popularity; /* grades: orders with the product in the window, the tie-break
                             * of candidates with equal evidence */
        int64_t price;
        struct xs_evidence ev;
};

/* Once full (cap entries, at most XS_CAND_MAX), c[] is a binary heap with the weakest
 * candidate (by the set's ranking) at c[0], so a newcomer costs one comparison when it loses
 * and O(log cap) when it replaces the weakest; xs_cand_rank() sorts the set before anything
 * reads it in order. The set always holds the best cap candidates put, whatever the order they
 * came in (the ranking is total: the last tie-break is the unique external id). */
struct xs_cand_set {
        struct xs_cand c[XS_CAND_MAX];
        size_t n;
        size_t cap;   /* how many best candidates the set keeps: 0 means XS_CAND_MAX */
        int by_grade; /* ranked (and evicted when full) by grade_cmp, else by score_cmp */
        int heap;     /* c[] is a heap (weakest first): set when it fills, cleared by ranking */
};

/* The guardrails every offered product passes (PRODUCT.md §3), whatever ranked it: not the
 * anchor, known and in stock, not in c's cart, not bought within guard.bought_horizon before t
 * (xs_customer_bought_recently), the anchor's currency. 1 when id may be offered. The engine's
 * candidates and the baselines of `xsell evaluate` are filtered by this one function. */
int xs_cand_guard_ok(const struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor,
                     uint32_t id, int64_t t);
/* Puts into out (cap 0: offer.max_items) the best complements of the offer.max_anchors
 * priciest of all[0..n_all) that cost at least min_price; all's own items are never put. */
void xs_cand_complements(struct xs_engine *eng, const struct xs_customer *c, const uint32_t *all,
                         size_t n_all, int64_t t, int64_t min_price, struct xs_cand_set *out);
/* Puts into out the upsell (up 1) or downsell (up 0) candidates of anchor: its explicit
 * targets first, then (with_ladder 1) its category's ladder, all within the price ratios; an
 * explicit upgrade target marked as an add-on is put whatever its price (cd->addon), and never
 * downsold. Keeps the best out->cap (0: offer.max_items for an upsell, 1 for a downsell). */
void xs_cand_grades(struct xs_engine *eng, const struct xs_customer *c, uint32_t anchor, int up,
                    int with_ladder, int64_t t, struct xs_cand_set *out);
/* Sorts s best first: by grade (upsell/downsell) or by score (cross-sell). */
void xs_cand_rank(struct xs_engine *eng, struct xs_cand_set *s, int by_grade);

#endif
