/*
 * The customer store and the customer's own state (customer.h): customers by id (uthash), in
 * slots (a timer names its customer by slot and generation) and in LRU order, so that at
 * customers.max the least recently active one is evicted; the cart; and the reads the policy
 * makes of a customer (in the cart, bought recently, cart value).
 *
 * The bought guard (PRODUCT.md §3: never offer what the customer bought within
 * guard.bought_horizon) is exact: a per-customer set of every product bought within the
 * horizon (kept for reorder.window when that is longer: buy again reads the set, reorder.c)
 * with its last purchase minute, sorted by product id (8 bytes a product), rather than
 * the pair history, which keeps only the last cooc.max_history products (an Online Retail order
 * alone holds about 25). Entries are pruned on write once no lookup can need them. The cap
 * guard.max_bought bounds it (the oldest entry goes first; one beyond the horizon simply goes);
 * when the cap evicts a product still within the horizon the guard
 * becomes stricter, never looser: bought_floor is the latest purchase time evicted and
 * bought_bits has one of 64 bits set per evicted product (the hash of its external id, so the
 * bits mean the same after a state restore in another instance). A product not in the set whose
 * bit is set counts as bought at bought_floor: every evicted product was bought at or before
 * it, so each is still guarded for as long as it could need to be; other products that share
 * its bit are guarded too, until t - horizon passes bought_floor and the bits are cleared.
 *
 * Memory (memory.budget): each customer's bytes (xs_customer_bytes: the struct, the id strings,
 * the arrays as allocated) are kept in the engine's customer_bytes, brought up to date when a
 * customer comes, goes, and after the engine's work on it (xs_customer_account); each customer
 * remembers what it was last accounted at, so a drop subtracts exactly what was added. While
 * the engine is over its budget (at its last check, plus the store as it is now), a new customer
 * evicts up to two least recently active ones: the store shrinks, the work per new customer
 * stays bounded.
 *
 * Bounds: at most customers.max customers, in slot arrays (they double) of at most about twice
 * that; a customer's arrays grow on demand (xs_reserve) up to their caps (XS_CART_MAX cart
 * lines, the history, view, pending, bought and LEAD e-mail caps of the configuration), never above
 * UINT16_MAX. Recording a purchase of k products costs O(n) for the prune and O(log n + n) per
 * new product (binary search, insertion; a cap eviction scans for the oldest), n <=
 * guard.max_bought; a lookup O(log n).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "util/array.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/xs_uthash.h"

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
        free(c->bought);
        free(c->views);
        free(c->pending);
        free(c->lead_products);
        for (uint8_t i = 0; i < c->n_recent; i++)
                free(c->recent[i].trigger);
        free(c->recent);
        free(c);
}

void xs_customer_lead_reset(struct xs_customer *c)
{
        free(c->lead_products);
        c->lead_products = NULL;
        c->cap_lead = 0;
        c->n_lead = 0;
        c->lead_done = 0;
}

#define MALLOC_HEADER 16 /* what malloc adds to a block, near enough (glibc: 8, rounded to 16) */

static size_t str_bytes(const char *s)
{
        return s ? strlen(s) + 1 + MALLOC_HEADER : 0;
}

static size_t arr_bytes(const void *arr, size_t cap, size_t elem)
{
        return arr ? cap * elem + MALLOC_HEADER : 0;
}

static size_t recent_bytes(const struct xs_customer *c)
{
        size_t b = arr_bytes(c->recent, c->cap_recent, sizeof(*c->recent));
        for (uint8_t i = 0; i < c->n_recent; i++)
                b += str_bytes(c->recent[i].trigger);
        return b;
}

size_t xs_customer_bytes(const struct xs_customer *c)
{
        return sizeof(*c) + MALLOC_HEADER + str_bytes(c->id) + str_bytes(c->cart_event_id) +
               str_bytes(c->subscribe_event_id) +
               arr_bytes(c->cart, c->cap_cart, sizeof(*c->cart)) +
               arr_bytes(c->order_items, c->cap_order, sizeof(*c->order_items)) +
               arr_bytes(c->hist, c->cap_hist, sizeof(*c->hist)) +
               arr_bytes(c->bought, c->cap_bought, sizeof(*c->bought)) +
               arr_bytes(c->views, c->cap_views, sizeof(*c->views)) +
               arr_bytes(c->pending, c->cap_pending, sizeof(*c->pending)) +
               arr_bytes(c->lead_products, c->cap_lead, sizeof(*c->lead_products)) +
               recent_bytes(c);
}

void xs_customer_account(struct xs_engine *eng, struct xs_customer *c)
{
        size_t b = xs_customer_bytes(c);
        uint32_t now = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
        eng->customer_bytes = eng->customer_bytes - c->acct_bytes + now;
        c->acct_bytes = now;
}

uint64_t xs_customer_store_bytes(const struct xs_engine *eng)
{
        return eng->customer_bytes +
               (uint64_t)eng->cap_slots *
                   (sizeof(*eng->slots) + sizeof(*eng->slot_gen) + sizeof(*eng->free_slots)) +
               XS_HASH_TABLE_BYTES(eng->customers);
}

