/*
 * Engine internals shared by engine.c (the event pipeline) and policy.c (offers and
 * guardrails). Customers are customer.h, the journey journey.h, the engine's struct
 * engine_ctx.h, co-occurrence cooc.h, significance score.h.
 */
#ifndef XS_ENGINE_INT_H
#define XS_ENGINE_INT_H

#include <stdint.h>

#include "engine/catalog.h"
#include "engine/cooc.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/journey.h"
#include "engine/score.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/pool.h"
#include "engine/window.h"
#include "util/xs_uthash.h"
#include "xsell/engine.h"

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

/* policy.c */
void xs_policy_on_event(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                        const uint32_t *items, size_t n_items);
void xs_policy_on_timer(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind,
                        int64_t due);
void xs_policy_attribute(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                         const uint32_t *items, size_t n_items);

#endif
