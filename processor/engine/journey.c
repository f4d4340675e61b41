/*
 * The customer journey (PRODUCT.md §2): the stage an event moves a customer to, and the
 * journey timers. Every stage change goes through xs_journey_set_stage (the policy's timer
 * rules and the pipeline's end of a purchase call it too): one signal each, counted per stage.
 * The transitions of an event also keep the customer's cart and flags and count the event's
 * co-occurrences (cooc.c).
 *
 * Timers live in one binary min-heap by (due, seq), so ties fire in arming order and a replay
 * is deterministic. A customer has at most XS_TIMER_COUNT armed timers (timer_due); re-arming
 * or cancelling leaves the old heap entry stale rather than searching for it, and stale
 * entries are dropped when popped, or all at once when they outnumber the live ones, so the
 * heap stays proportional to the armed timers. Firing is the pipeline's (engine.c): it pops
 * due timers here and hands them to the policy, so the journey never calls the policy.
 *
 * Bounds: the UNDECIDED test is O(views^2), views at most max(cooc.max_recent_views,
 * journey.undecided_min_products); arming is O(log heap), amortized over compactions.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/cooc.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/journey.h"
#include "engine/reorder.h"
#include "util/conf_int.h"
#include "util/xs_uthash.h"

/* ---- stages ------------------------------------------------------------------------- */

void xs_journey_set_stage(struct xs_engine *eng, struct xs_customer *c, enum xs_stage to, int64_t t,
                          const char *trigger_event_id, const char *reason)
{
        if (c->stage == to)
                return;
        struct xs_signal s = {.customer_id = c->id,
                              .from = (enum xs_stage)c->stage,
                              .to = to,
                              .trigger_event_id = trigger_event_id,
                              .reason = reason,
                              .event_time = t};
        c->stage = (uint8_t)to;
        c->stage_since = t;
        eng->st.stage_entries[to]++;
        eng->st.signals++;
        if (eng->sink.signal)
                eng->sink.signal(eng->sink.opaque, &s);
}

static int onboarding_active(const struct xs_customer *c, int64_t t)
{
        return c->has_purchased && !c->value_realized && t < c->onboarding_until;
}

/* After a view: UNDECIDED when many distinct products of one category were viewed within the
 * span and the cart is empty. */
static int undecided(struct xs_engine *eng, const struct xs_customer *c, int64_t t)
{
        const struct xs_params *p = eng->p;
        if (c->n_cart)
                return 0;
        for (uint16_t i = 0; i < c->n_views; i++) {
                const struct xs_cat_product *pi = xs_catalog_get(eng->catalog, c->views[i].product);
                if (!pi || !pi->category)
                        continue;
                int64_t same = 0;
                for (uint16_t j = 0; j < c->n_views; j++) {
                        const struct xs_cat_product *pj =
                            xs_catalog_get(eng->catalog, c->views[j].product);
                        if (pj && pj->category == pi->category &&
                            t - c->views[j].t <= p->undecided_span)
                                same++;
                }
                if (same >= p->undecided_min_products)
                        return 1;
        }
        return 0;
}

static int set_str(char **dst, const char *src)
{
        char *copy = src ? strdup(src) : NULL;
        if (src && !copy)
                return -1;
        free(*dst);
        *dst = copy;
        return 0;
}

void xs_journey_unsubscribe(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev)
{
        c->subscribed = 0;
        c->email_ok = 0;
        xs_journey_timer_cancel(c, XS_TIMER_LEAD);
        xs_customer_lead_reset(c); /* a later SUBSCRIBE starts a new lead period */
        if (c->stage == XS_STAGE_LEAD)
                xs_journey_set_stage(eng, c, XS_STAGE_BROWSING, ev->event_time, ev->event_id,
                                     "unsubscribe");
}

