/*
 * Engine outputs: offers, journey signals and offer outcomes (PRODUCT.md §2, §6, §7).
 *
 * The engine hands these to the sink callbacks of struct xs_sink. They are views into engine
 * memory, valid only during the callback: copy or encode them before returning.
 */
#ifndef XSELL_OFFER_H
#define XSELL_OFFER_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XS_OFFER_MAX_ITEMS      8
#define XS_OFFER_MAX_INCENTIVES 3
#define XS_OFFER_ID_LEN         33 /* 32 hex digits + NUL */

/* Why one product was offered: the contingency table of the score and the raw relation counts
 * in the window (PRODUCT.md §3 "an offer carries the evidence"). */
struct xs_evidence {
        int64_t k11, k12, k21, k22; /* weighted contingency table behind llr and lift */
        double llr;                 /* signed log-likelihood ratio (negative: less likely) */
        double lift;
        int32_t rel[XS_REL_COUNT]; /* pair counts per relation in the window */
        /* BUY_AGAIN items (0 otherwise): the product's learned re-purchase interval, the
         * customer's last purchase of it (event time ms) and the repeat buyers behind the
         * interval */
        int64_t reorder_interval_ms;
        int64_t last_purchase_at;
        int32_t repeat_buyers;
};

struct xs_offer_item {
        const char *product_id;
        const char *category; /* NULL if unknown */
        const char *brand;    /* NULL if unknown */
        int64_t price;        /* minor units */
        double score;         /* the ranking score (see the offer's rule) */
        struct xs_evidence evidence;
        const char *category_label; /* readable name of category (REES46: category_code) or NULL */
        const char *addon; /* the add-on kind (warranty, plan...) if the catalog marks the product
                            * as an add-on, else NULL */
};

struct xs_incentive {
        enum xs_incentive_kind kind;
        int32_t percent;   /* PERCENT_OFF, BUNDLE_DISCOUNT, NEXT_PURCHASE_COUPON; else 0 */
        int64_t threshold; /* cart value that qualifies (minor units); 0 if none */
        int64_t amount;    /* FREE_SHIPPING: the gap the offer fills; else 0 */
        char currency[XS_CURRENCY_LEN];
        int64_t valid_until; /* event time ms */
};

struct xs_offer {
        char offer_id[XS_OFFER_ID_LEN]; /* deterministic: replays and retries give the same id */
        const char *customer_id;
        enum xs_offer_type type;
        enum xs_stage stage;
        enum xs_channel channel;
        const char *trigger_event_id; /* the event (or the timer's origin event) behind it */
        const char *anchor_product_id;
        size_t n_items;
        struct xs_offer_item items[XS_OFFER_MAX_ITEMS];
        size_t n_incentives;
        struct xs_incentive incentives[XS_OFFER_MAX_INCENTIVES];
        const char *rule;       /* e.g. "checkout_cross_sell", "cart_abandoned_downsell" */
        const char *score_kind; /* llr, lift, count, llr+support, lift+support, llr+basket,
                                 * lift+basket or catalog */
        int64_t window_ms;      /* the co-occurrence window the evidence comes from */
        int64_t cart_value;     /* minor units at the time of the offer; 0 if empty */
        char currency[XS_CURRENCY_LEN];
        int64_t created_at; /* event time of the trigger */
        int64_t expires_at;
        int control; /* 1: customer is in the control group; the offer was withheld */
};

struct xs_signal {
        const char *customer_id;
        enum xs_stage from;
        enum xs_stage to;
        const char *trigger_event_id; /* NULL when a timer moved the stage */
        const char *reason;           /* e.g. "add_to_cart", "cart_timeout" */
        int64_t event_time;
};

struct xs_outcome {
        const char *offer_id;
        const char *customer_id;
        enum xs_offer_type type;
        enum xs_stage stage;
        const char *product_id; /* the offered product that was bought */
        const char *order_id;   /* may be NULL */
        const char *purchase_event_id;
        int64_t offer_created_at;
        int64_t converted_at;
        int control; /* 1: a control-group customer bought what would have been offered */
};

/* Where the engine delivers what it produces. Any callback may be NULL. The data passed is
 * valid only during the call. Callbacks must not call back into the engine. */
struct xs_sink {
        void (*offer)(void *opaque, const struct xs_offer *offer);
        void (*signal)(void *opaque, const struct xs_signal *signal);
        void (*outcome)(void *opaque, const struct xs_outcome *outcome);
        void *opaque;
};

#ifdef __cplusplus
}
#endif
#endif
