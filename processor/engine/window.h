/*
 * Sliding event-time co-occurrence window made of panes (Fluent Bit's hopping-window panes,
 * with the subtraction spread out).
 *
 * Every increment goes both into the global count of its key and into the delta table of the
 * pane its event time falls in. When the watermark passes a pane's end the pane is *closed*
 * (its deltas are final: the close hook may export them); when it passes end + window the
 * pane *expires* and its deltas are subtracted from the global counts. Subtraction is spread
 * over later calls (window.expiry_batch entries per call), so no single event pays for a whole
 * pane; queries stay exact meanwhile, because they subtract whatever a draining pane has not
 * given back yet (at most window.max_draining panes drain at once; beyond that the oldest is
 * drained in one go and counted as a forced drain).
 *
 * Invariant (checked by the property test): for every key, the value a query returns equals
 * the sum of the increments whose pane has not expired.
 *
 * Keys: a pair of products (a < b), a product's row (sum of its pair counts) and a product's
 * occurrences (transactions holding it, per relation); beside them, scalar transaction totals
 * per relation. Pair, occurrence and transaction counts together are the contingency table of
 * a pair in each relation (score.c), O(1) per lookup. Ids are interned product ids (>= 1).
 */
#ifndef XS_WINDOW_H
#define XS_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "xsell/common.h"