/* items[i] is the product of ev->items[i] (the event's lines compacted by the caller). */
void xs_journey_on_event(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                         const uint32_t *items, size_t n)
{
        const struct xs_params *p = eng->p;
        int64_t t = ev->event_time;
        switch (ev->type) {
        case XS_EV_PRODUCT_VIEW:
                for (size_t i = 0; i < n; i++)
                        xs_cooc_view(eng, c, t, items[i]);
                if (c->n_cart || c->stage == XS_STAGE_LEAD || c->stage == XS_STAGE_VALUE_REALIZED)
                        break;
                if (onboarding_active(c, t))
                        xs_journey_set_stage(eng, c, XS_STAGE_ONBOARDING, t, ev->event_id, "view");
                else if (undecided(eng, c, t))
                        xs_journey_set_stage(eng, c, XS_STAGE_UNDECIDED, t, ev->event_id,
                                             "many_views_one_category");
                else
                        xs_journey_set_stage(eng, c, XS_STAGE_BROWSING, t, ev->event_id, "view");
                break;
        case XS_EV_ADD_TO_CART:
                for (size_t i = 0; i < n; i++) {
                        if (!xs_customer_in_cart(c, items[i]))
                                xs_cooc_cart_add(eng, c, t, items[i]);
                        xs_customer_cart_add(c, items[i], ev->items[i].quantity,
                                             ev->items[i].unit_price, p->event_max_quantity);
                }
                if (ev->currency[0])
                        memcpy(c->currency, ev->currency, XS_CURRENCY_LEN);
                set_str(&c->cart_event_id, ev->event_id);
                xs_journey_timer_arm(eng, c, XS_TIMER_CART, t + p->cart_abandon_timeout);
                xs_journey_set_stage(eng, c, XS_STAGE_CART, t, ev->event_id, "add_to_cart");
                break;
        case XS_EV_REMOVE_FROM_CART:
                for (size_t i = 0; i < n; i++) {
                        if (!xs_customer_in_cart(c, items[i]))
                                continue;
                        int32_t before = 0;
                        for (uint16_t j = 0; j < c->n_cart; j++)
                                if (c->cart[j].product == items[i])
                                        before = c->cart[j].quantity;
                        if (ev->items[i].quantity >= before)
                                xs_cooc_cart_remove(eng, c, t, items[i]);
                        xs_customer_cart_remove(c, items[i], ev->items[i].quantity);
                }
                set_str(&c->cart_event_id, ev->event_id);
                if (c->n_cart) {
                        xs_journey_timer_arm(eng, c, XS_TIMER_CART, t + p->cart_abandon_timeout);
                } else {
                        xs_journey_timer_cancel(c, XS_TIMER_CART);
                        if (c->stage == XS_STAGE_CART || c->stage == XS_STAGE_CHECKOUT ||
                            c->stage == XS_STAGE_CART_ABANDONED)
                                xs_journey_set_stage(eng, c, XS_STAGE_BROWSING, t, ev->event_id,
                                                     "cart_emptied");
                }
                break;
        case XS_EV_CHECKOUT_START:
                xs_journey_timer_cancel(c, XS_TIMER_CART);
                xs_journey_set_stage(eng, c, XS_STAGE_CHECKOUT, t, ev->event_id, "checkout_start");
                break;
        case XS_EV_PURCHASE: {
                uint64_t order = ev->order_id && *ev->order_id ? xs_hash_str(ev->order_id, 1)
                                                               : xs_hash_str(ev->event_id, 2);
                xs_cooc_purchase(eng, c, t, order, items, n);
                xs_reorder_observe(eng, c, t, items, n); /* records it in the bought set */
                xs_journey_reorder_arm(eng, c, t);
                c->n_cart = 0;
                xs_journey_timer_cancel(c, XS_TIMER_CART);
                xs_journey_timer_cancel(c, XS_TIMER_LEAD);
                c->has_purchased = 1;
                c->value_realized = 0;
                c->last_purchase_at = t;
                if (ev->currency[0])
                        memcpy(c->currency, ev->currency, XS_CURRENCY_LEN);
                xs_journey_set_stage(eng, c, XS_STAGE_PURCHASED, t, ev->event_id, "purchase");
                break;
        }
        case XS_EV_SUBSCRIBE:
                c->subscribed = 1;
                c->email_ok = 1;
                set_str(&c->subscribe_event_id, ev->event_id);
                if (!c->has_purchased)
                        xs_journey_timer_arm(eng, c, XS_TIMER_LEAD, t + p->lead_after);
                break;
        case XS_EV_UNSUBSCRIBE:
                xs_journey_unsubscribe(eng, c, ev);
                break;
        case XS_EV_USAGE_MILESTONE:
        case XS_EV_REFERRAL:
                if (!c->has_purchased)
                        break;
                c->value_realized = 1;
                xs_journey_timer_cancel(c, XS_TIMER_ONBOARDING);
                xs_journey_set_stage(eng, c, XS_STAGE_VALUE_REALIZED, t, ev->event_id,
                                     ev->type == XS_EV_REFERRAL ? "referral" : "usage_milestone");
                break;
        case XS_EV_OFFER_DISMISSED:
                c->cooldown_until = t + p->dismiss_cooldown;
                break;
        default:
                break;
        }
}

