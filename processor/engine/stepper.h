/*
 * The stepper (issue 11): the engine in stepped mode behind the frontier, as `xsell replay` and
 * the Kafka runtime both drive it. Push events in each partition's order; the stepper seals
 * what a partition's time leaves behind, moves the visible step one pane at a time as far as
 * every partition allows, and hands each held event back for processing exactly when the step
 * it needs is the current one. Whatever the interleaving of the partitions, every event is
 * processed on the same panes and every timer fires on the same panes: the output depends on
 * the input alone.
 *
 * Local mode (replay; one instance owning every partition): sealed panes go straight into the
 * engine. The caller may also take them (ops.sealed) to publish them for other instances.
 */
#ifndef XS_STEPPER_H
#define XS_STEPPER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/frontier.h"
#include "xsell/engine.h"

struct xs_stepper_ops {
        /* It is item's turn: process it (set the engine's tag to part first). */
        void (*process)(void *opaque, uint32_t part, void *item);
        /* A pane of part was sealed (optional: to publish it). */
        void (*sealed)(void *opaque, uint32_t part, const struct xs_pane_delta *d);
        void (*free_item)(void *item);
};

struct xs_stepper_stats {
        uint64_t late;       /* events late in their own partition */
        uint64_t held_max;   /* the most events held at once */
        uint64_t steps;      /* steps taken */
        uint64_t idle_seals; /* partitions marked idle to let the step move */
        uint64_t oom;
};

struct xs_stepper;

/* ops NULL: items are the events themselves, for xs_stepper_process_one only. */
struct xs_stepper *xs_stepper_new(struct xs_engine *eng, const struct xs_stepper_ops *ops,
                                  void *opaque);
void xs_stepper_destroy(struct xs_stepper *st);
struct xs_frontier *xs_stepper_frontier(struct xs_stepper *st);

/* An event of part at time t (already checked against the contract). Returns 0 (taken), 1 when
 * late in its partition (not taken: count it), -1 out of memory. Does not process anything:
 * call xs_stepper_run. */
int xs_stepper_push(struct xs_stepper *st, uint32_t part, int64_t t, void *item, size_t bytes);
/* Processes what the step allows and moves the step as far as the partitions allow. */
void xs_stepper_run(struct xs_stepper *st);
/* Marks part idle (it no longer holds the step back; counted) or active. */
void xs_stepper_idle(struct xs_stepper *st, uint32_t part, int idle);
/* part takes part from now on (a topic's partition assigned, or replay's): it holds the step
 * back until it delivers or is marked idle; its stage is made now, so that its memory is there
 * before any event. Returns 0, or -1 out of memory. */
int xs_stepper_add(struct xs_stepper *st, uint32_t part);
/* How a partition leaves (xs_stepper_remove). */
enum xs_stepper_leave {
        /* what it staged is sealed and folded here, so nothing it counted is lost; its panes
         * sealed later are new, not repeats (xs_engine_pane_reset): panes not shared */
        XS_LEAVE_FOLD,
        /* what it staged is sealed (published) as it is, and it stays in the step as another
         * instance's partition: shared panes with no changelog to carry the stage */
        XS_LEAVE_PUBLISH,
        /* its stage is dropped unsealed (the next owner imports it: xs_engine_stage_import),
         * and it stays in the step as another instance's partition */
        XS_LEAVE_HANDOVER,
};
/* part leaves (revoked): its held items are dropped (free_item; they are read again by its next
 * owner), its stage goes as how says. Returns how many items were dropped. */
size_t xs_stepper_remove(struct xs_stepper *st, uint32_t part, enum xs_stepper_leave how);
/* The step reached (event time; INT64_MIN before the first). */
int64_t xs_stepper_step(const struct xs_stepper *st);
/* End of input: seals everything, steps to end (event time; e.g. the newest event time plus a
 * drain period) and processes every held event. */
void xs_stepper_finish(struct xs_stepper *st, int64_t end);
/* End of input with partitions processed by other instances (shared panes): one step towards
 * end, taken only when every remote partition's owner has sealed that far (its markers), after
 * sealing every local partition up to it (all the way once no local event is held), as many
 * steps as the remote seals allow; finished only when remote_final (every remote owner is at
 * its end: end will not move). Returns 1 (stepped), 0 (waiting for a remote owner: call again
 * once its panes came in), 2 (finished: xs_stepper_finish done). */
int xs_stepper_finish_step(struct xs_stepper *st, int64_t end, int remote_final);
/* One partition, processed at once (evaluate, bench, a single-threaded file reader): checks
 * ev, pushes it, runs; a single partition never holds an event back, so it is processed before
 * this returns (ev need not outlive the call). Returns the check's error, what
 * xs_engine_process returned, or XS_OK for an event late in the partition (counted). The
 * stepper must have been made with ops NULL. */
xs_err_t xs_stepper_process_one(struct xs_stepper *st, const struct xs_event *ev, char *errstr,
                                size_t errstr_size);
void xs_stepper_stats(const struct xs_stepper *st, struct xs_stepper_stats *out);

#endif
