/*
 * Stepped visibility, the engine's side (stepped.c; the API is in xsell/engine.h): what
 * engine.c calls.
 */
#ifndef XS_STEPPED_H
#define XS_STEPPED_H

#include <stdint.h>

struct xs_engine;

/* Points eng->ingest at partition part's stage (created on first use). -1 out of memory. */
int xs_stepped_tag(struct xs_engine *eng, uint32_t part);
/* Stages a product learned from a line item of an event at t (catalog.learn_from_events): the
 * catalog learns it when its pane is folded. -1 out of memory. */
struct xs_line_item;
int xs_stepped_learn(struct xs_engine *eng, int64_t t, const struct xs_line_item *li,
                     const char *currency);
/* Folds every sealed pane that ends at or before g into the window. */
void xs_stepped_fold_to(struct xs_engine *eng, int64_t g);
/* Bytes of the stages and the sealed panes waiting. */
uint64_t xs_stepped_bytes(const struct xs_engine *eng);
void xs_stepped_destroy(struct xs_engine *eng);
/* The engine window's close hook: hands a closed pane to xs_engine_set_pane_hook's callback. */
struct xs_window_pane;
void xs_stepped_on_pane_close(void *opaque, const struct xs_window_pane *pane);

#endif