/* ---- timers ------------------------------------------------------------------------- */

void xs_journey_reorder_arm(struct xs_engine *eng, struct xs_customer *c, int64_t t)
{
        if (eng->p->reorder_window <= 0)
                return;
        int64_t due = xs_reorder_next_due(eng, c, c->reorder_at > t ? c->reorder_at : t);
        if (due > 0)
                xs_journey_timer_arm(eng, c, XS_TIMER_REORDER, due);
        else
                xs_journey_timer_cancel(c, XS_TIMER_REORDER);
}

static int timer_less(const struct xs_timer *a, const struct xs_timer *b)
{
        return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_up(struct xs_timer *h, size_t i)
{
        while (i > 0) {
                size_t parent = (i - 1) / 2;
                if (!timer_less(&h[i], &h[parent]))
                        break;
                struct xs_timer tmp = h[i];
                h[i] = h[parent];
                h[parent] = tmp;
                i = parent;
        }
}

static void heap_down(struct xs_timer *h, size_t n, size_t i)
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < n && timer_less(&h[l], &h[m]))
                        m = l;
                if (r < n && timer_less(&h[r], &h[m]))
                        m = r;
                if (m == i)
                        return;
                struct xs_timer tmp = h[i];
                h[i] = h[m];
                h[m] = tmp;
                i = m;
        }
}

static int timer_live(const struct xs_engine *eng, const struct xs_timer *t)
{
        const struct xs_customer *c = t->slot < eng->n_slots ? eng->slots[t->slot] : NULL;
        return c && eng->slot_gen[t->slot] == t->gen && c->timer_due[t->kind] == t->due;
}

/* Drops stale entries when they outnumber live ones, so the heap stays bounded by the number
 * of armed timers (re-arming a cart timer on every cart change leaves stale entries). */
static void heap_compact(struct xs_engine *eng)
{
        size_t keep = 0;
        for (size_t i = 0; i < eng->n_timers; i++)
                if (timer_live(eng, &eng->timers[i]))
                        eng->timers[keep++] = eng->timers[i];
        eng->n_timers = keep;
        for (size_t i = keep / 2 + 1; i-- > 0;)
                heap_down(eng->timers, eng->n_timers, i);
}

void xs_journey_timer_arm(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind,
                          int64_t due)
{
        if (due <= 0)
                due = 1;
        c->timer_due[kind] = due;
        if (eng->n_timers == eng->cap_timers) {
                if (eng->n_timers > 3 * eng->st.customers_live + 1024) {
                        heap_compact(eng);
                }
                if (eng->n_timers == eng->cap_timers) {
                        size_t cap = eng->cap_timers ? eng->cap_timers * 2 : 1024;
                        struct xs_timer *t = realloc(eng->timers, cap * sizeof(*t));
                        if (!t) {
                                c->timer_due[kind] = 0;
                                return;
                        }
                        eng->timers = t;
                        eng->cap_timers = cap;
                }
        }
        struct xs_timer *t = &eng->timers[eng->n_timers];
        t->due = due;
        t->seq = eng->timer_seq++;
        t->slot = c->slot;
        t->gen = eng->slot_gen[c->slot];
        t->kind = (uint8_t)kind;
        heap_up(eng->timers, eng->n_timers++);
}

void xs_journey_timer_cancel(struct xs_customer *c, enum xs_timer_kind kind)
{
        c->timer_due[kind] = 0;
}

struct xs_customer *xs_journey_timer_pop(struct xs_engine *eng, int64_t until, struct xs_timer *t)
{
        while (eng->n_timers && eng->timers[0].due <= until) {
                *t = eng->timers[0];
                eng->timers[0] = eng->timers[--eng->n_timers];
                heap_down(eng->timers, eng->n_timers, 0);
                if (timer_live(eng, t))
                        return eng->slots[t->slot];
        }
        return NULL;
}

void xs_journey_timer_defer(struct xs_engine *eng, const struct xs_timer *t)
{
        eng->timers[eng->n_timers] = *t;
        heap_up(eng->timers, eng->n_timers++);
}
