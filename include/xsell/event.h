/*
 * Decoded input records: customer events and catalog products (PRODUCT.md §7).
 *
 * These are plain data views. Whoever decodes a record owns the strings; the engine copies
 * whatever it keeps, so a record may be freed or reused as soon as xs_engine_process() returns.
 */
#ifndef XSELL_EVENT_H
#define XSELL_EVENT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The latest event time accepted: 9999-12-31T23:59:59.999Z in ms since the epoch. Later times
 * break the contract; the bound keeps event time plus any configured duration far from
 * INT64_MAX, so no deadline computed from an event can overflow. */
#define XS_MAX_TIME 253402300799999LL

struct xs_line_item {
        const char *product_id; /* required */
        int32_t quantity;       /* > 0 */
        int64_t unit_price;     /* minor units, >= 0; -1 = not given */
        /* optional (NULL): the finest category known, the key of every same-category rule
         * (REES46: category_id) */
        const char *category;
        const char *brand; /* optional (NULL) */
        /* optional (NULL): a readable name of the category, never compared (REES46:
         * category_code, which may be coarser than category) */
        const char *category_label;
};

struct xs_event {
        const char *event_id;    /* required, unique per event; used for de-duplication */
        const char *customer_id; /* required */
        const char *session_id;  /* optional */
        int64_t event_time;      /* ms since the Unix epoch, event time: 1..XS_MAX_TIME */
        enum xs_event_type type;
        const struct xs_line_item *items;
        size_t n_items;
        char currency[XS_CURRENCY_LEN]; /* of unit prices; "" if none */
        const char *order_id;           /* PURCHASE: the order; optional otherwise */
        const char *offer_id;           /* OFFER_DISMISSED: the offer dismissed (optional) */
};

struct xs_product {
        const char *product_id; /* required */
        const char *category;   /* optional: the finest category (the same-category key) */
        const char *brand;      /* optional */
        int64_t price;          /* minor units, >= 0 */
        char currency[XS_CURRENCY_LEN];
        int in_stock;
        const char *const *upgrades; /* explicit upgrade targets, best first */
        size_t n_upgrades;
        const char *const *downgrades; /* explicit downgrade targets, best first */
        size_t n_downgrades;
        const char *category_label; /* optional: a readable name of the category */
        const char *addon; /* optional: an add-on of another product (warranty, plan, accessory:
                            * its kind, free text); NULL or "" for a product of its own */
};

/* Deep copies of decoded records, for readers that hand out owned records.
 * xs_event_copy: returns a new event that owns all its memory; free with xs_event_free(). */
struct xs_event *xs_event_copy(const struct xs_event *ev);
/* The bytes xs_event_copy(ev) allocates. */
size_t xs_event_size(const struct xs_event *ev);
void xs_event_free(struct xs_event *ev);
struct xs_product *xs_product_copy(const struct xs_product *p);
void xs_product_free(struct xs_product *p);

#ifdef __cplusplus
}
#endif
#endif
