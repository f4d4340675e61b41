/*
 * The offer engine: decoded events and catalog records in, offers, signals and outcomes out.
 *
 * It does no I/O and reads no clock: event time drives windows, journeys and timers, so the
 * same input gives the same output, whether it comes from Kafka, a file, a benchmark or a
 * test. It is not thread-safe: one engine per thread (per partition group).
 */
#ifndef XSELL_ENGINE_H
#define XSELL_ENGINE_H

#include "common.h"
#include "conf.h"
#include "event.h"
#include "offer.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xs_engine;

/* Creates an engine. conf is copied (the caller keeps ownership of its own); sink is copied.
 * Returns NULL with errstr filled on bad configuration or out of memory. */
struct xs_engine *xs_engine_new(const struct xs_conf *conf, const struct xs_sink *sink,
                                char *errstr, size_t errstr_size);
/* Frees everything the engine holds. Pending timers are dropped, not fired. */
void xs_engine_destroy(struct xs_engine *eng);

/* Processes one event: updates the watermark, fires due timers, de-duplicates, advances the
 * journey, counts co-occurrence and calls the sink for anything produced.
 * Returns XS_OK (also for a duplicate or late event, which is counted and skipped) or
 * XS_ERR_INVALID when the event breaks the contract (counted by reason; dead-letter it). */
xs_err_t xs_engine_process(struct xs_engine *eng, const struct xs_event *ev, char *errstr,
                           size_t errstr_size);

/* Applies a catalog record (upsert). XS_ERR_INVALID for a record that breaks the contract. */
xs_err_t xs_engine_catalog_put(struct xs_engine *eng, const struct xs_product *p, char *errstr,
                               size_t errstr_size);
/* Applies a catalog tombstone: the product is no longer offered. Unknown ids are ignored. */
void xs_engine_catalog_delete(struct xs_engine *eng, const char *product_id);

/* External clock: with on != 0, xs_engine_process never moves event time; the caller does,
 * with xs_engine_advance (the Kafka runtime passes the minimum over its input partitions of
 * their newest event time, so one partition read ahead of another does not make the other's
 * events late). An event older than the watermark is late either way. */
void xs_engine_set_external_clock(struct xs_engine *eng, int on);

/* Moves event time forward without an event (an idle input): advances the watermark to
 * event_time - allowed lateness, closes panes and fires due timers. Never moves it back. */
void xs_engine_advance(struct xs_engine *eng, int64_t event_time);

/* Tags: the Kafka runtime tags each customer with the input partition its events come from
 * (set before xs_engine_process), so that when the partition is revoked the customers it owned
 * can be dropped with their timers and no other instance's journey is duplicated.
 * xs_engine_drop_tag returns how many customers were dropped. */
void xs_engine_set_tag(struct xs_engine *eng, uint32_t tag);
size_t xs_engine_drop_tag(struct xs_engine *eng, uint32_t tag);

/* Copies the counters out. */
void xs_engine_stats(const struct xs_engine *eng, struct xs_stats *st);

/* The products most related to product_id, best first, by the complement score (cross-sell)
 * or the alternative score (co-views, view-then-buy: the ranking of upsell and downsell).
 * Writes at most max entries to out and returns how many. Views point into engine memory and
 * are valid until the next call that changes the engine. */
enum xs_score_view { XS_SCORE_COMPLEMENT, XS_SCORE_ALTERNATIVE, XS_SCORE_ORDER };
struct xs_related {
        const char *product_id;
        double score; /* signed llr or lift, per cooc.score */
        struct xs_evidence evidence;
        int64_t support_a, support_b; /* XS_SCORE_ORDER: orders holding each product */
        int64_t n_orders;             /* XS_SCORE_ORDER: orders in the window */
};
size_t xs_engine_related(struct xs_engine *eng, const char *product_id, enum xs_score_view view,
                         struct xs_related *out, size_t max);
/* Calls cb for every product that has co-occurrence counts, in first-seen order. */
void xs_engine_foreach_product(struct xs_engine *eng,
                               void (*cb)(void *opaque, const char *product_id), void *opaque);

/* Per-customer state as a self-contained byte string (for a changelog topic): export returns
 * XS_ERR_NOT_FOUND when the customer is not tracked; *buf is malloc'd and owned by the caller.
 * Import replaces that customer's state. Both are stable across engine instances. */
xs_err_t xs_engine_customer_export(struct xs_engine *eng, const char *customer_id,
                                   unsigned char **buf, size_t *len);
xs_err_t xs_engine_customer_import(struct xs_engine *eng, const unsigned char *buf, size_t len,
                                   char *errstr, size_t errstr_size);

/* The changelog (issue 11): with tracking on, the engine lists each customer changed since the
 * last xs_engine_changes call (by an event or a timer), and each whose state ended (FORGET,
 * eviction by customers.max or memory.budget; not xs_engine_drop_tag, whose customers move).
 * xs_engine_changes calls cb for each: the tombstones first (buf NULL, len 0), then each changed
 * customer's xs_engine_customer_export bytes, with the customer's tag. A non-zero return from
 * cb stops the call, which returns -1 and keeps that change and the rest for the next call.
 * Listing costs one entry per changed customer (and a copy of each ended id) until the call. */
typedef int (*xs_change_cb)(void *opaque, const char *customer_id, uint32_t tag,
                            const unsigned char *buf, size_t len);
void xs_engine_track_changes(struct xs_engine *eng, int on);
int xs_engine_changes(struct xs_engine *eng, xs_change_cb cb, void *opaque);
size_t xs_engine_changes_pending(const struct xs_engine *eng);

/* A closed pane's pair-count deltas: the unit another instance can apply. Entries use external
 * product ids, so they mean the same thing in every instance. Valid only during the hook. */
