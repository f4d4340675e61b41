/*
 * Engine internals shared by engine.c (events, journey, timers, customers), cooc.c (what an
 * event adds to the window), score.c (significance) and policy.c (offers and guardrails).
 *
 * Per-customer state is everything in struct xs_customer: bounded arrays only (cart lines,
 * purchase history, recent views, open offers), so a customer's cost is bounded and the whole
 * of it can be serialized (xs_engine_customer_export).
 */
#ifndef XS_ENGINE_INT_H
#define XS_ENGINE_INT_H

#include <stdint.h>

#include "engine/catalog.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/pool.h"
#include "engine/window.h"
#include "util/xs_uthash.h"
#include "xsell/engine.h"

#define XS_CART_MAX 64 /* cart lines kept per customer */
/* The latest deadline: an event time plus the longest configurable duration (3660 days) and a
 * margin. Timers, cooldowns and attribution windows are below it; so is xs_engine_advance. */
#define XS_MAX_DEADLINE (XS_MAX_TIME + 4000 * XS_DAY_MS)
#define XS_ORDER_MAX    256 /* items of the open order kept for same-order pairs */

enum xs_timer_kind { XS_TIMER_CART, XS_TIMER_ONBOARDING, XS_TIMER_LEAD, XS_TIMER_COUNT };

struct xs_cart_line {
        uint32_t product;
        int32_t quantity;
        int64_t unit_price;
};

struct xs_hist {
        uint32_t product;
        int64_t t;
        uint64_t order; /* hash of the order id */
};

struct xs_view {
        uint32_t product;
        int64_t t;
};

struct xs_pending {
        char offer_id[XS_OFFER_ID_LEN];
        uint8_t type, stage, control, n;
        int64_t created_at, attribution_until;
        uint32_t products[XS_OFFER_MAX_ITEMS];
};

struct xs_customer {
        char *id;
        UT_hash_handle hh;
        uint32_t slot;
        struct xs_customer *lru_prev, *lru_next; /* most recent at the head */
        uint8_t stage;
        uint8_t subscribed, email_ok, has_purchased, value_realized;
        uint8_t onboarding_offered; /* the one onboarding complement offer of a purchase */
        uint32_t tag;               /* input partition (xs_engine_set_tag) */
        int64_t stage_since, last_event_time;
        int64_t last_purchase_at, onboarding_until, cooldown_until, lead_last_offer;
        int64_t cap_day;
        uint16_t offers_today, offers_type_today[XS_OFFER_COUNT]; /* caps.* allow 1000 */
        int64_t timer_due[XS_TIMER_COUNT];                        /* 0: not armed */
        char *cart_event_id;      /* last cart change (trigger of the abandonment offer) */
        char *subscribe_event_id; /* trigger of lead offers */
        char currency[XS_CURRENCY_LEN];
        struct xs_cart_line *cart;
        uint16_t n_cart;
        uint64_t open_order;   /* hash of the order being assembled; 0 none */
        uint32_t *order_items; /* its distinct items, at most cooc.max_basket_items */
        uint16_t n_order;
        struct xs_hist *hist; /* ring of recent purchases, oldest first */
        uint16_t n_hist;
        struct xs_view *views; /* ring of recent views, oldest first */
        uint16_t n_views;
        struct xs_pending *pending; /* open offers for attribution, oldest first */
        uint16_t n_pending;
        /* allocated lengths: arrays grow on demand up to their caps, so a customer who only
         * browses costs a few views, not the cart, history and offer arrays at full size */
        uint16_t cap_cart, cap_order, cap_hist, cap_views, cap_pending;
};

/* Money arithmetic saturates at INT64_MAX / INT64_MIN: a cart of legal lines (unit price up to
 * event.max_unit_price, 4e18) can exceed int64, and the offer then shows the largest value
 * rather than a wrapped one. */
static inline int64_t xs_money_add(int64_t a, int64_t b)
{
        int64_t r;
        if (__builtin_add_overflow(a, b, &r))
                return b > 0 ? INT64_MAX : INT64_MIN;
        return r;
}

static inline int64_t xs_money_mul(int64_t a, int64_t b)
{
        int64_t r;
        if (__builtin_mul_overflow(a, b, &r))
                return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
        return r;
}

