/*
 * Per-customer state and the customer store.
 *
 * Per-customer state is everything in struct xs_customer: bounded arrays only (cart lines,
 * purchase history, recent views, open offers), so a customer's cost is bounded and the whole
 * of it can be serialized (xs_engine_customer_export, state.c). The store finds a customer by
 * id, gives it a slot (timers name a customer by slot and generation, so a dropped customer's
 * timers go stale) and keeps the customers in LRU order: at customers.max the least recently
 * active one is evicted.
 */
#ifndef XS_CUSTOMER_H
#define XS_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

#include "util/conf_table.h"
#include "util/xs_uthash.h"
#include "xsell/common.h"
#include "xsell/event.h"
#include "xsell/offer.h"

struct xs_engine;

#define XS_CART_MAX 64 /* cart lines kept per customer */
/* The latest deadline: an event time plus the longest configurable duration (3660 days) and a
 * margin. Timers, cooldowns and attribution windows are below it; so is xs_engine_advance. */
#define XS_MAX_DEADLINE (XS_MAX_TIME + 4000 * XS_DAY_MS)

/* A customer's journey timers (journey.c arms them; engine.c fires them into the policy). */
enum xs_timer_kind {
        XS_TIMER_CART,
        XS_TIMER_ONBOARDING,
        XS_TIMER_LEAD,
        XS_TIMER_REORDER, /* buy again: the next learned re-order time (reorder.c) */
        XS_TIMER_COUNT
};

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

/* One product of the bought guard's set: the customer's last purchase of it, in minutes since
 * the epoch rounded up (a purchase counts as made at the end of its minute, so the guard is at
 * most a minute stricter than the millisecond rule, never looser; XS_MAX_TIME fits in 32 bits
 * of minutes), and what the category re-buy learning (reorder.c) noted of that purchase: flags
 * of this process only, never exported (a restored entry has none); and the customer's own count
 * of purchases of it (times, span_h: exported, state.c version 5). 12 bytes. */
/* a purchase this long or more after the previous one of the product is a re-purchase (shorter:
 * the same order split in two); reorder.c holds it equal to XS_REORDER_MIN_GAP */
#define XS_BOUGHT_REPEAT_GAP (24 * 3600000LL)
#define XS_BOUGHT_REBUY      1 /* the purchase re-bought its category (an earlier one in the window) */
#define XS_BOUGHT_COUNTED                                                                          \
        2 /* the customer is counted in its category's buyers at this purchase                     \
           */
struct xs_bought {
        uint32_t product;
        uint32_t minute;
        uint8_t flags; /* XS_BOUGHT_*: 0 when the set records a purchase */
        /* the customer's own repeat evidence (buy again, reorder.c), in what was padding: its
         * purchases of the product while the entry lived (a purchase XS_BOUGHT_REPEAT_GAP or more
         * after the previous one counts; saturating at 255) and the hours from the first of
         * them to minute (saturating at 65535, about 7.5 years). 1 and 0 for a new entry. */
        uint8_t times;
        uint16_t span_h;
};

/* An open offer: attributable until attribution_until, alive (the repeat guard, policy.c) until
 * expires_at, the offer's own expiry (offer.ttl on site, offer.email_ttl by e-mail). */
struct xs_pending {
        char offer_id[XS_OFFER_ID_LEN];
        uint8_t type, stage, control, n;
        uint8_t channel;
        int64_t created_at, attribution_until, expires_at;
        uint32_t products[XS_OFFER_MAX_ITEMS];
};

/* An offer made, kept for the debug view (debug.recent_offers): what the offer record says of
 * why. rule and score_kind are the engine's static strings; trigger is owned. */
struct xs_recent_item {
        uint32_t product;
        double score;
        struct xs_evidence ev;
};
struct xs_recent {
        char offer_id[XS_OFFER_ID_LEN];
        const char *rule, *score_kind;
        char *trigger; /* the trigger event's id, NULL if none */
        uint32_t anchor;
        uint8_t type, stage, channel, control, n;
        int64_t created_at;
        struct xs_recent_item items[XS_OFFER_MAX_ITEMS];
};

