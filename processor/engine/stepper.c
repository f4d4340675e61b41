/* The stepper: the engine's stepped mode driven through the frontier (stepper.h). */
#include "engine/stepper.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "util/conf_int.h"

struct xs_stepper {
        struct xs_engine *eng;
        struct xs_frontier *fr;
        struct xs_stepper_ops ops;
        void *opaque;
        int64_t step;
        int64_t pane;
        int finishing; /* end of input: every partition's panes are final (xs_stepper_finish) */
        struct xs_stepper_stats st;
        /* xs_stepper_process_one: the engine's answer for the event */
        xs_err_t last;
        char *errstr;
        size_t errstr_size;
};

static void process_direct(void *opaque, uint32_t part, void *item)
{
        struct xs_stepper *st = opaque;
        xs_engine_set_tag(st->eng, part);
        st->last = xs_engine_process(st->eng, item, st->errstr, st->errstr_size);
}

struct xs_stepper *xs_stepper_new(struct xs_engine *eng, const struct xs_stepper_ops *ops,
                                  void *opaque)
{
        struct xs_stepper *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        st->eng = eng;
        if (ops) {
                st->ops = *ops;
                st->opaque = opaque;
        } else {
                st->ops.process = process_direct;
                st->opaque = st;
        }
        st->pane = eng->p->window_pane;
        st->step = INT64_MIN;
        st->fr = xs_frontier_new(eng->p->window_pane, eng->p->allowed_lateness);
        if (!st->fr) {
                free(st);
                return NULL;
        }
        xs_engine_set_stepped(eng, 1);
        return st;
}

void xs_stepper_destroy(struct xs_stepper *st)
{
        if (!st)
                return;
        xs_frontier_destroy(st->fr, st->ops.free_item);
        free(st);
}

struct xs_frontier *xs_stepper_frontier(struct xs_stepper *st)
{
        return st->fr;
}

static void on_sealed(void *opaque, uint32_t part, const struct xs_pane_delta *d)
{
        struct xs_stepper *st = opaque;
        if (st->ops.sealed)
                st->ops.sealed(st->opaque, part, d);
        if (xs_engine_pane_add(st->eng, part, d) < 0)
                st->st.oom++;
}

int xs_stepper_push(struct xs_stepper *st, uint32_t part, int64_t t, void *item, size_t bytes)
{
        int rc = xs_frontier_push(st->fr, part, t, item, bytes);
        if (rc == 1) {
                st->st.late++;
                return 1;
        }
        if (rc < 0) {
                st->st.oom++;
                return -1;
        }
        size_t held = xs_frontier_held(st->fr);
        if (held > st->st.held_max)
                st->st.held_max = held;
        return 0;
}

static void seals(struct xs_stepper *st)
{
        uint32_t part;
        int64_t upto;
        while (xs_frontier_next_seal(st->fr, &part, &upto))
                if (xs_engine_seal(st->eng, part, upto, on_sealed, st) != 0)
                        st->st.oom++;
}

static void process_ready(struct xs_stepper *st)
{
        uint32_t part;
        void *item;
        for (;;) {
                seals(st);
                if (!(item = xs_frontier_pop(st->fr, st->step, &part)))
                        return;
                st->ops.process(st->opaque, part, item);
        }
}

/* End of input: no partition will stage anything more before the panes ending by g (every event
 * whose step is before g has been processed, and an event stages at or after its step), so
 * every partition's panes up to g are sealed before the step reaches g, whatever each
 * partition's own time: the drain's timers see the same panes on any number of partitions. */
static void seal_all(struct xs_stepper *st, int64_t g)
{
        uint32_t n = xs_frontier_parts(st->fr);
        for (uint32_t i = 0; i < n; i++) {
                if (!xs_frontier_has(st->fr, i) || xs_frontier_is_remote(st->fr, i))
                        continue; /* a remote partition's owner seals it */
                if (xs_engine_seal(st->eng, i, g, on_sealed, st) != 0)
                        st->st.oom++;
                xs_frontier_set_sealed(st->fr, i, g); /* its marker says so */
        }
}

static void step_to(struct xs_stepper *st, int64_t g)
{
        xs_engine_step(st->eng, g);
        st->step = g;
        st->st.steps++;
}

/* Moves the step one pane at a time as far as the partitions allow (and not past end; INT64_MAX:
 * no end), processing what each step releases: a timer due between two steps fires at the
 * first step past it, never later, whatever the limit. The limit is read again after each
 * round of processing: the seals that processing performs are what move it. */
static void advance(struct xs_stepper *st, int64_t end)
{
        for (;;) {
                process_ready(st);
                int64_t limit = xs_frontier_limit(st->fr);
                if (end != INT64_MAX && (limit == INT64_MAX || limit > end))
                        limit = end;
                if (limit == INT64_MIN || limit == INT64_MAX || limit <= st->step)
                        return;
                int64_t next = st->step == INT64_MIN ? limit : st->step + st->pane;
                if (next > limit)
                        next = limit;
                if (st->finishing)
                        seal_all(st, next);
                step_to(st, next);
        }
}

void xs_stepper_run(struct xs_stepper *st)
{
        advance(st, INT64_MAX);
}

void xs_stepper_idle(struct xs_stepper *st, uint32_t part, int idle)
{
        if (idle && !xs_frontier_is_idle(st->fr, part))
                st->st.idle_seals++;
        xs_frontier_set_idle(st->fr, part, idle);
}

