/*
 * xsell common types: error codes and how a caller must react to each, the domain enums of
 * PRODUCT.md (event types, journey stages, offer types, channels, incentives) with their wire
 * names, and money.
 *
 * Every enum here has a *_COUNT sentinel and a name table; names are the Avro enum symbols,
 * so the table is the single place where the C and the wire spellings meet.
 */
#ifndef XSELL_COMMON_H
#define XSELL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes of public fallible calls. xs_err_action() says what the caller must do. */
typedef enum xs_err {
        XS_OK = 0,
        XS_ERR_CONF,      /* bad configuration: stop */
        XS_ERR_INVALID,   /* a record breaks the contract: dead-letter it, go on */
        XS_ERR_DECODE,    /* a record cannot be decoded: dead-letter it, go on */
        XS_ERR_NOMEM,     /* out of memory or over a memory cap: stop */
        XS_ERR_IO,        /* file or network I/O failed: retry or stop (caller's choice) */
        XS_ERR_RETRY,     /* transient (broker, registry outage): retry */
        XS_ERR_NOT_FOUND, /* the thing asked for does not exist */
        XS_ERR_FATAL,     /* internal or unrecoverable: stop */
        XS_ERR_COUNT
} xs_err_t;

typedef enum xs_err_action {
        XS_ACTION_NONE,
        XS_ACTION_RETRY,
        XS_ACTION_DEAD_LETTER,
        XS_ACTION_STOP
} xs_err_action_t;

const char *xs_err_name(xs_err_t err);
xs_err_action_t xs_err_action(xs_err_t err);

/* Customer event types (PRODUCT.md §7). UNKNOWN is the Avro enum default for symbols added by
 * a newer writer; the engine rejects it as a contract violation. */
enum xs_event_type {
        XS_EV_PRODUCT_VIEW,
        XS_EV_ADD_TO_CART,
        XS_EV_REMOVE_FROM_CART,
        XS_EV_CHECKOUT_START,
        XS_EV_PURCHASE,
        XS_EV_SUBSCRIBE,
        XS_EV_UNSUBSCRIBE,
        XS_EV_USAGE_MILESTONE,
        XS_EV_REFERRAL,
        XS_EV_OFFER_DISMISSED,
        XS_EV_FORGET,
        XS_EV_UNKNOWN,
        XS_EV_COUNT
};

/* Journey stages (PRODUCT.md §2). */
enum xs_stage {
        XS_STAGE_BROWSING,
        XS_STAGE_UNDECIDED,
        XS_STAGE_CART,
        XS_STAGE_CHECKOUT,
        XS_STAGE_PURCHASED,
        XS_STAGE_ONBOARDING,
        XS_STAGE_VALUE_REALIZED,
        XS_STAGE_CART_ABANDONED,
        XS_STAGE_LEAD,
        XS_STAGE_REORDER_DUE, /* the learned re-purchase interval of a bought product elapsed */
        XS_STAGE_COUNT
};

/* BUY_AGAIN: products the customer bought before, offered again when their learned re-purchase
 * interval has elapsed (reorder.c). */
enum xs_offer_type {
        XS_OFFER_CROSS_SELL,
        XS_OFFER_UPSELL,
        XS_OFFER_DOWNSELL,
        XS_OFFER_BUY_AGAIN,
        XS_OFFER_COUNT
};

enum xs_channel { XS_CHANNEL_ONSITE, XS_CHANNEL_EMAIL, XS_CHANNEL_COUNT };

enum xs_incentive_kind {
        XS_INC_PERCENT_OFF,          /* percent off the upgrade when the cart is above a value */
        XS_INC_FREE_SHIPPING,        /* the offer lifts the cart over the shipping threshold */
        XS_INC_BUNDLE_DISCOUNT,      /* percent off a complementary set */
        XS_INC_NEXT_PURCHASE_COUPON, /* coupon for the next order after a purchase */
        XS_INC_COUNT
};

/* Co-occurrence relations counted by the window (PRODUCT.md §5). */
enum xs_relation {
        XS_REL_ORDER,    /* bought in the same order */
        XS_REL_CUSTOMER, /* bought by the same customer, different orders, within the horizon */
        XS_REL_CART,     /* in the cart together; a removal counts against the pair */
        XS_REL_VIEW,     /* viewed close together in time by the same customer */
        XS_REL_VIEW_BUY, /* viewed one, then bought the other */
        XS_REL_COUNT
};

const char *xs_event_type_name(enum xs_event_type t);
const char *xs_stage_name(enum xs_stage s);
const char *xs_offer_type_name(enum xs_offer_type t);
const char *xs_channel_name(enum xs_channel c);
const char *xs_incentive_kind_name(enum xs_incentive_kind k);
const char *xs_relation_name(enum xs_relation r);

/* Name -> enum; return -1 when the name is not a symbol of the enum. */
int xs_event_type_parse(const char *name);
int xs_stage_parse(const char *name);
int xs_offer_type_parse(const char *name);

/* Money is integer minor units plus an ISO 4217 code ("EUR"), never floating point. An empty
 * code ("") means unknown. */
#define XS_CURRENCY_LEN 4

#ifdef __cplusplus
}
#endif
#endif
