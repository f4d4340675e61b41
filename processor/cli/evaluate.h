/*
 * The measuring part of `xsell evaluate` (evaluate.c): what the command keeps while the events
 * are replayed through the two engines (the configured one and cooc.score=count), and the
 * figures of its report. Per evaluation-period offer: its products, the popularity baseline for
 * the same moment, and the hits of the purchases that follow within attribution.window; per
 * customer: the offers still open; the catalog-rules check of every upsell/downsell item; and
 * the protocol table's bootstrap intervals over customers. Popularity is filtered by the
 * engine's own guardrails (xs_cand_guard_ok on the engine's customer state), so all three
 * rankings are held to one guard, the exact bought-within-horizon rule included.
 *
 * cmd_evaluate.c owns the options, the reading loop and the printing: it feeds each event
 * (xs_evaluate_customer / xs_evaluate_product for its ids, the engines with the sink callbacks
 * below, then xs_evaluate_observe) and prints what xs_evaluate_build_report adds up. Nothing
 * here prints but the --rules-verbose lines on stderr, and nothing reads the clock.
 *
 * Bounds: memory grows with the distinct customers and products and the evaluation-period
 * offers; popularity keeps the purchases of the last window.size and EV_TOP candidates; the
 * current event at most 1024 distinct items. The bootstrap draws --bootstrap resamples of the
 * customers with an offer, per row: O(rows x B x customers) time, O(customers + B) memory.
 */
#ifndef XS_CLI_EVALUATE_H
#define XS_CLI_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "xsell/xsell.h"

struct xs_intern;

#define EV_TOP   64 /* popularity candidates kept, before the per-offer guardrails */
#define EV_HIT_K 3  /* hit@3 */
#define EV_ROWS  (XS_OFFER_COUNT * XS_STAGE_COUNT)
_Static_assert(EV_ROWS <= 64, "ev_cust.mask has one bit per row");

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

struct ev_cust {
        uint64_t mask[EV_N]; /* bit per (type, stage) offered in the evaluation period */
        uint8_t seen_eval;
        uint32_t *pend; /* open offers: engine << 31 | index */
        size_t n_pend, cap_pend;
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
        int resamples; /* --bootstrap */
};

/* The figures of one report row, for both engines. */
struct ev_report_row {
        struct ev_row r[EV_N];
        uint64_t cust[EV_N];
        uint64_t matched, m_hit1[EV_N], m_hit3[EV_N];
};

/* The rankings of the protocol table: the engine, popularity at the engine's moments, and the
 * cooc.score=count engine's own offers. */
enum { EV_R_ENGINE, EV_R_POP, EV_R_COUNT, EV_R_N };

/* One row of the protocol table (a moment and offer type, or the total): per ranking its
 * offers, hits, customers with an offer, and the 95% percentile intervals of hit@1 and hit@3
 * from resampling the customers with replacement; and the hit@3 ratios engine / popularity and
 * engine / count with their intervals from the same resamples (paired). An interval is NaN when
 * it is undefined (no offers; a ratio whose denominator is 0 in more than 2.5% of resamples). */
struct ev_boot_row {
        uint64_t offers[EV_R_N], hit1[EV_R_N], hit3[EV_R_N], cust[EV_R_N];
        double lo1[EV_R_N], hi1[EV_R_N], lo3[EV_R_N], hi3[EV_R_N];
        double pop_ratio, pop_lo, pop_hi, count_ratio, count_lo, count_hi;
};

/* Fills boot[0..EV_ROWS] (per type and stage, then the total) with resamples resamples of the
 * customers (deterministic: a fixed seed per row; 0 resamples: intervals NaN). Returns 0, or -1
 * when out of memory. */
int xs_evaluate_bootstrap(struct evaluate *ev, int resamples, struct ev_boot_row *boot);

/* Ids of the command's interning (1..n), growing the per-id arrays; 0 / NULL with ev->nomem set
 * when out of memory. xs_evaluate_customer also gives the id in *out (may be NULL). */
uint32_t xs_evaluate_product(struct evaluate *ev, const char *id);
struct ev_cust *xs_evaluate_customer(struct evaluate *ev, const char *id, uint32_t *out);
/* The sink of each engine (opaque: its struct ev_engine): every offer is rules-checked; those of
 * the evaluation period are recorded with their popularity baseline; outcomes are counted. */
void xs_evaluate_on_offer(void *opaque, const struct xs_offer *o);
void xs_evaluate_on_outcome(void *opaque, const struct xs_outcome *o);
/* 1 when id is one of items[0..n). */
int xs_evaluate_in_items(const uint32_t *items, size_t n, uint32_t id);
/* After the configured engine accepted event e (ev->cur): customers of the evaluation period,
 * carts and purchase histories, popularity counts, and the hits of a purchase. */
void xs_evaluate_observe(struct evaluate *ev, const struct xs_event *e);
/* Adds up rep[0..EV_ROWS] (per type and stage, then the total) from the recorded offers.
 * Returns 0, or -1 when out of memory. */
int xs_evaluate_build_report(struct evaluate *ev, struct ev_report_row *rep);

#endif
