/* The frontier: per-partition event time, lateness, seals and held events (frontier.h). */
#include "engine/frontier.h"

#include <stdlib.h>

#include "engine/window.h"

#define XS_FR_MAX_PARTS 65536u

struct held {
        void *item;
        int64_t v;
        int64_t seal; /* the sealed point this event moved its partition to (else INT64_MIN) */
        size_t bytes;
};

struct part {
        int on, idle;
        int remote; /* processed by another instance: sealed by its owner's markers */
        int64_t time, sealed;
        int64_t done;   /* the sealed point the caller has sealed the engine's stage to */
        int64_t ceil;   /* seals and the limit stop here (xs_frontier_set_ceiling) */
        struct held *q; /* ring */
        size_t head, n, cap;
};

struct xs_frontier {
        int64_t pane, lateness;
        struct part *parts;
        uint32_t n_parts;
        size_t held, held_bytes;
};

int64_t xs_frontier_pane_floor(const struct xs_frontier *fr, int64_t t)
{
        return xs_floor_div(t, fr->pane) * fr->pane;
}

struct xs_frontier *xs_frontier_new(int64_t pane_ms, int64_t lateness_ms)
{
        if (pane_ms <= 0 || lateness_ms < 0)
                return NULL;
        struct xs_frontier *fr = calloc(1, sizeof(*fr));
        if (fr) {
                fr->pane = pane_ms;
                fr->lateness = lateness_ms;
        }
        return fr;
}

static void drop_items(struct xs_frontier *fr, struct part *p, void (*free_item)(void *))
{
        for (size_t i = 0; i < p->n; i++) {
                struct held *h = &p->q[(p->head + i) % p->cap];
                if (free_item)
                        free_item(h->item);
                fr->held--;
                fr->held_bytes -= h->bytes;
        }
        free(p->q);
        p->q = NULL;
        p->head = p->n = p->cap = 0;
}

void xs_frontier_destroy(struct xs_frontier *fr, void (*free_item)(void *item))
{
        if (!fr)
                return;
        for (uint32_t i = 0; i < fr->n_parts; i++)
                drop_items(fr, &fr->parts[i], free_item);
        free(fr->parts);
        free(fr);
}

static struct part *get(struct xs_frontier *fr, uint32_t part)
{
        if (part >= XS_FR_MAX_PARTS)
                return NULL;
        if (part >= fr->n_parts) {
                uint32_t n = part + 1;
                struct part *np = realloc(fr->parts, n * sizeof(*np));
                if (!np)
                        return NULL;
                for (uint32_t i = fr->n_parts; i < n; i++)
                        np[i] = (struct part){.time = INT64_MIN,
                                              .sealed = INT64_MIN,
                                              .done = INT64_MIN,
                                              .ceil = INT64_MAX};
                fr->parts = np;
                fr->n_parts = n;
        }
        struct part *p = &fr->parts[part];
        p->on = 1;
        return p;
}

int xs_frontier_add(struct xs_frontier *fr, uint32_t part)
{
        return get(fr, part) ? 0 : -1;
}

void xs_frontier_remove(struct xs_frontier *fr, uint32_t part, void (*free_item)(void *item))
{
        if (part >= fr->n_parts)
                return;
        struct part *p = &fr->parts[part];
        drop_items(fr, p, free_item);
        *p = (struct part){
            .time = INT64_MIN, .sealed = INT64_MIN, .done = INT64_MIN, .ceil = INT64_MAX};
}

static int64_t seal_point(const struct xs_frontier *fr, int64_t time)
{
        /* time is at least 1 (an accepted event time), so time - lateness does not overflow */
        return xs_frontier_pane_floor(fr, time - fr->lateness);
}

void xs_frontier_set_time(struct xs_frontier *fr, uint32_t part, int64_t t)
{
        struct part *p = get(fr, part);
        if (p && t != INT64_MIN && t > p->time) {
                p->time = t;
                p->sealed = p->done = seal_point(fr, t);
        }
}

int xs_frontier_push(struct xs_frontier *fr, uint32_t part, int64_t t, void *item, size_t bytes)
{
        int64_t moved = INT64_MIN;
        struct part *p = get(fr, part);
        if (!p)
                return -1;
        if (p->time != INT64_MIN && t < p->time - fr->lateness)
                return 1;
        if (p->n == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 64;
                struct held *q = malloc(cap * sizeof(*q));
                if (!q)
                        return -1;
                for (size_t i = 0; i < p->n; i++)
                        q[i] = p->q[(p->head + i) % p->cap];
                free(p->q);
                p->q = q;
                p->head = 0;
                p->cap = cap;
        }
        p->idle = 0;
        if (t > p->time) {
                p->time = t;
                int64_t s = seal_point(fr, t);
                if (s > p->sealed) {
                        p->sealed = s;
                        moved = s;
                }
        }
        p->q[(p->head + p->n) % p->cap] = (struct held){item, p->sealed, moved, bytes};
        p->n++;
        fr->held++;
        fr->held_bytes += bytes;
        return 0;
}

void xs_frontier_set_sealed(struct xs_frontier *fr, uint32_t part, int64_t upto)
{
        struct part *p = get(fr, part);
        if (!p)
                return;
        if (upto > p->sealed)
                p->sealed = upto;
        if (upto > p->done)
                p->done = upto;
}

