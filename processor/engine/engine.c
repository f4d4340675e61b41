/*
 * The engine's event pipeline: validates an event against the contract, drops late and
 * duplicate ones, moves the event-time watermark (closing and expiring panes, firing journey
 * timers), then hands the event to the customer's journey (journey.c, which also counts its
 * co-occurrences) and the policy (policy.c) for offers. The customer store is customer.c.
 *
 * Order of work for one event (it is what makes a replay deterministic):
 *   1. contract checks          -> XS_ERR_INVALID, counted by reason. First every string
 *      field: ids within event.max_id_bytes, labels within event.max_label_bytes, all valid
 *      UTF-8 (whatever decoded the event: nothing oversized or malformed becomes state or an
 *      output); among the others an event
 *      more than event.max_ahead ahead of the stream's time (the newest accepted event time,
 *      or the external clock if newer): a rejected event never moves time. The first event
 *      has nothing to compare with and is bounded by the year 9999 only
 *   2. late (before watermark)  -> counted, skipped
 *   3. duplicate event_id       -> counted, skipped
 *   4. watermark := max event time - allowed lateness; panes close/expire; due timers fire
 *      (at most timers.max_fire_per_event; the rest on the next call)
 *   5. the customer's own timers due at or before this event fire first (event time order
 *      per customer, whatever the watermark)
 *   6. journey + co-occurrence + policy for the event
 *   7. window.expiry_batch entries of expired panes are subtracted
 *
 * Bounds: dedup remembers at most dedup.capacity event ids, each for dedup.horizon of event
 * time; one event fires at most timers.max_fire_per_event timers from the heap (and then the
 * customer's own due ones) and subtracts window.expiry_batch pane entries plus three per pair
 * increment it made.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/budget.h"
#include "engine/catalog.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/fields.h"
#include "engine/journey.h"
#include "engine/policy.h"
#include "engine/stepped.h"
#include "engine/reorder.h"
#include "engine/score.h"
#include "engine/window.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/pool.h"
#include "util/utf8.h"
#include "util/xs_uthash.h"

/* ---- timers: the journey's due timers, into the policy ----------------------------- */

static void timer_fire(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind)
{
        int64_t due = c->timer_due[kind];
        c->timer_due[kind] = 0;
        eng->st.timers_fired++;
        xs_customer_touch(eng, c);
        xs_policy_on_timer(eng, c, kind, due);
        xs_customer_account(eng, c);
}

/* Fires timers due at or before the watermark, at most the configured number per call. */
static void timers_run(struct xs_engine *eng)
{
        int64_t budget = eng->p->max_timer_fires;
        struct xs_timer t;
        struct xs_customer *c;
        while ((c = xs_journey_timer_pop(eng, eng->watermark, &t))) {
                if (budget-- <= 0) {
                        /* put it back; it fires on the next call */
                        xs_journey_timer_defer(eng, &t);
                        eng->st.timers_deferred++;
                        break;
                }
                timer_fire(eng, c, (enum xs_timer_kind)t.kind);
        }
}

/* A customer's own due timers fire before its next event, in due order. */
static void customer_timers_before(struct xs_engine *eng, struct xs_customer *c, int64_t t)
{
        for (;;) {
                int next = -1;
                for (int k = 0; k < XS_TIMER_COUNT; k++)
                        if (c->timer_due[k] && c->timer_due[k] <= t &&
                            (next < 0 || c->timer_due[k] < c->timer_due[next]))
                                next = k;
                if (next < 0)
                        return;
                timer_fire(eng, c, (enum xs_timer_kind)next);
        }
}

/* ---- watermark, dedup --------------------------------------------------------------- */

static void advance_to(struct xs_engine *eng, int64_t wm)
{
        if (wm <= eng->watermark)
                return;
        eng->watermark = wm;
        eng->st.watermark_ms = (uint64_t)wm;
        xs_window_advance(eng->window, wm);
        timers_run(eng);
}