/* Removes c and all of its state; its pending timers become stale (slot generation). */
void xs_customer_drop(struct xs_engine *eng, struct xs_customer *c)
{
        eng->customer_bytes -= c->acct_bytes;
        HASH_DEL(eng->customers, c);
        lru_unlink(eng, c);
        eng->slots[c->slot] = NULL;
        eng->slot_gen[c->slot]++;
        eng->free_slots[eng->n_free++] = c->slot;
        xs_customer_free(c);
        eng->st.customers_live--;
}

void xs_customer_touch(struct xs_engine *eng, struct xs_customer *c)
{
        if (!eng->track_changes || c->dirty)
                return;
        if (xs_array_fit((void **)&eng->dirty, &eng->cap_dirty, sizeof(*eng->dirty), eng->n_dirty,
                         1024, SIZE_MAX) != 0) {
                /* not listed: the next commit writes everything (xs_engine_changes) */
                eng->changes_lost = 1;
                return;
        }
        eng->dirty[eng->n_dirty++] = (struct xs_dirty){c->slot, eng->slot_gen[c->slot]};
        c->dirty = 1;
}

void xs_customer_end(struct xs_engine *eng, struct xs_customer *c)
{
        if (eng->track_changes) {
                char *id = NULL;
                if (xs_array_fit((void **)&eng->gone, &eng->cap_gone, sizeof(*eng->gone),
                                 eng->n_gone, 256, SIZE_MAX) == 0 &&
                    (id = strdup(c->id))) {
                        eng->gone[eng->n_gone++] = (struct xs_gone){id, c->tag};
                        eng->gone_bytes += strlen(id) + 1;
                } else {
                        eng->changes_lost = 1;
                }
        }
        xs_customer_drop(eng, c);
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
                xs_customer_end(eng, eng->lru_tail);
                eng->st.customers_evicted++;
        }
        uint64_t budget = (uint64_t)eng->p->memory_budget;
        uint64_t need = xs_customer_bytes(c);
        for (int k = 0; budget && k < 2 && eng->lru_tail &&
                        eng->mem_rest + xs_customer_store_bytes(eng) + need > budget;
             k++) {
                xs_customer_end(eng, eng->lru_tail);
                eng->st.memory_customers_evicted++;
        }
        if (slot_reserve(eng) != 0)
                return -1;
        c->slot = eng->free_slots[--eng->n_free];
        eng->slots[c->slot] = c;
        HASH_ADD_KEYPTR(hh, eng->customers, c->id, strlen(c->id), c);
        lru_push(eng, c);
        eng->st.customers_live++;
        c->acct_bytes = 0;
        xs_customer_account(eng, c);
        return 0;
}