/* a / b rounded towards minus infinity (b > 0): the pane index of a time. */
static inline int64_t xs_floor_div(int64_t a, int64_t b)
{
        int64_t q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct xs_window_params {
        int64_t pane_ms;
        int64_t window_ms;
        int unbounded; /* never expire panes */
        size_t expiry_batch;
        size_t max_draining;
        size_t max_pairs;
        size_t initial_buckets; /* of the pair table (0: max_pairs / 2, so it never grows) */
};

struct xs_window_stats {
        uint64_t pairs_live;
        uint64_t pairs_cap_hits;
        uint64_t pairs_budget_refused; /* new pairs refused while xs_window_refuse_new is on */
        uint64_t pair_increments;
        uint64_t counts_refused; /* deltas refused: a count would pass XS_WINDOW_COUNT_LIMIT */
        uint64_t panes_closed;
        uint64_t panes_expired;
        uint64_t pane_entries_expired;
        uint64_t forced_drains;
        uint64_t bytes; /* memory held by tables, cells and panes */
};

/* A closed pane, as the close hook sees it. */
struct xs_window_pane;
typedef void(xs_window_close_cb)(void *opaque, const struct xs_window_pane *pane);

struct xs_window;
struct xs_window *xs_window_new(const struct xs_window_params *p);
void xs_window_destroy(struct xs_window *w);
void xs_window_set_close_hook(struct xs_window *w, xs_window_close_cb *cb, void *opaque);

/* Moves the watermark (never back): closes and expires panes. Bounded work per pane. */
void xs_window_advance(struct xs_window *w, int64_t watermark);
/* Subtracts up to budget entries of expired panes. Returns the entries still to drain. */
size_t xs_window_maintain(struct xs_window *w, size_t budget);
/* Drains every expired pane now (end of input, tests). */
void xs_window_drain_all(struct xs_window *w);

/* Cell counts stay within +-XS_WINDOW_COUNT_LIMIT: a larger delta that would pass it is refused
 * (returns 1, counted in counts_refused). */
#define XS_WINDOW_COUNT_LIMIT (INT32_MAX / 2)

/* Increments at event time t (t must not be older than the watermark's pane, which the engine
 * guarantees by dropping late events). Returns 0, 1 when dropped because cooc.max_pairs (or the
 * memory budget, xs_window_refuse_new) bit or the count would overflow,
 * -1 when out of memory. a != b. */
int xs_window_add_pair(struct xs_window *w, int64_t t, uint32_t a, uint32_t b, enum xs_relation rel,
                       int32_t delta);
int xs_window_add_occurrence(struct xs_window *w, int64_t t, uint32_t a, enum xs_relation rel,
                             int32_t delta);
/* A transaction of relation rel begins at t (an order, a customer episode, a cart, a
 * view-buy purchase: see cooc.c): the N of that relation's contingency table. */
int xs_window_add_transactions(struct xs_window *w, int64_t t, enum xs_relation rel, int32_t delta);

/* Queries (exact: draining panes are accounted for). */
void xs_window_pair(struct xs_window *w, uint32_t a, uint32_t b, int32_t out[XS_REL_COUNT]);
/* A hint that xs_window_pair(w, a, b) follows soon: stage 0 starts loading the pair's bucket,
 * stage 1 (a few calls later) its cell. Changes nothing; a caller scanning many pairs issues
 * both ahead of its lookups so that their cache misses overlap. */
void xs_window_prefetch_pair(const struct xs_window *w, uint32_t a, uint32_t b, int stage);
void xs_window_row(struct xs_window *w, uint32_t a, int64_t out[XS_REL_COUNT]);
void xs_window_occurrence(struct xs_window *w, uint32_t a, int64_t out[XS_REL_COUNT]);
/* Pair mass and transactions per relation in the window. */
void xs_window_totals(struct xs_window *w, int64_t pair_total[XS_REL_COUNT],
                      int64_t tx[XS_REL_COUNT]);
/* Calls cb for every product b paired with a (any non-zero count), each once (a pair whose
 * counts are all negative may be missed while a pane drains; no offer uses those). Order is the
 * order in which the pairs first appeared (deterministic). */
void xs_window_neighbors(struct xs_window *w, uint32_t a,
                         void (*cb)(void *opaque, uint32_t b, const int32_t n[XS_REL_COUNT]),
                         void *opaque);
/* Products that have ever had a row (1..max id seen). */
uint32_t xs_window_max_id(const struct xs_window *w);

/* st.bytes is a recount: it walks the panes. */
void xs_window_stats(const struct xs_window *w, struct xs_window_stats *st);
/* The bytes xs_window_stats reports, kept as the window grows and shrinks: O(1). */
uint64_t xs_window_bytes(const struct xs_window *w);
/* While on, increments that would create a new pair are dropped (xs_window_add_pair returns
 * 1) and counted in pairs_budget_refused, as cooc.max_pairs does; existing pairs still count.
 * The engine turns it on while memory.budget is exceeded. */
void xs_window_refuse_new(struct xs_window *w, int on);
/* Panes closed + expired so far: changes exactly when counts move at pane granularity. */
uint64_t xs_window_epoch(const struct xs_window *w);
/* A number that changes with every change of the window a query can see (an increment, a pane
 * expiring): a result derived from the window alone is current while it stays the same. */
uint64_t xs_window_version(const struct xs_window *w);
/* Pair increments applied so far (cheap; xs_window_stats walks the panes). */
uint64_t xs_window_increments(const struct xs_window *w);

/* Calls cb for every pane the watermark has not closed yet, oldest first (the same view as the
 * close hook's, of panes whose deltas may still change). */
void xs_window_foreach_open(const struct xs_window *w,
                            void (*cb)(void *opaque, const struct xs_window_pane *pane),
                            void *opaque);

/* Closed-pane view for the close hook. */
int64_t xs_window_pane_start(const struct xs_window_pane *pane);
int64_t xs_window_pane_end(const struct xs_window_pane *pane);
int64_t xs_window_pane_orders(const struct xs_window_pane *pane);
int64_t xs_window_pane_tx(const struct xs_window_pane *pane, enum xs_relation rel);
/* Calls cb for every pair (b != 0, a < b) and occurrence row (b == 0) delta of the pane. */
void xs_window_pane_foreach(const struct xs_window_pane *pane,
                            void (*cb)(void *opaque, uint32_t a, uint32_t b,
                                       const int32_t n[XS_REL_COUNT]),
                            void *opaque);

#endif