static void dedup_expire(struct xs_engine *eng)
{
        int64_t horizon = eng->p->dedup_horizon;
        while (eng->dedup_count) {
                struct xs_dedup_entry *e = eng->dedup_fifo[eng->dedup_head];
                int over = (int64_t)eng->dedup_count > eng->p->dedup_capacity;
                /* no watermark yet (external clock): only the capacity expires ids */
                if (!over && (eng->watermark == INT64_MIN || e->t >= eng->watermark - horizon))
                        break;
                if (over)
                        eng->st.dedup_evictions++;
                HASH_DEL(eng->dedup, e);
                xs_pool_free(&eng->dedup_pool, e);
                eng->dedup_head = (eng->dedup_head + 1) % (size_t)eng->p->dedup_capacity;
                eng->dedup_count--;
        }
}

/* Returns 1 when event_id was seen within the horizon, else remembers it and returns 0. */
static int dedup_seen(struct xs_engine *eng, const char *event_id, int64_t t)
{
        if (eng->p->dedup_capacity <= 0)
                return 0;
        uint64_t h = xs_hash_str(event_id, 0x5eed);
        struct xs_dedup_entry *e;
        HASH_FIND(hh, eng->dedup, &h, sizeof(h), e);
        if (e)
                return 1;
        if ((int64_t)eng->dedup_count == eng->p->dedup_capacity) {
                /* full: forget the oldest before its horizon */
                struct xs_dedup_entry *old = eng->dedup_fifo[eng->dedup_head];
                HASH_DEL(eng->dedup, old);
                xs_pool_free(&eng->dedup_pool, old);
                eng->dedup_head = (eng->dedup_head + 1) % (size_t)eng->p->dedup_capacity;
                eng->dedup_count--;
                eng->st.dedup_evictions++;
        }
        e = xs_pool_alloc(&eng->dedup_pool);
        if (!e)
                return 0;
        e->hash = h;
        e->t = t;
        HASH_ADD(hh, eng->dedup, hash, sizeof(e->hash), e);
        size_t tail = (eng->dedup_head + eng->dedup_count) % (size_t)eng->p->dedup_capacity;
        eng->dedup_fifo[tail] = e;
        eng->dedup_count++;
        return 0;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

struct xs_engine *xs_engine_new(const struct xs_conf *conf, const struct xs_sink *sink,
                                char *errstr, size_t errstr_size)
{
        if (xs_conf_check(conf, errstr, errstr_size) != XS_OK)
                return NULL;
        struct xs_engine *eng = calloc(1, sizeof(*eng));
        if (!eng)
                goto nomem;
        eng->conf = xs_conf_dup(conf);
        if (!eng->conf)
                goto nomem;
        eng->p = xs_conf_params(eng->conf);
        if (sink)
                eng->sink = *sink;
        const struct xs_params *p = eng->p;
        eng->products = xs_intern_new();
        eng->catalog = eng->products ? xs_catalog_new(eng->products, (size_t)p->max_products,
                                                      p->event_max_unit_price)
                                     : NULL;
        struct xs_window_params wp = {.pane_ms = p->window_pane,
                                      .window_ms = p->window_size,
                                      .unbounded = p->window_unbounded,
                                      .expiry_batch = (size_t)p->expiry_batch,
                                      .max_draining = (size_t)p->max_draining,
                                      .max_pairs = (size_t)p->max_pairs};
        eng->window = xs_window_new(&wp);
        eng->ingest = eng->window;
        eng->reorder = xs_reorder_new();
        if (!eng->catalog || !eng->window || !eng->reorder)
                goto nomem;
        xs_window_set_close_hook(eng->window, xs_stepped_on_pane_close, eng);
        if (p->dedup_capacity > 0) {
                eng->dedup_fifo = calloc((size_t)p->dedup_capacity, sizeof(*eng->dedup_fifo));
                if (!eng->dedup_fifo)
                        goto nomem;
        }
        xs_pool_init(&eng->dedup_pool, sizeof(struct xs_dedup_entry));
        eng->control_seed = xs_hash_str(p->control_salt, 0xc0de);
        eng->control_threshold = p->control_share >= 1.0
                                     ? UINT64_MAX
                                     : (uint64_t)(p->control_share * 18446744073709551616.0);
        eng->score_lift = strcmp(p->score, "lift") == 0;
        eng->score_count = strcmp(p->score, "count") == 0;
        eng->rank_support = strcmp(p->rank, "support") == 0;
        eng->rank_basket = strcmp(p->rank, "basket") == 0;
        eng->max_event_time = INT64_MIN;
        eng->watermark = INT64_MIN;
        eng->newest_accepted = INT64_MIN;
        xs_budget_check(eng);
        if (eng->over_budget) {
                char want[32];
                xs_format_bytes(p->memory_budget, want, sizeof(want));
                snprintf(
                    errstr, errstr_size,
                    "memory.budget %s is below what the engine holds before any event (%" PRIu64
                    " bytes: the pair table sized for cooc.max_pairs, the dedup.capacity "
                    "ring); raise it or lower those",
                    want, eng->st.memory_bytes);
                xs_engine_destroy(eng);
                return NULL;
        }
        return eng;
nomem:
        snprintf(errstr, errstr_size, "out of memory creating the engine");
        xs_engine_destroy(eng);
        return NULL;
}

void xs_engine_destroy(struct xs_engine *eng)
{
        if (!eng)
                return;
        while (eng->customers)
                xs_customer_drop(eng, eng->customers);
        free(eng->slots);
        free(eng->slot_gen);
        free(eng->free_slots);
        free(eng->dirty);
        for (size_t i = 0; i < eng->n_gone; i++)
                free(eng->gone[i].id);
        free(eng->gone);
        free(eng->timers);
        free(eng->comp_cache);
        free(eng->comp_acc);
        free(eng->comp_touched);
        free(eng->comp_anchors);
        free(eng->scratch);
        HASH_CLEAR(hh, eng->dedup);
        xs_pool_release(&eng->dedup_pool);
        free(eng->dedup_fifo);
        xs_stepped_destroy(eng);
        xs_window_destroy(eng->window);
        xs_reorder_destroy(eng->reorder);
        xs_catalog_destroy(eng->catalog);
        xs_intern_destroy(eng->products);
        xs_conf_destroy(eng->conf);
        free(eng);
}

/* ---- processing --------------------------------------------------------------------- */

/* ev NULL: the event's id is not shown (it is the field at fault) */
static xs_err_t reject(struct xs_engine *eng, uint64_t *counter, char *errstr, size_t errstr_size,
                       const struct xs_event *ev, const char *why)
{
        (*counter)++;
        eng->st.events_rejected++;
        snprintf(errstr, errstr_size, "event %s: %s",
                 !ev            ? "(id not shown)"
                 : ev->event_id ? ev->event_id
                                : "(no id)",
                 why);
        return XS_ERR_INVALID;
}

static int needs_items(enum xs_event_type t)
{
        return t == XS_EV_PRODUCT_VIEW || t == XS_EV_ADD_TO_CART || t == XS_EV_REMOVE_FROM_CART ||
               t == XS_EV_PURCHASE;
}

static xs_err_t validate(struct xs_engine *eng, const struct xs_event *ev, char *errstr,
                         size_t errstr_size)
{
        const struct xs_params *p = eng->p;
        char why[192];
        /* first: the other messages quote the event_id, and nothing may keep a string that is
         * too long or not UTF-8 */
        enum xs_str_verdict sv = xs_fields_event(p, ev, why, sizeof(why));
        if (sv != XS_STR_OK) {
                const char *id_ok = xs_str_check(ev->event_id, (size_t)p->event_max_id_bytes, NULL,
                                                 NULL) == XS_STR_OK
                                        ? ev->event_id
                                        : NULL;
                return reject(eng,
                              sv == XS_STR_TOO_LONG ? &eng->st.rejected_long_string
                                                    : &eng->st.rejected_bad_utf8,
                              errstr, errstr_size, id_ok ? ev : NULL, why);
        }
        if (!ev->event_id || !*ev->event_id)
                return reject(eng, &eng->st.rejected_missing_field, errstr, errstr_size, ev,
                              "missing event_id");
        if (!ev->customer_id || !*ev->customer_id)
                return reject(eng, &eng->st.rejected_missing_field, errstr, errstr_size, ev,
                              "missing customer_id");
        if (ev->event_time <= 0)
                return reject(eng, &eng->st.rejected_missing_field, errstr, errstr_size, ev,
                              "event_time missing or not after 1970");
        if (ev->event_time > XS_MAX_TIME)
                return reject(eng, &eng->st.rejected_missing_field, errstr, errstr_size, ev,
                              "event_time after the year 9999");
        int64_t now =
            eng->newest_accepted > eng->max_event_time ? eng->newest_accepted : eng->max_event_time;
        /* now is in 1..XS_MAX_DEADLINE when set and event_time in 1..XS_MAX_TIME: no overflow */
        if (p->event_max_ahead > 0 && now > 0 && ev->event_time - now > p->event_max_ahead) {
                /* a run of far-ahead events close to each other is the stream moving on (a
                 * pause longer than event.max_ahead): the event that completes
                 * event.max_ahead_confirm of them in a row moves stream time to the run's
                 * first event, and it and those after it pass. Deterministic: it depends on the
                 * order of the input only. */
                int64_t apart = ev->event_time - eng->jump_from; /* both <= XS_MAX_TIME */
                if (eng->jump_n && apart <= p->event_max_ahead && -apart <= p->event_max_ahead) {
                        eng->jump_n++;
                } else {
                        eng->jump_from = ev->event_time;
                        eng->jump_n = 1;
                }
                if (p->event_max_ahead_confirm > 0 &&
                    eng->jump_n >= (uint64_t)p->event_max_ahead_confirm) {
                        eng->newest_accepted = eng->jump_from;
                        eng->jump_n = 0;
                        eng->st.stream_time_jumps++;
                        goto in_time;
                }
                snprintf(why, sizeof(why),
                         "event_time %" PRId64 " is %" PRId64 " ms ahead of stream time %" PRId64
                         " (event.max_ahead is %" PRId64 " ms)",
                         ev->event_time, ev->event_time - now, now, p->event_max_ahead);
                return reject(eng, &eng->st.rejected_too_far_ahead, errstr, errstr_size, ev, why);
        }
        eng->jump_n = 0; /* an event in time ends a run of far-ahead ones */
in_time:
        if ((unsigned)ev->type >= XS_EV_UNKNOWN)
                return reject(eng, &eng->st.rejected_unknown_type, errstr, errstr_size, ev,
                              "event type unknown to this version");
        if (ev->n_items > (size_t)p->event_max_items) {
                snprintf(why, sizeof(why), "%zu line items (event.max_items is %" PRId64 ")",
                         ev->n_items, p->event_max_items);
                return reject(eng, &eng->st.rejected_too_many_items, errstr, errstr_size, ev, why);
        }
        if (needs_items(ev->type) && ev->n_items == 0)
                return reject(eng, &eng->st.rejected_no_items, errstr, errstr_size, ev,
                              "no line items");
        for (size_t i = 0; i < ev->n_items; i++) {
                const struct xs_line_item *li = &ev->items[i];
                if (!li->product_id || !*li->product_id)
                        return reject(eng, &eng->st.rejected_missing_field, errstr, errstr_size, ev,
                                      "line item without product_id");
                if (li->quantity <= 0 || li->quantity > p->event_max_quantity) {
                        snprintf(why, sizeof(why), "quantity %d of %.64s out of 1..%" PRId64,
                                 li->quantity, li->product_id, p->event_max_quantity);
                        return reject(eng, &eng->st.rejected_bad_quantity, errstr, errstr_size, ev,
                                      why);
                }
                if (li->unit_price < -1 || li->unit_price > p->event_max_unit_price) {
                        snprintf(why, sizeof(why), "unit price %" PRId64 " of %.64s out of range",
                                 li->unit_price, li->product_id);
                        return reject(eng, &eng->st.rejected_bad_price, errstr, errstr_size, ev,
                                      why);
                }
        }
        return XS_OK;
}

/* FORGET and UNSUBSCRIBE are the customer's requests: they apply whatever their event time (a
 * late one is not dropped), and change no window or timer other than cancelling. */
static xs_err_t customer_request(struct xs_engine *eng, const struct xs_event *ev, char *errstr,
                                 size_t errstr_size)
{
        if (!eng->ingest) {
                snprintf(errstr, errstr_size, "out of memory");
                return XS_ERR_NOMEM;
        }
        eng->st.events_processed++;
        eng->st.events_by_type[ev->type]++;
        if (ev->type == XS_EV_FORGET) {
                struct xs_customer *gone = xs_customer_find(eng, ev->customer_id);
                if (gone) {
                        xs_customer_end(eng, gone);
                        eng->st.customers_forgotten++;
                }
                return XS_OK;
        }
        struct xs_customer *c = xs_customer_get(eng, ev->customer_id);
        if (!c) {
                snprintf(errstr, errstr_size, "out of memory");
                return XS_ERR_NOMEM;
        }
        if (ev->event_time > c->last_event_time)
                c->last_event_time = ev->event_time;
        c->tag = eng->tag;
        xs_journey_unsubscribe(eng, c, ev);
        xs_customer_account(eng, c);
        return XS_OK;
}

/* The event's products interned, distinct, in event order (items[k]), with their line items
 * compacted in step (lines[k]): a product dropped by catalog.max_products is skipped, and a
 * product listed twice is one line (quantities added, saturating; the first known price). */
static size_t compact_lines(struct xs_engine *eng, const struct xs_event *ev, uint32_t *items,
                            struct xs_line_item *lines)
{
        const struct xs_params *p = eng->p;
        size_t n = 0;
        for (size_t i = 0; i < ev->n_items; i++) {
                const struct xs_line_item *li = &ev->items[i];
                uint32_t id = eng->over_budget ? xs_intern_find(eng->products, li->product_id)
                                               : xs_intern_put(eng->products, li->product_id,
                                                               (size_t)p->max_products);
                if (!id && eng->over_budget) {
                        eng->st.memory_products_refused++;
                        continue;
                }
                if (!id) {
                        eng->st.catalog_cap_hits++;
                        continue;
                }
                if (p->learn_from_events && eng->stepped)
                        xs_stepped_learn(eng, ev->event_time, li, ev->currency);
                else if (p->learn_from_events &&
                         xs_catalog_learn(eng->catalog, id, li, ev->currency))
                        eng->st.catalog_learned++;
                if (!xs_catalog_get(eng->catalog, id))
                        eng->st.unknown_products++;
                size_t k = 0;
                while (k < n && items[k] != id)
                        k++;
                if (k < n) {
                        int64_t q = (int64_t)lines[k].quantity + li->quantity;
                        lines[k].quantity =
                            (int32_t)(q > p->event_max_quantity ? p->event_max_quantity : q);
                        if (lines[k].unit_price < 0)
                                lines[k].unit_price = li->unit_price;
                        continue;
                }
                items[n] = id;
                lines[n] = *li;
                n++;
        }
        return n;
}

xs_err_t xs_engine_process(struct xs_engine *eng, const struct xs_event *ev, char *errstr,
                           size_t errstr_size)
{
        const struct xs_params *p = eng->p;
        xs_err_t err = validate(eng, ev, errstr, errstr_size);
        if (err != XS_OK)
                return err;
        int64_t t = ev->event_time;
        int request = ev->type == XS_EV_FORGET || ev->type == XS_EV_UNSUBSCRIBE;
        if (request && t < eng->watermark)
                return customer_request(eng, ev, errstr, errstr_size);
        if (t < eng->watermark) {
                eng->st.events_late++;
                return XS_OK;
        }
        if (dedup_seen(eng, ev->event_id, t)) {
                eng->st.events_duplicate++;
                return XS_OK;
        }
        if (t > eng->newest_accepted)
                eng->newest_accepted = t;
        if (!eng->external_clock) {
                if (t > eng->max_event_time)
                        eng->max_event_time = t;
                advance_to(eng, eng->max_event_time - p->allowed_lateness);
        }
        timers_run(eng); /* also those deferred by timers.max_fire_per_event */
        dedup_expire(eng);
        xs_budget_check(eng);

        if (ev->type == XS_EV_FORGET) {
                err = customer_request(eng, ev, errstr, errstr_size);
                xs_window_maintain(eng->window, (size_t)p->expiry_batch);
                return err;
        }

        if (!eng->ingest) {
                snprintf(errstr, errstr_size, "out of memory");
                return XS_ERR_NOMEM;
        }
        eng->st.events_processed++;
        eng->st.events_by_type[ev->type]++;

        /* intern products (distinct, in event order); learn the catalog from line items */
        uint32_t stack_items[64];
        struct xs_line_item stack_lines[64];
        uint32_t *items = stack_items;
        struct xs_line_item *lines = stack_lines;
        if (ev->n_items > 64) {
                items = malloc(ev->n_items * sizeof(*items));
                lines = malloc(ev->n_items * sizeof(*lines));
        }
        if (!items || !lines) {
                if (items != stack_items) {
                        free(items);
                        free(lines);
                }
                snprintf(errstr, errstr_size, "out of memory");
                return XS_ERR_NOMEM;
        }
        size_t n = compact_lines(eng, ev, items, lines);
        struct xs_event compact = *ev;
        compact.items = lines;
        compact.n_items = n;

        uint64_t increments_before = xs_window_increments(eng->window);
        struct xs_customer *c = xs_customer_get(eng, ev->customer_id);
        if (!c) {
                if (items != stack_items) {
                        free(items);
                        free(lines);
                }
                snprintf(errstr, errstr_size, "out of memory");
                return XS_ERR_NOMEM;
        }
        customer_timers_before(eng, c, t);
        c->last_event_time = t;
        c->tag = eng->tag;
        if (ev->type == XS_EV_PURCHASE)
                xs_policy_attribute(eng, c, &compact, items, n);
        xs_journey_on_event(eng, c, &compact, items, n);
        xs_policy_on_event(eng, c, &compact, items, n);
        if (ev->type == XS_EV_PURCHASE) {
                /* after the post-purchase offers: the quiet onboarding period begins */
                c->onboarding_until = t + p->onboarding_period;
                if (p->onboarding_period > 0) {
                        xs_journey_timer_arm(eng, c, XS_TIMER_ONBOARDING, c->onboarding_until);
                        xs_journey_set_stage(eng, c, XS_STAGE_ONBOARDING, t, ev->event_id,
                                             "purchase");
                }
        }
        xs_customer_account(eng, c);
        if (items != stack_items) {
                free(items);
                free(lines);
        }
        /* expiry keeps pace with what the event added (3 pane entries per pair increment), so
         * draining never falls behind a stream of large baskets; the work stays proportional to
         * the event's own */
        uint64_t added = xs_window_increments(eng->window) - increments_before;
        xs_window_maintain(eng->window, (size_t)p->expiry_batch + 3 * (size_t)added);
        return XS_OK;
}

xs_err_t xs_engine_check(struct xs_engine *eng, const struct xs_event *ev, char *errstr,
                         size_t errstr_size)
{
        xs_err_t err = validate(eng, ev, errstr, errstr_size);
        if (err == XS_OK && ev->event_time > eng->newest_accepted)
                eng->newest_accepted = ev->event_time;
        return err;
}

void xs_engine_count_late(struct xs_engine *eng)
{
        eng->st.events_late++;
}

void xs_engine_set_external_clock(struct xs_engine *eng, int on)
{
        eng->external_clock = on;
}

void xs_engine_set_tag(struct xs_engine *eng, uint32_t tag)
{
        eng->tag = tag;
        if (eng->stepped)
                xs_stepped_tag(eng, tag); /* eng->ingest: NULL out of memory */
}

void xs_engine_step(struct xs_engine *eng, int64_t g)
{
        if (!eng->stepped || g <= eng->watermark)
                return;
        if (g > XS_MAX_DEADLINE)
                g = XS_MAX_DEADLINE;
        /* what the last step made due, on the panes it saw (timers.max_fire_per_event may have
         * deferred some): a timer's offer never depends on when the next step came */
        struct xs_timer t;
        struct xs_customer *c;
        while ((c = xs_journey_timer_pop(eng, eng->watermark, &t)))
                timer_fire(eng, c, (enum xs_timer_kind)t.kind);
        xs_stepped_fold_to(eng, g);
        xs_reorder_step(eng, g);
        eng->watermark = g;
        eng->st.watermark_ms = (uint64_t)g;
        if (g > eng->max_event_time)
                eng->max_event_time = g;
        xs_window_advance(eng->window, g);
        while ((c = xs_journey_timer_pop(eng, g, &t)))
                timer_fire(eng, c, (enum xs_timer_kind)t.kind);
        dedup_expire(eng);
        xs_window_maintain(eng->window, (size_t)eng->p->expiry_batch);
        xs_budget_check(eng);
}

size_t xs_engine_drop_tag(struct xs_engine *eng, uint32_t tag)
{
        size_t n = 0;
        struct xs_customer *c, *tmp;
        HASH_ITER(hh, eng->customers, c, tmp)
        {
                if (c->tag == tag) {
                        xs_customer_drop(eng, c);
                        n++;
                }
        }
        return n;
}

void xs_engine_advance(struct xs_engine *eng, int64_t event_time)
{
        /* event time is 1..XS_MAX_TIME; a caller may add a drain period: clamp, so that
         * nothing computed from the watermark overflows */
        if (event_time > XS_MAX_DEADLINE)
                event_time = XS_MAX_DEADLINE;
        if (event_time > eng->max_event_time)
                eng->max_event_time = event_time;
        if (eng->max_event_time < 0)
                return; /* no event time yet (or a meaningless one): nothing to move */
        advance_to(eng, eng->max_event_time - eng->p->allowed_lateness);
        timers_run(eng);
        dedup_expire(eng);
        xs_window_maintain(eng->window, (size_t)eng->p->expiry_batch);
        xs_budget_check(eng);
}

xs_err_t xs_engine_catalog_put(struct xs_engine *eng, const struct xs_product *p, char *errstr,
                               size_t errstr_size)
{
        char why[192];
        enum xs_str_verdict sv = xs_fields_product(eng->p, p, why, sizeof(why));
        if (sv != XS_STR_OK) {
                eng->st.catalog_rejected++;
                if (sv == XS_STR_TOO_LONG)
                        eng->st.rejected_long_string++;
                else
                        eng->st.rejected_bad_utf8++;
                snprintf(errstr, errstr_size, "catalog record: %s", why);
                return XS_ERR_INVALID;
        }
        xs_budget_check(eng);
        if (eng->over_budget && p->product_id && !xs_intern_find(eng->products, p->product_id)) {
                eng->st.memory_products_refused++;
                snprintf(errstr, errstr_size,
                         "product %.64s: memory.budget reached (%" PRIu64 " bytes held)",
                         p->product_id, eng->st.memory_bytes);
                return XS_ERR_NOMEM;
        }
        int rc = xs_catalog_put(eng->catalog, p, errstr, errstr_size);
        if (rc < 0) {
                eng->st.catalog_rejected++;
                return XS_ERR_INVALID;
        }
        if (rc > 0) {
                eng->st.catalog_cap_hits++;
                snprintf(errstr, errstr_size, "catalog.max_products reached");
                return XS_ERR_NOMEM;
        }
        eng->st.catalog_upserts++;
        return XS_OK;
}

void xs_engine_catalog_delete(struct xs_engine *eng, const char *product_id)
{
        if (xs_catalog_delete(eng->catalog, product_id) == 0)
                eng->st.catalog_deletes++;
}

void xs_engine_stats(const struct xs_engine *eng, struct xs_stats *st)
{
        *st = eng->st;
        struct xs_window_stats ws;
        xs_window_stats(eng->window, &ws);
        st->pairs_live = ws.pairs_live;
        st->pairs_cap_hits = ws.pairs_cap_hits;
        st->pair_increments = ws.pair_increments;
        st->panes_closed = ws.panes_closed;
        st->panes_expired = ws.panes_expired;
        st->pane_entries_expired = ws.pane_entries_expired;
        st->forced_drains = ws.forced_drains;
        st->window_bytes = ws.bytes;
        st->catalog_products = xs_catalog_count(eng->catalog);
        st->catalog_records = xs_catalog_records(eng->catalog);
        st->catalog_bytes = xs_catalog_bytes(eng->catalog);
        st->catalog_cap_hits += xs_catalog_label_cap_hits(eng->catalog);
        st->reorder_gaps = xs_reorder_gaps(eng->reorder);
        st->reorder_bytes = xs_reorder_bytes(eng->reorder);
        st->memory_bytes = xs_budget_bytes(eng);
        if (st->memory_bytes > st->memory_bytes_peak)
                st->memory_bytes_peak = st->memory_bytes;
        st->memory_pairs_refused = ws.pairs_budget_refused;
        st->counts_refused = ws.counts_refused;
}

/* ---- queries ------------------------------------------------------------------------ */

struct related_ctx {
        struct xs_engine *eng;
        enum xs_score_view view;
        uint32_t a;
        struct xs_related *out;
        size_t max, n;
};

static int related_better(const struct xs_related *x, const struct xs_related *y)
{
        if (x->score != y->score)
                return x->score > y->score;
        return strcmp(x->product_id, y->product_id) < 0;
}

static void related_visit(void *opaque, uint32_t b, const int32_t n[XS_REL_COUNT])
{
        struct related_ctx *ctx = opaque;
        struct xs_related r = {0};
        int64_t support;
        r.score = xs_score_pair(ctx->eng, ctx->view, ctx->a, b, n, &r.evidence, &support);
        if (support <= 0)
                return;
        r.product_id = xs_intern_str(ctx->eng->products, b);
        if (ctx->view == XS_SCORE_ORDER) {
                r.support_a = r.evidence.k11 + r.evidence.k12;
                r.support_b = r.evidence.k11 + r.evidence.k21;
                r.n_orders = r.evidence.k11 + r.evidence.k12 + r.evidence.k21 + r.evidence.k22;
        }
        /* keep the best max, sorted: insertion into a small array */
        size_t pos = ctx->n;
        while (pos > 0 && related_better(&r, &ctx->out[pos - 1]))
                pos--;
        if (pos >= ctx->max)
                return;
        size_t last = ctx->n < ctx->max ? ctx->n : ctx->max - 1;
        memmove(&ctx->out[pos + 1], &ctx->out[pos], (last - pos) * sizeof(r));
        ctx->out[pos] = r;
        if (ctx->n < ctx->max)
                ctx->n++;
}

size_t xs_engine_related(struct xs_engine *eng, const char *product_id, enum xs_score_view view,
                         struct xs_related *out, size_t max)
{
        uint32_t a = xs_intern_find(eng->products, product_id);
        if (!a || !max)
                return 0;
        struct related_ctx ctx = {eng, view, a, out, max, 0};
        xs_window_neighbors(eng->window, a, related_visit, &ctx);
        return ctx.n;
}

void xs_engine_foreach_product(struct xs_engine *eng,
                               void (*cb)(void *opaque, const char *product_id), void *opaque)
{
        uint32_t max = xs_window_max_id(eng->window);
        for (uint32_t id = 1; id <= max; id++) {
                const char *s = xs_intern_str(eng->products, id);
                if (s)
                        cb(opaque, s);
        }
}