struct xs_customer *xs_customer_get(struct xs_engine *eng, const char *id)
{
        struct xs_customer *c = xs_customer_find(eng, id);
        if (c) {
                lru_unlink(eng, c);
                lru_push(eng, c);
                xs_customer_touch(eng, c);
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
        xs_customer_touch(eng, c);
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

/* ---- the bought guard ---------------------------------------------------------------- */

#define XS_MINUTE_MS 60000LL

uint32_t xs_customer_bought_minute(int64_t t)
{
        if (t <= 0)
                return 0;
        /* XS_MAX_TIME / 60000 rounded up is 4,223,371,680 < 2^32 */
        return (uint32_t)((t + XS_MINUTE_MS - 1) / XS_MINUTE_MS);
}

uint64_t xs_customer_bought_bit(const char *product_id)
{
        return 1ull << (xs_hash_str(product_id, 0xb0 /* bought */) & 63);
}

/* The index of product in c->bought, or the insertion point (~index) when it is absent. */
static long bought_find(const struct xs_customer *c, uint32_t product)
{
        long lo = 0, hi = (long)c->n_bought;
        while (lo < hi) {
                long mid = lo + (hi - lo) / 2;
                if (c->bought[mid].product < product)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < (long)c->n_bought && c->bought[lo].product == product)
                return lo;
        return ~lo;
}

long xs_customer_bought_index(const struct xs_customer *c, uint32_t product)
{
        long i = c->n_bought ? bought_find(c, product) : -1;
        return i >= 0 ? i : -1;
}

int xs_customer_bought_recently(const struct xs_engine *eng, const struct xs_customer *c,
                                uint32_t product, int64_t t)
{
        int64_t since = t - eng->p->bought_horizon;
        long i = c->n_bought ? bought_find(c, product) : -1;
        if (i >= 0)
                return (int64_t)c->bought[i].minute * XS_MINUTE_MS >= since;
        if (c->bought_bits && c->bought_floor >= since) {
                const char *id = xs_intern_str(eng->products, product);
                return id && (c->bought_bits & xs_customer_bought_bit(id)) != 0;
        }
        return 0;
}

/* Puts a product that the set cannot hold (evicted, or no memory) into the cap rule. */
static void bought_overflow(struct xs_engine *eng, struct xs_customer *c, uint32_t product,
                            int64_t t_ms)
{
        const char *id = xs_intern_str(eng->products, product);
        c->bought_bits |= id ? xs_customer_bought_bit(id) : ~0ull;
        if (t_ms > c->bought_floor)
                c->bought_floor = t_ms;
}

/* A later purchase (minute m) of e's product: a re-purchase when XS_BOUGHT_REPEAT_GAP or more
 * after the previous one (a second order the same day is the same purchase), and the span from
 * the first purchase grows by the time between them either way. Both saturate. */
static void bought_again(struct xs_bought *e, uint32_t m)
{
        uint32_t dm = m - e->minute;
        if ((int64_t)dm * XS_MINUTE_MS >= XS_BOUGHT_REPEAT_GAP && e->times < UINT8_MAX)
                e->times++;
        uint32_t span = e->span_h + dm / 60;
        e->span_h = (uint16_t)(span < UINT16_MAX ? span : UINT16_MAX);
        e->minute = m;
        e->flags = 0;
}

void xs_customer_bought_add(struct xs_engine *eng, struct xs_customer *c, int64_t t,
                            const uint32_t *items, size_t n)
{
        const struct xs_params *p = eng->p;
        /* Lookups for c come at its later events (not before the watermark: later ones are
         * dropped as late) and at its timers, each due after the event that armed it; those
         * due by t fired before this event. So no lookup is earlier than min(t, watermark),
         * and an entry older than that minus the horizon can go. No watermark yet (external
         * clock): nothing is pruned, the cap rule bounds the set. */
        /* Buy again (reorder.c) reads the set too: entries are kept for the longer of the
         * horizon and reorder.window; an entry beyond the horizon never matters to the guard,
         * so evicting it needs no cap rule. */
        int64_t guard_cutoff = INT64_MIN;
        if (eng->watermark != INT64_MIN) {
                int64_t low = t < eng->watermark ? t : eng->watermark;
                int64_t keep_for =
                    p->bought_horizon > p->reorder_window ? p->bought_horizon : p->reorder_window;
                int64_t cutoff = low - keep_for;
                guard_cutoff = low - p->bought_horizon;
                uint16_t keep = 0;
                for (uint16_t i = 0; i < c->n_bought; i++)
                        if ((int64_t)c->bought[i].minute * XS_MINUTE_MS >= cutoff)
                                c->bought[keep++] = c->bought[i];
                c->n_bought = keep;
                if (c->bought_floor < guard_cutoff) {
                        c->bought_floor = 0;
                        c->bought_bits = 0;
                }
        }
        uint32_t m = xs_customer_bought_minute(t);
        uint16_t cap = (uint16_t)p->max_bought;
        for (size_t k = 0; k < n; k++) {
                long i = bought_find(c, items[k]);
                if (i >= 0) {
                        if (m > c->bought[i].minute)
                                bought_again(&c->bought[i], m);
                        continue;
                }
                if (c->n_bought >= cap) {
                        /* the cap bites: the oldest purchase leaves for the cap rule */
                        uint16_t old = 0;
                        for (uint16_t j = 1; j < c->n_bought; j++)
                                if (c->bought[j].minute < c->bought[old].minute)
                                        old = j;
                        if ((int64_t)c->bought[old].minute * XS_MINUTE_MS < guard_cutoff) {
                                /* beyond the horizon: buy again forgets it, the guard never
                                 * needed it */
                                memmove(&c->bought[old], &c->bought[old + 1],
                                        (size_t)(c->n_bought - old - 1) * sizeof(*c->bought));
                                c->n_bought--;
                                i = bought_find(c, items[k]);
                        } else if (c->bought[old].minute > m) {
                                /* a late purchase older than everything kept */
                                bought_overflow(eng, c, items[k], (int64_t)m * XS_MINUTE_MS);
                                eng->st.guard_bought_evictions++;
                                continue;
                        } else {
                                bought_overflow(eng, c, c->bought[old].product,
                                                (int64_t)c->bought[old].minute * XS_MINUTE_MS);
                                eng->st.guard_bought_evictions++;
                                memmove(&c->bought[old], &c->bought[old + 1],
                                        (size_t)(c->n_bought - old - 1) * sizeof(*c->bought));
                                c->n_bought--;
                                i = bought_find(c, items[k]);
                        }
                } else if (XS_RESERVE(c->bought, c->cap_bought, c->n_bought + 1u) != 0) {
                        bought_overflow(eng, c, items[k], (int64_t)m * XS_MINUTE_MS);
                        continue;
                }
                size_t at = (size_t)~i;
                memmove(&c->bought[at + 1], &c->bought[at],
                        (size_t)(c->n_bought - at) * sizeof(*c->bought));
                c->bought[at].product = items[k];
                c->bought[at].minute = m;
                c->bought[at].flags = 0;
                c->bought[at].times = 1;
                c->bought[at].span_h = 0;
                c->n_bought++;
        }
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
