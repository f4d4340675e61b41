/*
 * Read-only views of the engine's state as JSON, for the debug endpoints of `xsell run`
 * (/customers/ID, /products/ID/related): "why did this customer get this offer?". The engine
 * does no I/O: a view is written into the caller's buffer. Call them between events, from the
 * thread that owns the engine.
 */
#ifndef XS_INSPECT_H
#define XS_INSPECT_H

#include <stddef.h>

struct xs_engine;

/* Each returns 1 with the view in out[0..*len) (NUL-terminated), 0 when the id is not known
 * (not tracked, never seen), or -1 when the view does not fit in size bytes (then *len is
 * 0). */

/* A customer: stage and since when, the flags of the journey, the cart, the armed timers, the
 * frequency caps of the day, recent views and purchases, and the open offers (what the engine
 * keeps of each: id, type, stage, channel, control group, products, times). */
int xs_engine_inspect_customer(struct xs_engine *eng, const char *customer_id, char *out,
                               size_t size, size_t *len);

/* A product: its catalog entry, its current complements (cross-sell score and evidence, best
 * first), its alternatives (the upsell/downsell score), and its category's ladder within the
 * upsell and downsell price steps, with the alternative score where the pair has counts. At
 * most max_items of each list. */
int xs_engine_inspect_product(struct xs_engine *eng, const char *product_id, size_t max_items,
                              char *out, size_t size, size_t *len);

#endif
