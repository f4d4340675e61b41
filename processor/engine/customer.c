/*
 * The customer store and the customer's own state (customer.h): customers by id (uthash), in
 * slots (a timer names its customer by slot and generation) and in LRU order, so that at
 * customers.max the least recently active one is evicted; the cart; and the reads the policy
 * makes of a customer (in the cart, bought since, cart value).
 *
 * Bounds: at most customers.max customers, in slot arrays (they double) of at most about twice
 * that; a customer's arrays grow on demand (xs_reserve) up to their caps (XS_CART_MAX cart
 * lines, the history, view and pending caps of the configuration), never above UINT16_MAX.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "util/conf_int.h"

static void lru_unlink(struct xs_engine *eng, struct xs_customer *c)
{
        if (c->lru_prev)
                c->lru_prev->lru_next = c->lru_next;
        else
                eng->lru_head = c->lru_next;
        if (c->lru_next)
                c->lru_next->lru_prev = c->lru_prev;
        else
                eng->lru_tail = c->lru_prev;
        c->lru_prev = c->lru_next = NULL;
}

static void lru_push(struct xs_engine *eng, struct xs_customer *c)
{
        c->lru_next = eng->lru_head;
        c->lru_prev = NULL;
        if (eng->lru_head)
                eng->lru_head->lru_prev = c;
        eng->lru_head = c;
        if (!eng->lru_tail)
                eng->lru_tail = c;
}

void xs_customer_free(struct xs_customer *c)
{
        if (!c)
                return;
        free(c->id);
        free(c->cart_event_id);
        free(c->subscribe_event_id);
        free(c->cart);
        free(c->order_items);
        free(c->hist);
        free(c->views);
        free(c->pending);
        free(c);
}

/* Removes c and all of its state; its pending timers become stale (slot generation). */
void xs_customer_drop(struct xs_engine *eng, struct xs_customer *c)
{
        HASH_DEL(eng->customers, c);
        lru_unlink(eng, c);
        eng->slots[c->slot] = NULL;
        eng->slot_gen[c->slot]++;
        eng->free_slots[eng->n_free++] = c->slot;
        xs_customer_free(c);
        eng->st.customers_live--;
}

struct xs_customer *xs_customer_find(struct xs_engine *eng, const char *id)
{
        struct xs_customer *c;
        HASH_FIND_STR(eng->customers, id, c);
        return c;
}

/* Makes sure a free slot exists (growing the slot arrays). Returns 0 or -1. */
static int slot_reserve(struct xs_engine *eng)
{
        if (eng->n_free)
                return 0;
        if (eng->n_slots == eng->cap_slots) {
                /* customers.max <= 2e9, so the capacity stays below 2^32 */
                uint32_t cap = eng->cap_slots ? eng->cap_slots * 2 : 1024;
                struct xs_customer **slots = realloc(eng->slots, cap * sizeof(*slots));
                if (!slots)
                        return -1;
                eng->slots = slots;
                uint32_t *gen = realloc(eng->slot_gen, cap * sizeof(*gen));
                if (!gen)
                        return -1;
                eng->slot_gen = gen;
                uint32_t *fr = realloc(eng->free_slots, cap * sizeof(*fr));
                if (!fr)
                        return -1;
                eng->free_slots = fr;
                eng->cap_slots = cap;
        }
        eng->slot_gen[eng->n_slots] = 0;
        eng->free_slots[eng->n_free++] = eng->n_slots++;
        return 0;
}

/* Links c (not yet in the engine) in: slot, id hash, head of the LRU. Evicts the least
 * recently active customer when customers.max is reached. Returns 0 or -1 (c not linked). */
static int customer_link(struct xs_engine *eng, struct xs_customer *c)
{
        if ((int64_t)eng->st.customers_live >= eng->p->max_customers && eng->lru_tail) {
                xs_customer_drop(eng, eng->lru_tail);
                eng->st.customers_evicted++;
        }
        if (slot_reserve(eng) != 0)
                return -1;
        c->slot = eng->free_slots[--eng->n_free];
        eng->slots[c->slot] = c;
        HASH_ADD_KEYPTR(hh, eng->customers, c->id, strlen(c->id), c);
        lru_push(eng, c);
        eng->st.customers_live++;
        return 0;
}

