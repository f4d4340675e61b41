/*
 * The memory budget (memory.budget): the bytes the engine's state holds, counted from what each
 * structure allocated (deterministic: the same input gives the same figures and the same
 * decisions on every machine), and what the engine does when they pass the budget. The count
 * caps (customers.max, cooc.max_pairs, catalog.max_products) bound numbers of things; ids of
 * 4 KB make a customer or a product cost far more than one of 16 B, and the budget bounds the
 * bytes whatever they are.
 *
 * A budget that bites makes the engine do less, never something looser: while over it, new
 * pairs are refused (as cooc.max_pairs does), new products are refused (as
 * catalog.max_products does), and a new customer evicts up to two least recently active ones
 * (as customers.max does), each counted (memory_pairs_refused, memory_products_refused,
 * memory_customers_evicted). Existing pairs, products and customers carry on.
 *
 * Checked once per event (and per advance and catalog record), in O(1): every part keeps its
 * own total as it grows. Between two checks the state may pass the budget by what one event
 * adds: a 64 KiB string block of the product table, one customer's arrays up to their caps,
 * pane cells of existing pairs, a doubling of a table (the customer slots, an id hash); with
 * window.visibility=sealed, a step also folds whole sealed panes at once (their cells and
 * learned products: one pane of the input's increments, held before as staged and sealed
 * bytes, which count too). And
 * while over it, what cannot be refused (existing pairs counted in a new pane, existing
 * customers' arrays, timers) is made up for by evicting customers as new ones come. The
 * duplicate suppression is counted at its full dedup.capacity from the start (it cannot give
 * way: forgetting ids early lets duplicates through); a budget below what the engine holds
 * before any event is a configuration error.
 */
#ifndef XS_BUDGET_H
#define XS_BUDGET_H

#include <stdint.h>

struct xs_engine;

/* The bytes the engine's state holds now. O(1). */
uint64_t xs_budget_bytes(const struct xs_engine *eng);
/* Updates memory_bytes (and its peak) and whether the engine is over memory.budget; while it
 * is, the window refuses new pairs. */
void xs_budget_check(struct xs_engine *eng);

#endif