struct xs_customer {
        char *id;
        UT_hash_handle hh;
        uint32_t slot;
        uint32_t acct_bytes; /* its bytes as last accounted in the engine's customer_bytes */
        struct xs_customer *lru_prev, *lru_next; /* most recent at the head */
        uint8_t stage;
        uint8_t subscribed, email_ok, has_purchased, value_realized;
        uint8_t onboarding_offered; /* the one onboarding complement offer of a purchase */
        uint8_t lead_done;          /* the LEAD e-mails stopped: journey.lead_max_emails */
        uint32_t tag;               /* input partition (xs_engine_set_tag) */
        uint8_t dirty;              /* listed in the engine's changes (xs_customer_touch) */
        int64_t stage_since, last_event_time;
        int64_t last_purchase_at, onboarding_until, cooldown_until, lead_last_offer;
        int64_t cap_day;
        uint16_t offers_today, offers_type_today[XS_OFFER_COUNT]; /* caps.* allow 1000 */
        int64_t timer_due[XS_TIMER_COUNT];                        /* 0: not armed */
        int64_t reorder_at;       /* buy again: re-orders due up to here have been handled */
        char *cart_event_id;      /* last cart change (trigger of the abandonment offer) */
        char *subscribe_event_id; /* trigger of lead offers */
        char currency[XS_CURRENCY_LEN];
        struct xs_cart_line *cart;
        uint16_t n_cart;
        uint64_t open_order;   /* hash of the order being assembled; 0 none */
        uint32_t *order_items; /* its distinct items, at most cooc.max_basket_items */
        uint16_t n_order;
        int64_t episode_start; /* the customer episode (cooc.c) began here; 0 none */
        struct xs_hist *hist;  /* ring of recent purchases, oldest first (pairs, buy-again) */
        uint16_t n_hist;
        /* the bought guard (xs_customer_bought_recently): every product bought within
         * guard.bought_horizon, sorted by product id, at most guard.max_bought; when that cap
         * evicts a product still within the horizon, bought_floor (the latest purchase time
         * evicted, 0: none) and bought_bits (one of 64 bits per evicted product, by the hash
         * of its external id) keep the guard stricter, never looser: see customer.c */
        struct xs_bought *bought;
        uint16_t n_bought;
        int64_t bought_floor;
        uint64_t bought_bits;
        struct xs_view *views; /* ring of recent views, oldest first */
        uint16_t n_views;
        struct xs_pending *pending; /* open offers for attribution, oldest first */
        uint16_t n_pending;
        /* the LEAD e-mails of this lead period (SUBSCRIBE to purchase or UNSUBSCRIBE), all
         * unanswered (a purchase ends the period): the product of each, so a later one rotates
         * to another, at most journey.lead_max_emails (the series stops there, so the cap never
         * drops one); policy.c */
        uint32_t *lead_products;
        uint8_t n_lead;
        /* allocated lengths: arrays grow on demand up to their caps, so a customer who only
         * browses costs a few views, not the cart, history and offer arrays at full size */
        uint16_t cap_cart, cap_order, cap_hist, cap_views, cap_pending, cap_bought, cap_lead;
        /* the last debug.recent_offers offers, a ring (allocated at that size on the first
         * offer): recent_next is where the next one goes, n_recent how many are kept */
        struct xs_recent *recent;
        uint8_t n_recent, recent_next, cap_recent;
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

/* ---- the store ---------------------------------------------------------------------- */

/* The customer of id, or NULL; does not touch the LRU order. */
struct xs_customer *xs_customer_find(struct xs_engine *eng, const char *id);
/* The customer of id, now the most recently active; a new one (BROWSING, tagged with the
 * engine's tag) if it was not tracked. A new customer evicts the least recently active one at
 * customers.max, and up to two of them while the engine is over memory.budget (so the store
 * shrinks). NULL when out of memory. */
struct xs_customer *xs_customer_get(struct xs_engine *eng, const char *id);
/* Removes c and all of its state; its pending timers become stale (slot generation). */
void xs_customer_drop(struct xs_engine *eng, struct xs_customer *c);
/* xs_customer_drop of a customer whose state ends (FORGET, eviction): with changes tracked, its
 * id is listed for a tombstone. Not for a revoked partition's customers: they move. */
void xs_customer_end(struct xs_engine *eng, struct xs_customer *c);
/* With changes tracked (xs_engine_track_changes), lists c as changed, once. */
void xs_customer_touch(struct xs_engine *eng, struct xs_customer *c);
/* Frees a customer that is not linked into an engine (and its arrays). */
void xs_customer_free(struct xs_customer *c);
/* Links c, built unlinked by state import, into the engine: an existing customer of the same
 * id is dropped first, then c takes a slot, the id hash and the head of the LRU. Timers are
 * not armed. Returns 0 (c is now owned by the engine) or -1 out of memory (c is still the
 * caller's, and the old customer of that id, if any, is still in place). */
int xs_customer_install(struct xs_engine *eng, struct xs_customer *c);

/* ---- memory (memory.budget) ------------------------------------------------------- */

/* The bytes c holds: the struct, its id and event id strings, and its arrays as allocated
 * (each allocation counted with 16 bytes of malloc's own header). */
size_t xs_customer_bytes(const struct xs_customer *c);
/* Brings c's share of the engine's customer_bytes up to date after c changed. The store does it
 * when a customer comes and goes; the engine after each event's and timer's work on c. */
void xs_customer_account(struct xs_engine *eng, struct xs_customer *c);
/* The customer store's bytes: every customer as last accounted, the slot arrays and the id
 * hash's table. O(1). */
uint64_t xs_customer_store_bytes(const struct xs_engine *eng);

/* Ends c's lead period: its LEAD e-mail series and memory start again from nothing. */
void xs_customer_lead_reset(struct xs_customer *c);

/* ---- the cart and what the policy reads --------------------------------------------- */

/* Adds qty of product to the cart. The line's quantity saturates at max_qty
 * (event.max_quantity); a price below 0 (unknown) keeps the line's price; a product beyond
 * XS_CART_MAX lines is not tracked. */
void xs_customer_cart_add(struct xs_customer *c, uint32_t product, int32_t qty, int64_t price,
                          int64_t max_qty);
/* Takes qty of product out of the cart. Returns 1 when the line was in the cart. */
int xs_customer_cart_remove(struct xs_customer *c, uint32_t product, int32_t qty);
int xs_customer_in_cart(const struct xs_customer *c, uint32_t product);
/* 1 when c bought product within guard.bought_horizon before t (t - horizon <= purchase time),
 * from the exact bought set: the rule of the engine's guardrail and of every baseline of
 * `xsell evaluate`. When guard.max_bought has bitten it may also answer 1 for a product not
 * bought within the horizon (stricter), never 0 for one that was. */
int xs_customer_bought_recently(const struct xs_engine *eng, const struct xs_customer *c,
                                uint32_t product, int64_t t);
/* The index of product in c->bought (sorted by product), -1 when it is not there. */
long xs_customer_bought_index(const struct xs_customer *c, uint32_t product);
/* Records the purchase at t of items[0..n) (distinct) in the bought set. Entries no lookup can
 * need any more are pruned first; at guard.max_bought the oldest entry is evicted into the cap
 * rule (bought_floor, bought_bits) and counted in guard_bought_evictions. Out of memory: the
 * product goes into the cap rule, so the guard stays on the safe side. */
void xs_customer_bought_add(struct xs_engine *eng, struct xs_customer *c, int64_t t,
                            const uint32_t *items, size_t n);
/* The minute xs_bought keeps for a purchase at t (ms): rounded up. */
uint32_t xs_customer_bought_minute(int64_t t);
/* The bit of bought_bits for a product's external id. */
uint64_t xs_customer_bought_bit(const char *product_id);
/* The cart's value: the sum of quantity * unit price of the priced lines (saturating). */
int64_t xs_customer_cart_value(const struct xs_customer *c);

#endif
