/*
 * Engine counters. Every counter a metric could show is here, named as the metric is
 * (xsell_<name>, with _total for a counter: kafka/obs.c). Counters only grow, gauges go both
 * ways. A cap that bites has a counter.
 */
#ifndef XSELL_STATS_H
#define XSELL_STATS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, kind, help): kind is "counter" or "gauge". */
#define XS_STATS_SCALARS(X)                                                                        \
        X(events_processed, counter, "events that reached the journey and window")                 \
        X(events_duplicate, counter, "events dropped because their event_id was seen")             \
        X(events_late, counter, "events older than the watermark minus allowed lateness")          \
        X(events_rejected, counter, "events that broke the contract (see rejected_*)")             \
        X(rejected_missing_field, counter,                                                         \
          "rejected: a required field missing, empty or out of range")                             \
        X(rejected_bad_quantity, counter, "rejected: quantity <= 0 or above event.max_quantity")   \
        X(rejected_bad_price, counter, "rejected: negative or absurd unit price")                  \
        X(rejected_too_many_items, counter, "rejected: more line items than event.max_items")      \
        X(rejected_unknown_type, counter, "rejected: event type unknown to this version")          \
        X(rejected_no_items, counter, "rejected: a cart or purchase event with no line items")     \
        X(rejected_too_far_ahead, counter,                                                         \
          "rejected: event time more than event.max_ahead ahead of stream time")                   \
        X(rejected_long_string, counter,                                                           \
          "rejected: an id longer than event.max_id_bytes or a label longer than "                 \
          "event.max_label_bytes (events and catalog records)")                                    \
        X(rejected_bad_utf8, counter,                                                              \
          "rejected: a string that is not valid UTF-8 (events and catalog records)")               \
        X(stream_time_jumps, counter,                                                              \
          "stream time moved past event.max_ahead, confirmed by event.max_ahead_confirm events")   \
        X(catalog_upserts, counter, "catalog records applied")                                     \
        X(catalog_deletes, counter, "catalog tombstones applied")                                  \
        X(catalog_learned, counter, "products learned from event line items")                      \
        X(catalog_rejected, counter,                                                               \
          "catalog records rejected (bad price, missing id, a bad string)")                        \
        X(catalog_cap_hits, counter, "products not added because catalog.max_products bit")        \
        X(catalog_products, gauge, "products known")                                               \
        X(catalog_records, gauge,                                                                  \
          "products with a catalog record; when > 0 only these are offered, else learned ones")    \
        X(catalog_bytes, gauge, "bytes held by the catalog: products, labels, ladders")            \
        X(unknown_products, counter, "line items naming a product the catalog does not know")      \
        X(pairs_live, gauge, "distinct pairs in the window")                                       \
        X(window_bytes, gauge, "bytes held by the window: pair tables, pane deltas, rows")         \
        X(pairs_cap_hits, counter, "pair increments dropped because cooc.max_pairs bit")           \
        X(pair_increments, counter, "pair count increments applied")                               \
        X(basket_items_truncated, counter, "basket items not paired: cooc.max_basket_items")       \
        X(history_evictions, counter, "items dropped from a customer's bounded history")           \
        X(guard_bought_evictions, counter,                                                         \
          "products within guard.bought_horizon evicted by guard.max_bought (guard stricter)")     \
        X(reorder_gaps, gauge, "re-purchase gaps kept for the buy-again intervals")                \
        X(reorder_bytes, gauge,                                                                    \
          "bytes held by the buy-again intervals and the category re-buy counts")                  \
        X(reorder_gaps_dropped, counter, "re-purchase gaps not kept: reorder.max_gaps bit")        \
        X(reorder_short_gaps, counter, "re-purchases within a day: split orders, not learned")     \
        X(rebuy_categories_dropped, counter,                                                       \
          "categories of an order not learned in the re-buy counts (beyond 256, or no memory)")    \
        X(upsell_ladder_skipped_few_buyers, counter,                                               \
          "post-purchase upsells without the category ladder: fewer buyers than "                  \
          "upsell.rebuy_min_buyers")                                                               \
        X(upsell_ladder_skipped_not_rebought, counter,                                             \
          "post-purchase upsells without the category ladder: repeat share under "                 \
          "upsell.rebuy_min_share (a durable good)")                                               \
        X(reorder_within_horizon, counter,                                                         \
          "purchases of products whose learned interval is within guard.bought_horizon: "          \
          "never offered again by buy-again")                                                      \
        X(panes_closed, counter, "panes closed (their deltas became final)")                       \
        X(panes_sealed, counter, "stepped mode: partition panes sealed (their deltas handed out)") \
        X(panes_folded, counter, "stepped mode: sealed partition panes folded into the window")    \
        X(counts_refused, counter,                                                                 \
          "stepped mode: folded pane counts refused because a window count would overflow")        \
        X(panes_repeated, counter, "stepped mode: sealed panes received again (ignored)")          \
        X(panes_late, counter,                                                                     \
          "stepped mode: sealed panes received after the step passed them (folded at once)")       \
        X(panes_expired, counter, "panes that left the window and were subtracted")                \
        X(pane_entries_expired, counter, "pane entries subtracted")                                \
        X(forced_drains, counter, "expiring panes drained at once: window.max_draining bit")       \
        X(customers_live, gauge, "customers tracked")                                              \
        X(customers_evicted, counter, "least recently active customers dropped: customers.max")    \
        X(customers_forgotten, counter, "customers erased by FORGET")                              \
        X(memory_bytes, gauge,                                                                     \
          "bytes held by the engine's state, what memory.budget is checked against: customers "    \
          "with their ids and arrays, interned products, catalog and ladders, window, timers, "    \
          "dedup at its full dedup.capacity, buy-again")                                           \
        X(memory_bytes_peak, gauge,                                                                \
          "the largest memory_bytes seen at a budget check (each event)")                          \
        X(memory_customers_evicted, counter,                                                       \
          "least recently active customers dropped to stay within memory.budget")                  \
        X(memory_pairs_refused, counter,                                                           \
          "pair increments for new pairs dropped while over memory.budget")                        \
        X(memory_products_refused, counter,                                                        \
          "new products not added while over memory.budget (line items skipped, catalog records "  \
          "refused)")                                                                              \
        X(timers_fired, counter, "journey timers fired")                                           \
        X(timers_deferred, counter, "timer firings deferred: timers.max_fire_per_event bit")       \
        X(watermark_ms, gauge, "event-time watermark (ms since epoch)")                            \
        X(dedup_evictions, counter, "event ids forgotten: dedup.capacity bit before horizon")      \
        X(offers_withheld_control, counter,                                                        \
          "offers computed for control-group customers, not sent")                                 \
        X(offers_suppressed_cap, counter, "offers suppressed by a frequency cap or cooldown")      \
        X(offers_suppressed_channel, counter, "email offers suppressed: no email channel")         \
        X(offers_suppressed_onboarding, counter, "upsells suppressed in the onboarding period")    \
        X(offers_suppressed_repeat, counter,                                                       \
          "offers not made: the same offer is still open, or every product is in a live e-mail "   \
          "offer or was in an earlier LEAD e-mail")                                                \
        X(offers_pending_evicted, counter,                                                         \
          "open offers dropped by attribution.max_pending before their attribution window and "    \
          "lifetime ended (their repeat guard goes with them)")                                    \
        X(lead_stopped, counter,                                                                   \
          "LEAD e-mail series stopped after journey.lead_max_emails unanswered e-mails")           \
        X(offers_no_candidate, counter, "offer opportunities with no eligible product")            \
        X(anchors_truncated, counter,                                                              \
          "basket items whose complements a cross-sell left out: offer.max_anchors")               \
        X(comp_cache_builds, counter,                                                              \
          "complement lists of an anchor computed from its window neighbours (a change since)")    \
        X(comp_cache_hits, counter, "complement lists of an anchor reused (no change since)")      \
        X(candidates_filtered, counter, "candidates removed by guardrails (cart, bought, stock)")  \
        X(outcomes, counter, "offer conversions attributed (treatment and control)")               \
        X(signals, counter, "journey signals emitted")

struct xs_stats {
#define XS_STATS_FIELD(name, kind, help) uint64_t name;
        XS_STATS_SCALARS(XS_STATS_FIELD)
#undef XS_STATS_FIELD
        uint64_t events_by_type[XS_EV_COUNT];
        uint64_t stage_entries[XS_STAGE_COUNT];
        /* offers sent / converted, by type and by the stage that triggered them */
        uint64_t offers[XS_OFFER_COUNT][XS_STAGE_COUNT];
        uint64_t conversions[XS_OFFER_COUNT][XS_STAGE_COUNT];
        /* the same for the control group: offers withheld, and bought anyway */
        uint64_t control_offers[XS_OFFER_COUNT][XS_STAGE_COUNT];
        uint64_t control_conversions[XS_OFFER_COUNT][XS_STAGE_COUNT];
};

/* Calls cb once per scalar counter, with its name, kind ("counter"/"gauge") and help. */
void xs_stats_foreach(const struct xs_stats *st,
                      void (*cb)(void *opaque, const char *name, const char *kind, const char *help,
                                 uint64_t value),
                      void *opaque);

#ifdef __cplusplus
}
#endif
#endif
