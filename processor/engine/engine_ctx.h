/*
 * The engine's state: struct xs_engine, the one struct behind the public handle. Only the
 * struct, no functions: the modules of engine/ that work on the engine include it, and
 * including it ties no module to another. Each part names the module that changes it; the
 * others only read it.
 *
 * Bounds: customers at most customers.max (customer.c evicts the least recently active); the
 * timer heap proportional to the armed timers (journey.c drops stale entries when they
 * outnumber live ones); dedup ids at most dedup.capacity; the complement cache one entry per
 * product id. All of it together is checked against memory.budget (budget.c).
 */
#ifndef XS_ENGINE_CTX_H
#define XS_ENGINE_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "util/pool.h"
#include "util/xs_uthash.h"
#include "xsell/engine.h"

/* The bytes of a uthash table beyond its entries (its buckets and table; the handles are inside
 * the entries, counted with them). */
#define XS_HASH_TABLE_BYTES(head)                                                                  \
        ((head) ? (uint64_t)(head)->hh.tbl->num_buckets * sizeof(UT_hash_bucket) +                 \
                      sizeof(UT_hash_table)                                                        \
                : 0)

/* One remembered event id (engine.c's duplicate suppression). */
struct xs_dedup_entry {
        uint64_t hash;
        int64_t t;
        UT_hash_handle hh;
};

struct xs_engine {
        const struct xs_params *p; /* of conf */
        struct xs_conf *conf;      /* owned copy */
        struct xs_sink sink;
        struct xs_intern *products;
        struct xs_catalog *catalog;
        struct xs_window *window;
        /* where cooc.c adds increments: the window itself, or in stepped mode the stage of the
         * current partition (stepped.c) */
        struct xs_window *ingest;
        struct xs_stepped *stepped; /* stepped mode (stepped.c); NULL when off */
        uint64_t control_threshold; /* hash(customer) below this: control group */
        uint64_t control_seed;
        int score_lift;
        int score_count;  /* cooc.score=count: the raw weighted pair count k11 */
        int rank_support; /* cooc.rank=support: pairs that pass the score rank by k11 */
        int rank_basket;  /* cooc.rank=basket: k11 summed over the basket's items (cand.c) */

        /* customers (customer.c) */
        struct xs_customer *customers; /* hash by id */
        struct xs_customer *lru_head, *lru_tail;
        struct xs_customer **slots;
        uint32_t *slot_gen;
        uint32_t n_slots, cap_slots;
        uint32_t *free_slots;
        uint32_t n_free;

        /* timers (journey.c): binary min-heap by (due, seq) */
        struct xs_timer *timers;
        size_t n_timers, cap_timers;
        uint64_t timer_seq;

        /* duplicate suppression (engine.c): set of event id hashes + FIFO of insertion */
        struct xs_dedup_entry *dedup;
        struct xs_dedup_entry **dedup_fifo;
        size_t dedup_head, dedup_count;
        struct xs_pool dedup_pool;

        int64_t max_event_time;
        int64_t watermark;
        /* the newest event time of an accepted event (INT64_MIN: none yet); event.max_ahead
         * bounds the next events against it (and against max_event_time, whichever is newer) */
        int64_t newest_accepted;
        /* a run of consecutive far-ahead events that agree with each other (each within
         * event.max_ahead of the first, jump_from): event.max_ahead_confirm of them in a row
         * mean the stream itself moved on, not a poison record */
        int64_t jump_from;
        uint32_t jump_n;
        uint32_t tag; /* applied to the customers of the events that follow */
        /* the changelog (xs_engine_track_changes): customers changed since the last
         * xs_engine_changes, by slot and generation (a stale entry is skipped), and the ids of
         * those forgotten or evicted since, with their tag */
        int track_changes;
        struct xs_dirty {
                uint32_t slot, gen;
        } * dirty;
        size_t n_dirty, cap_dirty;
        struct xs_gone {
                char *id;
                uint32_t tag;
        } * gone;
        size_t n_gone, cap_gone;
        uint64_t gone_bytes;
        int changes_lost; /* out of memory listing a change: the next call writes all */
        int external_clock;

        void (*pane_hook)(void *opaque, const struct xs_pane_delta *delta);
        void *pane_opaque;

        struct xs_reorder *reorder; /* re-purchase intervals (reorder.c) */

        struct xs_comp_cache *comp_cache; /* [product id] (cand.c) */
        uint32_t n_comp_cache;
        /* cooc.rank=basket (cand.c): the per-offer sums by product, open addressing with a
         * generation per slot (no clearing between offers), and the anchors; both sized from
         * offer.max_anchors on first use */
        struct xs_comp_acc *comp_acc;
        uint32_t *comp_touched, *comp_anchors;
        size_t cap_comp_acc;
        uint32_t comp_gen;

        uint32_t *scratch; /* per-event work list of cooc.c (bounded by the largest event) */
        size_t cap_scratch;
        size_t cand_bytes; /* cand.c: the complement cache and the basket sums, as allocated */

        /* memory.budget (budget.c): the customers' bytes as last accounted (customer.c keeps
         * it, the sum of their acct_bytes); the bytes of everything but the customer store at
         * the last check (a new customer weighs the store against what is left); whether the
         * engine was over its budget then */
        uint64_t customer_bytes;
        uint64_t mem_rest;
        int over_budget;
        uint64_t dedup_reserved; /* the dedup pool's bytes at dedup.capacity (0: not yet known) */

        struct xs_stats st;
};

#endif