struct xs_pane_entry {
        const char *a, *b; /* b == NULL: a per-product occurrence row, else a pair (a < b) */
        int32_t rel[XS_REL_COUNT];
};
struct xs_pane_product {
        const char *id, *category, *brand, *category_label; /* NULL: not given */
        int64_t price;                                      /* -1: not given */
        int64_t price_at; /* event time of the price (the latest; at a tie the highest) */
        char currency[XS_CURRENCY_LEN];
};
struct xs_pane_delta {
        int64_t pane_start, pane_end; /* event time ms */
        size_t n_entries;
        const struct xs_pane_entry *entries;
        int64_t n_orders;         /* orders counted in the pane */
        int64_t tx[XS_REL_COUNT]; /* transactions begun in the pane, per relation */
        /* products learned from the pane's line items (catalog.learn_from_events), one each,
         * merged over the pane by their content alone, so that any split of the pane's events
         * over partitions merges to the same: category, brand and label the least given (as
         * strings), price and currency those of the latest event time (at a tie the highest
         * price) */
        size_t n_products;
        const struct xs_pane_product *products;
};
/* cb is called once per pane when the watermark passes its end, before it can change again. */
void xs_engine_set_pane_hook(struct xs_engine *eng,
                             void (*cb)(void *opaque, const struct xs_pane_delta *delta),
                             void *opaque);

/* ---- Stepped visibility (issue 11) ------------------------------------------------------
 *
 * With stepped mode on, what the co-occurrence model shows is a function of event time alone,
 * whatever order the input partitions' events are processed in, and however the partitions are
 * spread over instances:
 *  - an event's increments are staged under its input partition (xs_engine_set_tag) and the
 *    pane its time falls in, visible to nobody;
 *  - the caller seals a partition's panes once that partition's own event time has passed
 *    their end plus the allowed lateness (xs_engine_seal): each sealed pane's delta comes out
 *    with external ids (the unit another instance applies);
 *  - sealed deltas, local or from other instances, are handed back (xs_engine_pane_add) and
 *    folded into the visible window when the caller steps over their end (xs_engine_step),
 *    in (pane, partition) order, which is what makes caps and tie-breaks deterministic;
 *  - the engine's clock is the step: timers due at or before it fire when it is set (all of
 *    them), and xs_engine_advance is not used.
 * The caller (engine/frontier.h) holds an event until the step it needs is reached, so every
 * event is scored on the same panes wherever and whenever it is processed. Set it before the
 * first event. */
void xs_engine_set_stepped(struct xs_engine *eng, int on);
/* The contract checks of xs_engine_process (counted by reason when they fail), for a driver
 * that holds events before processing them: an event that passes moves stream time for
 * event.max_ahead at once. */
xs_err_t xs_engine_check(struct xs_engine *eng, const struct xs_event *ev, char *errstr,
                         size_t errstr_size);
/* Counts an event the driver found late in its partition (events_late). */
void xs_engine_count_late(struct xs_engine *eng);
/* Seals partition part's staged panes that end at or before upto; cb gets each non-empty one
 * (valid during the call), oldest first. Returns 0, or -1 out of memory. */
int xs_engine_seal(struct xs_engine *eng, uint32_t part, int64_t upto,
                   void (*cb)(void *opaque, uint32_t part, const struct xs_pane_delta *d),
                   void *opaque);
/* A sealed delta of partition part, to be folded when the step passes its end. Returns 0, 1
 * for a repeat (a pane of part at or before one already added: counted, ignored), -1 out of
 * memory. A pane that ends at or before the current step is folded at once, counted late. */
int xs_engine_pane_add(struct xs_engine *eng, uint32_t part, const struct xs_pane_delta *d);
/* part changed hands (revoked, then perhaps assigned again): the panes it seals from now on are
 * new increments, not repeats of those added before. */
void xs_engine_pane_reset(struct xs_engine *eng, uint32_t part);
/* Moves the visible step forward to g (a pane boundary; never back): folds the added panes
 * that end at or before g, expires what leaves the window, fires every timer due by g. */
void xs_engine_step(struct xs_engine *eng, int64_t g);
/* The current step (INT64_MIN before the first). */
int64_t xs_engine_step_at(const struct xs_engine *eng);

/* A partition's stage (its staged panes not sealed yet) moving with the partition, through the
 * customers changelog: xs_engine_stage_export gives it as a byte string (malloc'd; -1 out of
 * memory) and clears its changed flag, xs_engine_stage_dirty says whether events or seals changed
 * it since; xs_engine_stage_import replaces part's stage with an exported one (-1 with err on a
 * malformed one or one of another window.pane, leaving the stage empty); xs_engine_stage_drop
 * discards it unsealed (its next owner imports it). */
int xs_engine_stage_export(struct xs_engine *eng, uint32_t part, unsigned char **buf, size_t *len);
int xs_engine_stage_dirty(const struct xs_engine *eng, uint32_t part);
int xs_engine_stage_import(struct xs_engine *eng, uint32_t part, const unsigned char *buf,
                           size_t len, char *err, size_t err_size);
void xs_engine_stage_drop(struct xs_engine *eng, uint32_t part);

/* Pane deltas on the wire (the internal panes topic): a self-contained byte string. Encode
 * returns a malloc'd buffer (NULL out of memory). Decode fills *d with entries pointing into
 * buf (entries array malloc'd: free it with free(d->entries) cast); -1 on a malformed buffer. */
unsigned char *xs_pane_delta_encode(const struct xs_pane_delta *d, size_t *len);
int xs_pane_delta_decode(const unsigned char *buf, size_t len, struct xs_pane_delta *d);

#ifdef __cplusplus
}
#endif
#endif