/* Grows *arr (elements of elem bytes, *cap allocated) to hold need; returns 0 or -1. */
int xs_reserve(void **arr, uint16_t *cap, size_t elem, size_t need);
#define XS_RESERVE(arr, cap, need) xs_reserve((void **)&(arr), &(cap), sizeof(*(arr)), (need))

struct xs_timer {
        int64_t due;
        uint64_t seq; /* ties fire in arming order: deterministic */
        uint32_t slot, gen;
        uint8_t kind;
};

struct xs_dedup_entry {
        uint64_t hash;
        int64_t t;
        UT_hash_handle hh;
};

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

struct xs_engine {
        const struct xs_params *p; /* of conf */
        struct xs_conf *conf;      /* owned copy */
        struct xs_sink sink;
        struct xs_intern *products;
        struct xs_catalog *catalog;
        struct xs_window *window;
        uint64_t control_threshold; /* hash(customer) below this: control group */
        uint64_t control_seed;
        int score_lift;
        int score_count;  /* cooc.score=count: the raw weighted pair count k11 */
        int rank_support; /* cooc.rank=support: pairs that pass the score rank by k11 */

        /* customers */
        struct xs_customer *customers; /* hash by id */
        struct xs_customer *lru_head, *lru_tail;
        struct xs_customer **slots;
        uint32_t *slot_gen;
        uint32_t n_slots, cap_slots;
        uint32_t *free_slots;
        uint32_t n_free;

        /* timers: binary min-heap by (due, seq) */
        struct xs_timer *timers;
        size_t n_timers, cap_timers;
        uint64_t timer_seq;

        /* duplicate suppression: set of event id hashes + FIFO of insertion */
        struct xs_dedup_entry *dedup;
        struct xs_dedup_entry **dedup_fifo;
        size_t dedup_head, dedup_count;
        struct xs_pool dedup_pool;

        int64_t max_event_time;
        int64_t watermark;
        uint32_t tag; /* applied to the customers of the events that follow */
        int external_clock;

        void (*pane_hook)(void *opaque, const struct xs_pane_delta *delta);
        void *pane_opaque;

        struct xs_comp_cache *comp_cache; /* [product id] */
        uint32_t n_comp_cache;

        struct xs_stats st;
};

/* engine.c */
/* Frees a customer that is not linked into an engine (and its arrays). */
void xs_customer_free(struct xs_customer *c);
/* Links c, built unlinked by state import, into the engine: an existing customer of the same
 * id is dropped first, then c takes a slot, the id hash and the head of the LRU. Timers are
 * not armed. Returns 0 (c is now owned by the engine) or -1 out of memory (c is still the
 * caller's, and the old customer of that id, if any, is still in place). */
int xs_engine_customer_install(struct xs_engine *eng, struct xs_customer *c);
void xs_engine_set_stage(struct xs_engine *eng, struct xs_customer *c, enum xs_stage to, int64_t t,
                         const char *trigger_event_id, const char *reason);

/* cooc.c: what an event adds to the window */
void xs_cooc_view(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product);
void xs_cooc_cart_add(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product);
void xs_cooc_cart_remove(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product);
/* items: distinct products of one PURCHASE event (already capped) */
void xs_cooc_purchase(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint64_t order,
                      const uint32_t *items, size_t n);

/* score.c */
double xs_llr(int64_t k11, int64_t k12, int64_t k21, int64_t k22);
/* Fills evidence for the pair (a, b) under view v and returns its ranking score (signed llr or
 * lift per cooc.score). *support gets the raw pair count of the view's relations. */
double xs_score_pair(struct xs_engine *eng, enum xs_score_view v, uint32_t a, uint32_t b,
                     const int32_t n[XS_REL_COUNT], struct xs_evidence *ev, int64_t *support);

/* policy.c */
void xs_policy_on_event(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                        const uint32_t *items, size_t n_items);
void xs_policy_on_timer(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind,
                        int64_t due);
void xs_policy_attribute(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                         const uint32_t *items, size_t n_items);

/* helpers shared by the modules */
int xs_customer_in_cart(const struct xs_customer *c, uint32_t product);
int xs_customer_bought_since(const struct xs_customer *c, uint32_t product, int64_t since);
int64_t xs_customer_cart_value(const struct xs_customer *c);
void xs_timer_arm(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind,
                  int64_t due);
void xs_timer_cancel(struct xs_customer *c, enum xs_timer_kind kind);

#endif
