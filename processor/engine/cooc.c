/*
 * What one event adds to the co-occurrence window (PRODUCT.md §5): the relations of a view,
 * a cart change and a purchase, with every product paired against bounded per-customer state
 * only (recent views, cart lines, the open order, recent purchases), so the pairs one event
 * creates are bounded by those caps, whatever the input.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/cooc.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/window.h"
#include "util/conf_int.h"

static void add_pair(struct xs_engine *eng, int64_t t, uint32_t a, uint32_t b, enum xs_relation rel,
                     int32_t delta)
{
        xs_window_add_pair(eng->ingest, t, a, b, rel, delta);
}

void xs_cooc_view(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint32_t product)
{
        const struct xs_params *p = eng->p;
        xs_window_add_occurrence(eng->ingest, t, product, XS_REL_VIEW, 1);
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
        if (!c->n_cart) /* a new cart: one transaction until it is emptied or bought */
                xs_window_add_transactions(eng->ingest, t, XS_REL_CART, 1);
        xs_window_add_occurrence(eng->ingest, t, product, XS_REL_CART, 1);
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
        xs_window_add_occurrence(eng->ingest, t, product, XS_REL_CART, -1);
        int64_t paired = 0;
        for (uint16_t i = 0; i < c->n_cart; i++) {
                if (c->cart[i].product == product)
                        continue;
                if (paired++ >= eng->p->max_basket_items - 1)
                        break;
                add_pair(eng, t, product, c->cart[i].product, XS_REL_CART, -2);
        }
}

/* Scratch of n ids in eng (grown, never shrunk: bounded by the largest event); NULL when out
 * of memory. */
static uint32_t *scratch(struct xs_engine *eng, size_t n)
{
        if (n > eng->cap_scratch) {
                uint32_t *s = realloc(eng->scratch, n * sizeof(*s));
                if (!s)
                        return NULL;
                eng->scratch = s;
                eng->cap_scratch = n;
        }
        return eng->scratch;
}

static int in_list(const uint32_t *list, size_t n, uint32_t x)
{
        for (size_t i = 0; i < n; i++)
                if (list[i] == x)
                        return 1;
        return 0;
}

/* Is x in c's current customer episode (bought at or after its start)? */
static int in_episode(const struct xs_customer *c, uint32_t x)
{
        for (uint16_t j = 0; j < c->n_hist; j++)
                if (c->hist[j].product == x && c->hist[j].t >= c->episode_start)
                        return 1;
        return 0;
}

void xs_cooc_purchase(struct xs_engine *eng, struct xs_customer *c, int64_t t, uint64_t order,
                      const uint32_t *items, size_t n)
{
        const struct xs_params *p = eng->p;
        struct xs_window *w = eng->ingest;
        size_t cap = (size_t)p->max_basket_items;
        if (order != c->open_order || order == 0) {
                /* a new order: the previous one is complete */
                c->open_order = order;
                c->n_order = 0;
                xs_window_add_transactions(w, t, XS_REL_ORDER, 1);
        }
        if (!c->episode_start || t - c->episode_start > p->customer_horizon) {
                /* a new customer episode: this purchase and the customer's purchases of the
                 * next cooc.customer_horizon */
                c->episode_start = t;
                xs_window_add_transactions(w, t, XS_REL_CUSTOMER, 1);
        }
        /* scratch: the view side of this purchase (products viewed within cooc.view_span
         * before it, distinct: the view ring holds each product once), a flag per viewed
         * product (bought in this event already), then the items new to the episode */
        size_t nv = 0;
        for (uint16_t j = 0; j < c->n_views; j++)
                nv += c->views[j].t <= t && t - c->views[j].t <= p->view_span;
        uint32_t *sv = scratch(eng, 2 * nv + n);
        if (!sv) {
                eng->st.basket_items_truncated += n;
                goto history;
        }
        uint32_t *vdone = sv + nv, *ep_new = sv + 2 * nv;
        size_t n_ep_new = 0;
        nv = 0;
        for (uint16_t j = 0; j < c->n_views; j++)
                if (c->views[j].t <= t && t - c->views[j].t <= p->view_span) {
                        vdone[nv] = 0;
                        sv[nv++] = c->views[j].product;
                }
        if (nv) {
                /* a view-buy transaction: this purchase with its view side */
                xs_window_add_transactions(w, t, XS_REL_VIEW_BUY, 1);
                for (size_t k = 0; k < nv; k++)
                        xs_window_add_occurrence(w, t, sv[k], XS_REL_VIEW_BUY, 1);
        }
        for (size_t i = 0; i < n; i++) {
                uint32_t x = items[i];
                if (in_list(c->order_items, c->n_order, x))
                        continue;
                if (c->n_order >= cap ||
                    XS_RESERVE(c->order_items, c->cap_order, c->n_order + 1u) != 0) {
                        eng->st.basket_items_truncated++;
                        continue;
                }
                /* same order: pair with every item of the order so far */
                for (uint16_t j = 0; j < c->n_order; j++)
                        add_pair(eng, t, x, c->order_items[j], XS_REL_ORDER, 1);
                c->order_items[c->n_order++] = x;
                xs_window_add_occurrence(w, t, x, XS_REL_ORDER, 1);
                /* same customer episode: a product enters it once, pairing with everything in
                 * it (earlier orders of the episode, and this one) */
                if (!in_episode(c, x)) {
                        xs_window_add_occurrence(w, t, x, XS_REL_CUSTOMER, 1);
                        for (uint16_t j = 0; j < c->n_hist; j++)
                                if (c->hist[j].t >= c->episode_start)
                                        add_pair(eng, t, x, c->hist[j].product, XS_REL_CUSTOMER, 1);
                        for (size_t k = 0; k < n_ep_new; k++)
                                add_pair(eng, t, x, ep_new[k], XS_REL_CUSTOMER, 1);
                        ep_new[n_ep_new++] = x;
                }
                /* viewed one, bought the other, once per purchase: {x, v} was counted already
                 * when v was bought earlier in this event and x was viewed */
                if (nv) {
                        int x_viewed = 0;
                        for (size_t k = 0; k < nv; k++)
                                x_viewed |= sv[k] == x;
                        if (!x_viewed)
                                xs_window_add_occurrence(w, t, x, XS_REL_VIEW_BUY, 1);
                        for (size_t k = 0; k < nv; k++) {
                                if (sv[k] == x) {
                                        vdone[k] = 1;
                                        continue;
                                }
                                if (!(vdone[k] && x_viewed))
                                        add_pair(eng, t, x, sv[k], XS_REL_VIEW_BUY, 1);
                        }
                }
        }
history:
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
