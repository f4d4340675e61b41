/*
 * The customer journey: the stage machine (what an event moves a customer to, and the signal of
 * each move) and the journey timers (cart abandonment, end of onboarding, lead, re-order due),
 * kept in one heap by due time. The journey never makes offers: the pipeline (engine.c) pops due
 * timers here and hands each to the policy.
 */
#ifndef XS_JOURNEY_H
#define XS_JOURNEY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/customer.h"
#include "xsell/common.h"
#include "xsell/event.h"

struct xs_engine;

/* A heap entry; stale (not fired) when its customer is gone or the timer was re-armed or
 * cancelled since. */
struct xs_timer {
        int64_t due;
        uint64_t seq; /* ties fire in arming order: deterministic */
        uint32_t slot, gen;
        uint8_t kind;
};

/* Moves c to stage to (nothing if it is there) and emits the signal. */
void xs_journey_set_stage(struct xs_engine *eng, struct xs_customer *c, enum xs_stage to, int64_t t,
                          const char *trigger_event_id, const char *reason);
/* The journey's part of an event: cart and flags, co-occurrence counts, timers and stage.
 * items[i] is the product of ev->items[i] (the event's lines compacted by the caller). */
void xs_journey_on_event(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                         const uint32_t *items, size_t n);
/* An UNSUBSCRIBE request: no e-mail, no lead timer, out of the LEAD stage. */
void xs_journey_unsubscribe(struct xs_engine *eng, struct xs_customer *c,
                            const struct xs_event *ev);

/* Arms (or re-arms) c's timer kind for due; out of memory leaves it unarmed. */
void xs_journey_timer_arm(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind,
                          int64_t due);
void xs_journey_timer_cancel(struct xs_customer *c, enum xs_timer_kind kind);
/* Arms c's REORDER timer at the next re-order time after max(c->reorder_at, t) of its bought
 * products (xs_reorder_next_due), or cancels it when there is none. */
void xs_journey_reorder_arm(struct xs_engine *eng, struct xs_customer *c, int64_t t);
/* Takes the earliest live timer due at or before until off the heap into *t (stale ones on
 * the way are dropped) and returns its customer; NULL when none is due. The caller fires it
 * or puts it back with xs_journey_timer_defer. */
struct xs_customer *xs_journey_timer_pop(struct xs_engine *eng, int64_t until, struct xs_timer *t);
/* Puts a timer just popped back on the heap, unfired: it is due again on the next pop. */
void xs_journey_timer_defer(struct xs_engine *eng, const struct xs_timer *t);

#endif
