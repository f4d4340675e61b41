/*
 * Buy again, on time (PRODUCT.md §2 REORDER DUE): each product's typical re-purchase interval,
 * learned from the stream, and the products of a customer that come due for a re-order.
 *
 * A gap is the time between two purchases of one product by one customer (the earlier one from
 * the customer's bought set, which keeps purchases for max(guard.bought_horizon,
 * reorder.window)). A product's interval is the median of its most recent gaps observed within
 * reorder.window, used once they come from reorder.min_buyers distinct buyers. The journey feeds
 * purchases in (xs_reorder_observe) and arms the customer's REORDER timer at
 * xs_reorder_next_due; the policy asks xs_reorder_due for the products of the e-mail. This
 * module calls neither. A customer's own repeat evidence (how often it bought the product, over
 * what span: xs_bought.times and span_h, kept in the bought set's entry at no extra bytes) sets
 * its own interval once it has two purchases of it and ranks the e-mail first (issue 9 item 11,
 * measured in BENCHMARKS.md "Buy again").
 *
 * The same purchases teach which categories customers re-buy (issue 9 item 10): per category,
 * its buyers in reorder.window and the repeat buyers among them (xs_reorder_category), so that
 * the policy offers a better grade after a purchase only where a next purchase is likely.
 */
#ifndef XS_REORDER_H
#define XS_REORDER_H

#include <stddef.h>
#include <stdint.h>

struct xs_customer;
struct xs_engine;

#define XS_REORDER_GAPS     32 /* most recent gaps kept per product (the median's sample) */
#define XS_REORDER_MIN_GAP  (24 * 3600000LL) /* shorter gaps are split orders, not re-orders */
#define XS_REBUY_ORDER_CATS 256 /* categories of one order learned (rebuy_categories_dropped) */

struct xs_reorder;

/* A product of a customer that is due: its re-order time, the customer's last purchase, the
 * product's interval and the repeat buyers behind it. */
struct xs_reorder_item {
        uint32_t product;
        int32_t buyers;
        int32_t times; /* the customer's own purchases of it (xs_bought.times) */
        int64_t due, last, interval;
};

struct xs_reorder *xs_reorder_new(void);
void xs_reorder_destroy(struct xs_reorder *ro);
/* Bytes held (rings and the per-product index) and gaps kept. */
size_t xs_reorder_bytes(const struct xs_reorder *ro);
uint64_t xs_reorder_gaps(const struct xs_reorder *ro);

/* Records c's purchase at t of items[0..n) (distinct) in c's bought set
 * (xs_customer_bought_add), learning first the re-purchase gaps and the category re-buy counts
 * it brings. Counts (reorder_within_horizon) each item whose learned interval is within
 * guard.bought_horizon: buy-again never offers it. */
void xs_reorder_observe(struct xs_engine *eng, struct xs_customer *c, int64_t t,
                        const uint32_t *items, size_t n);
/* The category's buyers in reorder.window at t (customers whose latest purchase in it is in the
 * window, at a granularity of reorder.window / 64), and in *repeat those among them whose latest
 * purchase in it re-bought it (an earlier one within reorder.window, a day or more before). 0
 * for an unknown category or with buy-again off (reorder.window 0). */
int64_t xs_reorder_category(struct xs_engine *eng, uint32_t category, int64_t t, int64_t *repeat);
/* Stepped mode (sealed visibility): applies what the purchases of the panes ending by g taught
 * the shared rings and category counts, in an order of their content; until then a
 * purchase's learning is staged (reorder.c). Called by xs_engine_step. */
void xs_reorder_step(struct xs_engine *eng, int64_t g);
/* The product's learned interval (ms) and its distinct repeat buyers; 0 when it has none
 * (fewer than reorder.min_buyers buyers, or buy-again off). */
int64_t xs_reorder_interval(struct xs_engine *eng, uint32_t product, int32_t *buyers);
/* The earliest re-order time after `after` of c's bought products whose interval is longer
 * than guard.bought_horizon (others are never offered); 0 when there is none. O(bought).
 * The interval of a product c bought once is the product's (xs_reorder_interval); of one c
 * bought two or more times (xs_bought.times) c's own mean gap shrunk toward the product's
 * interval, (span + interval) / times, or c's own mean gap alone when the product has none. */
int64_t xs_reorder_next_due(struct xs_engine *eng, const struct xs_customer *c, int64_t after);
/* c's products due in (from, to] (intervals as xs_reorder_next_due), at most max into out,
 * ranked by c's own purchases of the product, then its repeat buyers, then nearness of the
 * re-order time to `at`, then product id. Returns the number put. Guardrails are the caller's. */
size_t xs_reorder_due(struct xs_engine *eng, const struct xs_customer *c, int64_t from, int64_t to,
                      int64_t at, struct xs_reorder_item *out, size_t max);

#endif