void xs_frontier_set_remote(struct xs_frontier *fr, uint32_t part, int remote)
{
        struct part *p = get(fr, part);
        if (p)
                p->remote = remote;
}

int xs_frontier_is_remote(const struct xs_frontier *fr, uint32_t part)
{
        return part < fr->n_parts && fr->parts[part].remote;
}

/* The point part holds the limit at: what it sealed, under its ceiling. */
static int64_t held_at(const struct part *p)
{
        return p->done < p->ceil ? p->done : p->ceil;
}

void xs_frontier_set_ceiling(struct xs_frontier *fr, uint32_t part, int64_t upto)
{
        struct part *p = get(fr, part);
        if (p)
                p->ceil = upto;
}

int64_t xs_frontier_limit_remote(const struct xs_frontier *fr)
{
        int64_t low = INT64_MAX;
        for (uint32_t i = 0; i < fr->n_parts; i++) {
                const struct part *p = &fr->parts[i];
                if (p->on && p->remote && held_at(p) < low)
                        low = held_at(p);
        }
        return low;
}

int64_t xs_frontier_done(const struct xs_frontier *fr, uint32_t part)
{
        return part < fr->n_parts ? fr->parts[part].done : INT64_MIN;
}

void xs_frontier_set_idle(struct xs_frontier *fr, uint32_t part, int idle)
{
        if (part < fr->n_parts)
                fr->parts[part].idle = idle;
}

int xs_frontier_is_idle(const struct xs_frontier *fr, uint32_t part)
{
        return part < fr->n_parts && fr->parts[part].idle;
}

int64_t xs_frontier_limit(const struct xs_frontier *fr)
{
        int64_t low = INT64_MAX;
        for (uint32_t i = 0; i < fr->n_parts; i++) {
                const struct part *p = &fr->parts[i];
                /* a ceiling holds the limit even while the partition idles */
                if (p->on && (!p->idle || p->ceil != INT64_MAX) && held_at(p) < low)
                        low = held_at(p);
        }
        return low;
}

int64_t xs_frontier_laggard(const struct xs_frontier *fr)
{
        int64_t low = INT64_MAX, who = -1;
        for (uint32_t i = 0; i < fr->n_parts; i++) {
                const struct part *p = &fr->parts[i];
                if (p->on && (!p->idle || p->ceil != INT64_MAX) && held_at(p) < low) {
                        low = held_at(p);
                        who = i;
                }
        }
        return who;
}

int64_t xs_frontier_sealed(const struct xs_frontier *fr, uint32_t part)
{
        return part < fr->n_parts ? fr->parts[part].sealed : INT64_MIN;
}

int64_t xs_frontier_time(const struct xs_frontier *fr, uint32_t part)
{
        return part < fr->n_parts ? fr->parts[part].time : INT64_MIN;
}

static void *take(struct xs_frontier *fr, struct part *p)
{
        struct held h = p->q[p->head];
        p->head = (p->head + 1) % p->cap;
        p->n--;
        fr->held--;
        fr->held_bytes -= h.bytes;
        return h.item;
}

int xs_frontier_next_seal(struct xs_frontier *fr, uint32_t *part, int64_t *upto)
{
        for (uint32_t i = 0; i < fr->n_parts; i++) {
                struct part *p = &fr->parts[i];
                /* the event that moved the seal is at the head: every earlier event of the
                 * partition has been processed, and none from it on stages anything older */
                int64_t s = p->n ? p->q[p->head].seal : p->sealed;
                if (s > p->ceil)
                        s = p->ceil; /* the rest once the ceiling is lifted */
                if (s != INT64_MIN && s > p->done) {
                        p->done = s;
                        *part = i;
                        *upto = s;
                        return 1;
                }
        }
        return 0;
}

void *xs_frontier_pop(struct xs_frontier *fr, int64_t step, uint32_t *part)
{
        for (uint32_t i = 0; i < fr->n_parts; i++) {
                struct part *p = &fr->parts[i];
                if (p->n && p->q[p->head].v <= step) {
                        *part = i;
                        return take(fr, p);
                }
        }
        return NULL;
}

int64_t xs_frontier_next_v(const struct xs_frontier *fr)
{
        int64_t low = INT64_MAX;
        for (uint32_t i = 0; i < fr->n_parts; i++) {
                const struct part *p = &fr->parts[i];
                if (p->n && p->q[p->head].v < low)
                        low = p->q[p->head].v;
        }
        return low;
}

void *xs_frontier_pop_any(struct xs_frontier *fr, uint32_t *part)
{
        for (uint32_t i = 0; i < fr->n_parts; i++) {
                struct part *p = &fr->parts[i];
                if (p->n) {
                        *part = i;
                        return take(fr, p);
                }
        }
        return NULL;
}

size_t xs_frontier_held(const struct xs_frontier *fr)
{
        return fr->held;
}

size_t xs_frontier_held_bytes(const struct xs_frontier *fr)
{
        return fr->held_bytes;
}

size_t xs_frontier_held_part(const struct xs_frontier *fr, uint32_t part)
{
        return part < fr->n_parts ? fr->parts[part].n : 0;
}

uint32_t xs_frontier_parts(const struct xs_frontier *fr)
{
        return fr->n_parts;
}

int xs_frontier_has(const struct xs_frontier *fr, uint32_t part)
{
        return part < fr->n_parts && fr->parts[part].on;
}