struct xs_customer *xs_customer_get(struct xs_engine *eng, const char *id)
{
        struct xs_customer *c = xs_customer_find(eng, id);
        if (c) {
                lru_unlink(eng, c);
                lru_push(eng, c);
                return c;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->id = strdup(id);
        c->stage = XS_STAGE_BROWSING;
        c->email_ok = 1;
        c->tag = eng->tag;
        if (!c->id || customer_link(eng, c) != 0) {
                xs_customer_free(c);
                return NULL;
        }
        return c;
}

int xs_customer_install(struct xs_engine *eng, struct xs_customer *c)
{
        /* the slot first, so that out of memory leaves the old customer in place */
        if (slot_reserve(eng) != 0)
                return -1;
        struct xs_customer *old = xs_customer_find(eng, c->id);
        if (old)
                xs_customer_drop(eng, old);
        return customer_link(eng, c);
}

int xs_reserve(void **arr, uint16_t *cap, size_t elem, size_t need)
{
        if (need <= *cap)
                return 0;
        if (need > UINT16_MAX)
                return -1;
        size_t n = *cap ? *cap : 2;
        while (n < need)
                n *= 2;
        if (n > UINT16_MAX)
                n = UINT16_MAX;
        void *p = realloc(*arr, n * elem);
        if (!p)
                return -1;
        *arr = p;
        *cap = (uint16_t)n;
        return 0;
}

int xs_customer_in_cart(const struct xs_customer *c, uint32_t product)
{
        for (uint16_t i = 0; i < c->n_cart; i++)
                if (c->cart[i].product == product)
                        return 1;
        return 0;
}

int xs_customer_bought_since(const struct xs_customer *c, uint32_t product, int64_t since)
{
        for (uint16_t i = 0; i < c->n_hist; i++)
                if (c->hist[i].product == product && c->hist[i].t >= since)
                        return 1;
        return 0;
}

int64_t xs_customer_cart_value(const struct xs_customer *c)
{
        int64_t v = 0;
        for (uint16_t i = 0; i < c->n_cart; i++)
                if (c->cart[i].unit_price > 0)
                        v = xs_money_add(v,
                                         xs_money_mul(c->cart[i].unit_price, c->cart[i].quantity));
        return v;
}

/* A line's quantity saturates at event.max_quantity (max_qty): repeated additions of a legal
 * quantity must not overflow. */
void xs_customer_cart_add(struct xs_customer *c, uint32_t product, int32_t qty, int64_t price,
                          int64_t max_qty)
{
        for (uint16_t i = 0; i < c->n_cart; i++) {
                if (c->cart[i].product == product) {
                        int64_t sum = (int64_t)c->cart[i].quantity + qty;
                        c->cart[i].quantity = (int32_t)(sum > max_qty ? max_qty : sum);
                        if (price >= 0)
                                c->cart[i].unit_price = price;
                        return;
                }
        }
        if (c->n_cart == XS_CART_MAX || XS_RESERVE(c->cart, c->cap_cart, c->n_cart + 1u) != 0)
                return; /* a cart of 64 distinct lines: further lines are not tracked */
        c->cart[c->n_cart].product = product;
        c->cart[c->n_cart].quantity = qty;
        c->cart[c->n_cart].unit_price = price;
        c->n_cart++;
}

/* Returns 1 when the line was in the cart. */
int xs_customer_cart_remove(struct xs_customer *c, uint32_t product, int32_t qty)
{
        for (uint16_t i = 0; i < c->n_cart; i++) {
                if (c->cart[i].product != product)
                        continue;
                c->cart[i].quantity -= qty;
                if (c->cart[i].quantity <= 0) {
                        memmove(&c->cart[i], &c->cart[i + 1],
                                (size_t)(c->n_cart - i - 1) * sizeof(*c->cart));
                        c->n_cart--;
                }
                return 1;
        }
        return 0;
}
