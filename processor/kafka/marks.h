/*
 * When the seal markers of the panes topic go out (marks.c): after the customers changelog holds
 * the point they name, under at-least-once with state.durable_markers.
 */
#ifndef XS_KAFKA_MARKS_H
#define XS_KAFKA_MARKS_H

struct xs_rt;

/* A marker for each partition we own whose marked point, idleness or time changed: at a
 * commit (exactly-once, in its transaction); with on_seal, only when a marked point or
 * idleness moved (kafka/panes.c: the point is what the partition sealed, capped at one pane
 * past this instance's step). Under at-least-once with a changelog and state.durable_markers,
 * a marker names only what the changelog holds durably: the changelog is written, then its
 * commit markers once it is acknowledged, then the seal markers once those are; call again
 * until then (every loop iteration does). */
void xs_rt_panes_mark(struct xs_rt *rt, int on_seal);

#endif
