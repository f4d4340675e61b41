/*
 * The internal panes topic: sealed panes shared by every instance (panes.c).
 */
#ifndef XS_KAFKA_PANES_H
#define XS_KAFKA_PANES_H

#include <stdint.h>

#include "xsell/engine.h"

struct xs_rt;

/* With window.visibility=sealed and state.share_panes: every input partition takes part in the
 * step, the panes topic is found (or created) and read from its beginning. Returns 0 (also when
 * off), or -1 (logged). */
int xs_rt_panes_start(struct xs_rt *rt);
void xs_rt_panes_stop(struct xs_rt *rt);
/* Every loop iteration: other instances' deltas and markers applied. Returns 1 when any was
 * (the step may move: xs_rt_hold_run), else 0. */
int xs_rt_panes_poll(struct xs_rt *rt);
/* A pane of part, ours, was sealed: published. */
void xs_rt_panes_sealed(struct xs_rt *rt, uint32_t part, const struct xs_pane_delta *d);
/* Partition part, just assigned, took up its previous owner's stage, written when that owner
 * had sealed part up to sealed: until this instance has read that owner's markers (and the
 * panes before them) that far, part seals nothing and holds the step at what has arrived
 * (panes_gated; lifted after window.idle_seal at most: panes_gate_expired). */
void xs_rt_panes_gate(struct xs_rt *rt, int32_t part, int64_t sealed);
/* Whether a partition we own has moved its marked point or idleness since its last marker
 * (the point: what it sealed, capped at one pane past this instance's step). */
int xs_rt_panes_due(struct xs_rt *rt);
/* The markers' values as of the changelog write about to be made (marks.c, commit.c), then
 * published once that write and its commit markers are acknowledged. */
void xs_rt_panes_capture(struct xs_rt *rt);
void xs_rt_panes_publish(struct xs_rt *rt);

#endif
