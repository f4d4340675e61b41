/*
 * What one event adds to the co-occurrence window: the relations of a view, a cart change and
 * a purchase, paired against the customer's bounded recent state (see cooc.c).
 */
#ifndef XS_COOC_H
#define XS_COOC_H

#include <stddef.h>
#include <stdint.h>

struct xs_customer;
struct xs_engine;

void xs_cooc_view(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product);
void xs_cooc_cart_add(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product);
void xs_cooc_cart_remove(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product);
/* items: distinct products of one PURCHASE event (already capped) */
void xs_cooc_purchase(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint64_t order,
                      const uint32_t *items, size_t n);

#endif
