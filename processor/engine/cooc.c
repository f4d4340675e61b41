/*
 * What one event adds to the co-occurrence window (PRODUCT.md §5): the relations of a view,
 * a cart change and a purchase, with every product paired against bounded per-customer state
 * only (recent views, cart lines, the open order, recent purchases), so the pairs one event
 * creates are bounded by those caps, whatever the input.
 */
#include <string.h>

#include "engine/cooc.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/window.h"
#include "util/conf_int.h"

static void add_pair(struct xs_engine *eng, int64_t t, uint32_t a, uint32_t b, enum xs_relation rel,
                     int32_t delta)
{
        xs_window_add_pair(eng->window, t, a, b, rel, delta);
}

void xs_cooc_view(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product)
{
        const struct xs_params *p = eng->p;
        xs_window_add_occurrence(eng->window, t, product, XS_REL_VIEW, 1);
        /* pair with the other products viewed within cooc.view_span, each once: a product
         * viewed again within the span refreshes its time but pairs nothing new */
        int seen_recently = 0;
        for (uint16_t i = 0; i < c->n_views; i++)
                if (c->views[i].product == product && t - c->views[i].t <= p->view_span)
                        seen_recently = 1;
        if (!seen_recently) {
                for (uint16_t i = 0; i < c->n_views; i++) {
                        const struct xs_view *v = &c->views[i];
                        if (v->product != product && t - v->t <= p->view_span && t >= v->t)
                                add_pair(eng, t, product, v->product, XS_REL_VIEW, 1);
                }
        }
        /* remember it: move to the newest end; drop the oldest when full */
        uint16_t cap =
            (uint16_t)(p->max_recent_views > p->undecided_min_products ? p->max_recent_views
                                                                       : p->undecided_min_products);
        for (uint16_t i = 0; i < c->n_views; i++) {
                if (c->views[i].product == product) {
                        memmove(&c->views[i], &c->views[i + 1],
                                (size_t)(c->n_views - i - 1) * sizeof(*c->views));
                        c->n_views--;
                        break;
                }
        }
        if (c->n_views == cap && cap) {
                memmove(&c->views[0], &c->views[1], (size_t)(cap - 1) * sizeof(*c->views));
                c->n_views--;
        }
        if (cap && XS_RESERVE(c->views, c->cap_views, c->n_views + 1u) == 0) {
                c->views[c->n_views].product = product;
                c->views[c->n_views].t = t;
                c->n_views++;
        }
}

void xs_cooc_cart_add(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product)
{
        xs_window_add_occurrence(eng->window, t, product, XS_REL_CART, 1);
        int64_t paired = 0;
        for (uint16_t i = 0; i < c->n_cart; i++) {
                if (c->cart[i].product == product)
                        continue;
                if (paired++ >= eng->p->max_basket_items - 1) {
                        eng->st.basket_items_truncated++;
                        break;
                }
                add_pair(eng, t, product, c->cart[i].product, XS_REL_CART, 1);
        }
}

void xs_cooc_cart_remove(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product)
{
        /* a removal undoes the cart pair and counts one against it */
        xs_window_add_occurrence(eng->window, t, product, XS_REL_CART, -1);
        int64_t paired = 0;
        for (uint16_t i = 0; i < c->n_cart; i++) {
                if (c->cart[i].product == product)
                        continue;
                if (paired++ >= eng->p->max_basket_items - 1)
                        break;
                add_pair(eng, t, product, c->cart[i].product, XS_REL_CART, -2);
        }
}

void xs_cooc_purchase(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint64_t order,
                      const uint32_t *items, size_t n)
{
        const struct xs_params *p = eng->p;
        size_t cap = (size_t)p->max_basket_items;
        if (order != c->open_order || order == 0) {
                /* a new order: the previous one is complete */
                c->open_order = order;
                c->n_order = 0;
                xs_window_add_orders(eng->window, t, 1);
        }
        for (size_t i = 0; i < n; i++) {
                uint32_t x = items[i];
                int in_order = 0;
                for (uint16_t j = 0; j < c->n_order; j++)
                        in_order |= c->order_items[j] == x;
                if (in_order)
                        continue;
                if (c->n_order >= cap || c->n_order >= XS_ORDER_MAX ||
                    XS_RESERVE(c->order_items, c->cap_order, c->n_order + 1u) != 0) {
                        eng->st.basket_items_truncated++;
                        continue;
                }
                /* same order: pair with every item of the order so far */
                for (uint16_t j = 0; j < c->n_order; j++)
                        add_pair(eng, t, x, c->order_items[j], XS_REL_ORDER, 1);
                c->order_items[c->n_order++] = x;
                xs_window_add_occurrence(eng->window, t, x, XS_REL_ORDER, 1);
                xs_window_add_occurrence(eng->window, t, x, XS_REL_CUSTOMER, 1);
                /* same customer, other orders, within the horizon: each product once */
                for (uint16_t j = 0; j < c->n_hist; j++) {
                        const struct xs_hist *h = &c->hist[j];
                        if (h->order == order || h->product == x || t - h->t > p->customer_horizon)
                                continue;
                        int dup = 0;
                        for (uint16_t k = j + 1; k < c->n_hist && !dup; k++)
                                dup = c->hist[k].product == h->product && c->hist[k].order != order;
                        if (!dup)
                                add_pair(eng, t, x, h->product, XS_REL_CUSTOMER, 1);
                }
                /* viewed one, bought the other */
                for (uint16_t j = 0; j < c->n_views; j++) {
                        const struct xs_view *v = &c->views[j];
                        if (v->product != x && t - v->t <= p->customer_horizon && t >= v->t)
                                add_pair(eng, t, x, v->product, XS_REL_VIEW_BUY, 1);
                }
        }
        /* history: newest at the end, one entry per product (a repeat purchase moves it to
         * the end with the new time, so repeats do not push other products out); drop the
         * oldest when full */
        for (size_t i = 0; i < n; i++) {
                for (uint16_t j = 0; j < c->n_hist; j++) {
                        if (c->hist[j].product == items[i]) {
                                memmove(&c->hist[j], &c->hist[j + 1],
                                        (size_t)(c->n_hist - j - 1) * sizeof(*c->hist));
                                c->n_hist--;
                                break;
                        }
                }
                if (c->n_hist == p->max_history) {
                        memmove(&c->hist[0], &c->hist[1],
                                (size_t)(c->n_hist - 1) * sizeof(*c->hist));
                        c->n_hist--;
                        eng->st.history_evictions++;
                }
                if (XS_RESERVE(c->hist, c->cap_hist, c->n_hist + 1u) != 0)
                        break;
                c->hist[c->n_hist].product = items[i];
                c->hist[c->n_hist].t = t;
                c->hist[c->n_hist].order = order;
                c->n_hist++;
        }
}
