/*
 * The offer policy: the offers a moment of the journey (an event, a due timer) deserves, and
 * the attribution of purchases to open offers (see policy.c).
 */
#ifndef XS_POLICY_H
#define XS_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/customer.h"
#include "xsell/event.h"

struct xs_engine;

/* The offers of an event (after its journey transitions). items[i] is the product of
 * ev->items[i] (the event's lines compacted by the caller). */
void xs_policy_on_event(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                        const uint32_t *items, size_t n_items);
/* A due timer of c (already disarmed): its stage change and offer; the lead timer re-arms. */
void xs_policy_on_timer(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind,
                        int64_t due);
/* A PURCHASE event: the open offers it converts become outcomes (before its own offers). */
void xs_policy_attribute(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                         const uint32_t *items, size_t n_items);

#endif
