/*
 * Synthetic customer events and catalog for tests, benchmarks and demos (`xsell generate`),
 * modelled on the public data sets: Zipf-distributed product popularity and customer activity,
 * categories with price ladders and brands, complementary categories (phone -> case, charger),
 * sessions with view / cart / checkout / purchase funnels (about 70% of carts abandoned),
 * subscribers who never buy, usage milestones and referrals after purchases, a few dismissed
 * offers and erasure requests.
 *
 * Deterministic: the same configuration (seed included) gives the same catalog and the same
 * events, in non-decreasing event time. Streaming: events are made one at a time from a heap of
 * pending session steps and follow-ups; memory is O(customers + products + concurrent
 * sessions), bounded by XS_GEN_MAX_TASKS, never O(events).
 */
#ifndef XS_GEN_H
#define XS_GEN_H

#include <stdio.h>

#include "xsell/event.h"

#define XS_GEN_MAX_TASKS (1u << 21) /* pending session steps and follow-ups */
#define XS_GEN_MAX_CART  8          /* line items of one cart */

struct xs_gen_conf {
        uint64_t seed;
        uint32_t customers;  /* 1 .. 10,000,000 */
        uint32_t products;   /* 1 .. 10,000,000 */
        uint32_t categories; /* 1 .. 1000; at most products */
        uint32_t days;       /* 1 .. 3650: the span the events are spread over (approximately) */
        uint64_t events;     /* exactly this many events are produced */
};

/* Fills the defaults: seed 1, 10,000 customers, 2,000 products, 24 categories, 30 days,
 * 100,000 events. */
void xs_gen_conf_defaults(struct xs_gen_conf *conf);

struct xs_gen;
/* Builds the catalog and the first pending arrival. Returns NULL with errstr on a bad
 * configuration or out of memory. Free with xs_gen_destroy(). */
struct xs_gen *xs_gen_new(const struct xs_gen_conf *conf, char *errstr, size_t errstr_size);
void xs_gen_destroy(struct xs_gen *gen);

/* Catalog records: every product, then a few tombstones of retired products. The product
 * points into generator memory (valid until xs_gen_destroy). */
size_t xs_gen_catalog_size(const struct xs_gen *gen);
void xs_gen_catalog_record(const struct xs_gen *gen, size_t i, struct xs_product *p,
                           int *tombstone);

/* Makes the next event into *ev (valid until the next call). Returns 1, or 0 when the
 * configured number of events has been produced. */
int xs_gen_next(struct xs_gen *gen, struct xs_event *ev);
/* Events produced so far and per type (index enum xs_event_type). */
uint64_t xs_gen_count(const struct xs_gen *gen, int type);

/* Writes ev as REES46 CSV rows (one per line item; only view, cart, remove_from_cart and
 * purchase exist there: other events write nothing). ev must be the last event of gen.
 * Returns 0 or -1 on a write error. xs_gen_write_rees46_header writes the header line. */
int xs_gen_write_rees46_header(FILE *f);
int xs_gen_write_rees46(const struct xs_gen *gen, const struct xs_event *ev, FILE *f);

#endif