int xs_stepper_add(struct xs_stepper *st, uint32_t part)
{
        if (xs_frontier_add(st->fr, part) != 0)
                return -1;
        xs_engine_set_tag(st->eng, part);
        return st->eng->ingest ? 0 : -1;
}

/* 1 when no local partition holds an event any more. */
static int local_empty(const struct xs_stepper *st)
{
        uint32_t n = xs_frontier_parts(st->fr);
        for (uint32_t i = 0; i < n; i++)
                if (xs_frontier_has(st->fr, i) && !xs_frontier_is_remote(st->fr, i) &&
                    xs_frontier_held_part(st->fr, i))
                        return 0;
        return 1;
}

int xs_stepper_finish_step(struct xs_stepper *st, int64_t end, int remote_final)
{
        if (end > XS_MAX_DEADLINE)
                end = XS_MAX_DEADLINE;
        st->finishing = 1;
        process_ready(st);
        int moved = 0;
        for (;;) {
                if (end == INT64_MIN || st->step >= end) {
                        if (!remote_final)
                                return moved;       /* the others may still move the end on */
                        xs_stepper_finish(st, end); /* the rest: the remote panes are all in */
                        return 2;
                }
                int64_t next;
                if (st->step == INT64_MIN) {
                        next = xs_frontier_next_v(st->fr);
                        if (next == INT64_MAX || next == INT64_MIN || next > end)
                                next = end;
                } else {
                        next = st->step + st->pane > end ? end : st->step + st->pane;
                }
                /* every event whose step is before next was processed: the local panes up to
                 * next are final, and sealed (published) before waiting, or two instances
                 * would wait for each other; once no local event is held, all of them are */
                seal_all(st, local_empty(st) ? XS_MAX_DEADLINE : next);
                if (xs_frontier_limit_remote(st->fr) < next)
                        return moved; /* a remote owner has not sealed that far yet */
                step_to(st, next);
                process_ready(st);
                moved = 1;
        }
}

size_t xs_stepper_remove(struct xs_stepper *st, uint32_t part, enum xs_stepper_leave how)
{
        if (!xs_frontier_has(st->fr, part))
                return 0;
        size_t n = xs_frontier_held_part(st->fr, part);
        xs_frontier_remove(st->fr, part, st->ops.free_item);
        if (how == XS_LEAVE_HANDOVER)
                xs_engine_stage_drop(st->eng, part);
        else if (xs_engine_seal(st->eng, part, XS_MAX_DEADLINE, on_sealed, st) != 0)
                st->st.oom++;
        if (how == XS_LEAVE_FOLD)
                xs_engine_pane_reset(st->eng, part);
        else
                xs_frontier_add(st->fr, part); /* still takes part: its owner's markers */
        return n;
}

int64_t xs_stepper_step(const struct xs_stepper *st)
{
        return st->step;
}

void xs_stepper_finish(struct xs_stepper *st, int64_t end)
{
        st->finishing = 1;
        uint32_t n = xs_frontier_parts(st->fr);
        for (uint32_t i = 0; i < n; i++)
                if (xs_frontier_has(st->fr, i))
                        xs_frontier_set_idle(st->fr, i, 1);
        if (end > XS_MAX_DEADLINE)
                end = XS_MAX_DEADLINE;
        if (end != INT64_MIN && st->step == INT64_MIN) {
                /* nothing stepped yet (a partition delivered nothing): start at the step the
                 * first held event needs */
                int64_t low = xs_frontier_next_v(st->fr);
                if (low != INT64_MAX && low != INT64_MIN && low < end) {
                        seal_all(st, low);
                        step_to(st, low);
                }
        }
        if (end != INT64_MIN)
                advance(st, end);
        process_ready(st);
        /* events of a partition whose time is beyond end (a drain of 0 and lateness): they
         * need steps past end */
        uint32_t part;
        void *item;
        while ((item = xs_frontier_pop_any(st->fr, &part))) {
                st->ops.process(st->opaque, part, item);
                seals(st);
        }
        /* everything staged is final now */
        for (uint32_t i = 0; i < n; i++)
                if (xs_frontier_has(st->fr, i) &&
                    xs_engine_seal(st->eng, i, XS_MAX_DEADLINE, on_sealed, st) != 0)
                        st->st.oom++;
        if (end != INT64_MIN && end > st->step) {
                xs_engine_step(st->eng, end);
                st->step = end;
        }
}

void xs_stepper_stats(const struct xs_stepper *st, struct xs_stepper_stats *out)
{
        *out = st->st;
}

xs_err_t xs_stepper_process_one(struct xs_stepper *st, const struct xs_event *ev, char *errstr,
                                size_t errstr_size)
{
        xs_err_t e = xs_engine_check(st->eng, ev, errstr, errstr_size);
        if (e != XS_OK)
                return e;
        uint64_t oom = st->st.oom;
        st->last = XS_OK;
        st->errstr = errstr;
        st->errstr_size = errstr_size;
        int rc = xs_stepper_push(st, 0, ev->event_time, (void *)ev, 0);
        if (rc == 1) {
                xs_engine_count_late(st->eng);
                return XS_OK;
        }
        if (rc < 0) {
                snprintf(errstr, errstr_size, "out of memory");
                return XS_ERR_NOMEM;
        }
        xs_stepper_run(st); /* one partition: the event is processed before this returns */
        if (st->st.oom != oom) {
                snprintf(errstr, errstr_size, "out of memory");
                return XS_ERR_NOMEM;
        }
        return st->last;
}
