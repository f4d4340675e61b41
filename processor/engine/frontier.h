/*
 * The frontier (issue 11): per input partition, its own event time, what is late in it, what
 * it has sealed, and the events it holds until the visible step reaches the one they need. No
 * I/O, no clock, no engine: `xsell replay` and the Kafka runtime drive it alike, which is what
 * makes replay and run give the same offers.
 *
 * For partition p: time_p is the newest event time it delivered; an event older than
 * time_p - window.allowed_lateness is late in p (whatever the other partitions did); sealed_p
 * = pane_floor(time_p - lateness): p will stage nothing older, so its panes ending there are
 * final. An event needs step V = sealed_p just after it (the panes every partition sealed up
 * to then); since V never decreases in p, events are held in arrival order and leave in it.
 * The step can move to the lowest sealed point that was sealed (xs_frontier_next_seal) among
 * the partitions that are not idle (the limit).
 *
 * Bounds: the held events' bytes as the caller declares them (the caller decides what to do
 * when they grow: pause a partition, or mark the partitions holding the limit back idle).
 */
#ifndef XS_FRONTIER_H
#define XS_FRONTIER_H

#include <stddef.h>
#include <stdint.h>

struct xs_frontier;

struct xs_frontier *xs_frontier_new(int64_t pane_ms, int64_t lateness_ms);
/* free_item is called for every item still held (may be NULL). */
void xs_frontier_destroy(struct xs_frontier *fr, void (*free_item)(void *item));

/* Partitions taking part in the limit. A partition appears on first use (add or push); remove
 * drops it with its held items (free_item each) and its time. */
int xs_frontier_add(struct xs_frontier *fr, uint32_t part);
void xs_frontier_remove(struct xs_frontier *fr, uint32_t part, void (*free_item)(void *item));
/* Restores a partition's time (from a changelog): as if an event at t had been seen. */
void xs_frontier_set_time(struct xs_frontier *fr, uint32_t part, int64_t t);

/* An event of part at event time t. Returns 1 when it is late in part (not taken), 0 when taken
 * (held; xs_frontier_pop hands it back), -1 out of memory. */
int xs_frontier_push(struct xs_frontier *fr, uint32_t part, int64_t t, void *item, size_t bytes);
/* A seal that is due: the event that moved a partition's sealed point is next in its queue, so
 * every earlier one was processed. Returns 1 with the partition and the point (the caller seals
 * the engine's stage of part up to there; it counts as done), 0 when none is due. The limit
 * counts done seals only. */
int xs_frontier_next_seal(struct xs_frontier *fr, uint32_t *part, int64_t *upto);

/* A partition processed elsewhere (its owner's seal marker): sealed, and done, up to upto. */
void xs_frontier_set_sealed(struct xs_frontier *fr, uint32_t part, int64_t upto);
/* Caps what part seals, and how far it lets the limit go, at upto (INT64_MAX: no cap; the seals
 * held back are due once it is lifted). A partition taken over from another instance whose
 * sealed panes are still on their way here (kafka/panes.c) is capped at what has arrived. */
void xs_frontier_set_ceiling(struct xs_frontier *fr, uint32_t part, int64_t upto);
/* part is processed by another instance (its owner's markers seal it) or here. */
void xs_frontier_set_remote(struct xs_frontier *fr, uint32_t part, int remote);
int xs_frontier_is_remote(const struct xs_frontier *fr, uint32_t part);
/* The lowest sealed point of the remote partitions, idle or not (INT64_MAX: none). */
int64_t xs_frontier_limit_remote(const struct xs_frontier *fr);
/* The point part has sealed and performed (INT64_MIN: none). */
int64_t xs_frontier_done(const struct xs_frontier *fr, uint32_t part);
/* Idle partitions do not hold the limit back; a push clears it. */
void xs_frontier_set_idle(struct xs_frontier *fr, uint32_t part, int idle);
int xs_frontier_is_idle(const struct xs_frontier *fr, uint32_t part);

/* The lowest sealed point of the partitions that take part and are not idle: INT64_MIN while
 * one of them has seen nothing yet, INT64_MAX when none holds it. */
int64_t xs_frontier_limit(const struct xs_frontier *fr);
/* A partition at the limit (the one holding it back), or -1. */
int64_t xs_frontier_laggard(const struct xs_frontier *fr);
int64_t xs_frontier_sealed(const struct xs_frontier *fr, uint32_t part);
int64_t xs_frontier_time(const struct xs_frontier *fr, uint32_t part);

/* The lowest step a held item needs (INT64_MAX when none is held). */
int64_t xs_frontier_next_v(const struct xs_frontier *fr);
/* The next held item that needs a step at or before step, lowest partition first; its
 * partition in *part. NULL when none. */
void *xs_frontier_pop(struct xs_frontier *fr, int64_t step, uint32_t *part);
/* The next held item of part regardless of the step (end of input), or NULL. */
void *xs_frontier_pop_any(struct xs_frontier *fr, uint32_t *part);

size_t xs_frontier_held(const struct xs_frontier *fr);
size_t xs_frontier_held_bytes(const struct xs_frontier *fr);
size_t xs_frontier_held_part(const struct xs_frontier *fr, uint32_t part);
/* The partitions known (added or pushed), as an upper bound of their numbers + 1. */
uint32_t xs_frontier_parts(const struct xs_frontier *fr);
int xs_frontier_has(const struct xs_frontier *fr, uint32_t part);

int64_t xs_frontier_pane_floor(const struct xs_frontier *fr, int64_t t);

#endif
