/*
 * Re-purchase intervals and due re-orders (reorder.h).
 *
 * Per product (indexed by interned id) a ring of its last XS_REORDER_GAPS gaps, each with the
 * minute it was observed and a hash of the buyer (12 bytes). Gaps leave the ring when a newer
 * one overwrites them or when their observation falls out of reorder.window (checked lazily,
 * from the oldest, whenever the product is touched: entries come in event-time order up to
 * the allowed lateness, so expiry is exact to within window.allowed_lateness). The estimate
 * (the lower median of the gaps in the ring, and the distinct buyers among them) is cached and
 * recomputed only after the ring changed: O(XS_REORDER_GAPS^2) once per change.
 *
 * Why the median of repeat buyers' gaps: it is robust to the few customers who re-buy daily or
 * once a year, needs no distribution assumed, and the minimum of distinct buyers keeps one
 * wholesale customer's habit from setting a product's interval. Gaps under XS_REORDER_MIN_GAP
 * (a second order the same day) are not re-orders and are counted apart (reorder_short_gaps).
 *
 * Category re-buy share (issue 9 item 10: does a better grade make sense after a purchase?).
 * Per category, over reorder.window: its buyers (customers whose latest purchase in it is in the
 * window) and its repeat buyers (those whose latest purchase in it re-bought it: an earlier
 * purchase in it within reorder.window before, at least XS_REORDER_MIN_GAP before; a second
 * order the same day carries the first one's status). Each customer counts once, in the bucket
 * of its latest purchase in the category: a new purchase moves the count from the bucket of the
 * previous one (found in the bought set, which keeps reorder.window; the entry's flags say
 * whether this process counted it and as what) to its own. 64 buckets span reorder.window, so a
 * purchase leaves the counts between reorder.window - window/64 and reorder.window after it:
 * exact at that granularity. Known inexactness, all towards counting a customer twice for a
 * while, never towards a wrong re-buy status: a latest purchase evicted by guard.max_bought
 * (guard_bought_evictions) or pruned before its bucket expired (at most one bucket) is not
 * moved, it expires where it is. The counts are learned from the stream and start from nothing
 * in a new process (a restored customer's entries were never counted here, so are never
 * subtracted). A purchase in a category after a later one of that customer (late) is ignored.
 *
 * Bounds: at most reorder.max_gaps gaps over all products (a product whose ring would have to
 * grow beyond it drops the new gap: reorder_gaps_dropped); the index is one 16-byte ring header
 * per product id seen in a purchase. Category counts: 536 bytes per category with a purchase
 * (categories are catalog labels, at most 2 * catalog.max_products) and an 8-byte index entry
 * per label id; an order's first XS_REBUY_ORDER_CATS (256) categories are learned
 * (rebuy_categories_dropped counts the others). xs_reorder_observe, xs_reorder_next_due and
 * xs_reorder_due are O(bought set).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/reorder.h"
#include "engine/window.h"
#include "util/array.h"
#include "util/conf_int.h"
#include "util/xs_uthash.h"

#define MINUTE_MS 60000LL

/* the bought set counts a customer's re-purchases by the same rule as the gaps learned here */
_Static_assert(XS_BOUGHT_REPEAT_GAP == XS_REORDER_MIN_GAP, "one re-purchase rule");

struct gap {
        uint32_t minutes; /* the gap, in minutes */
        uint32_t at;      /* observed at (minutes since the epoch) */
        uint32_t buyer;   /* hash of the customer id */
};

struct ring {
        struct gap *g;
        uint8_t head, n, cap;
        uint8_t dirty;   /* the estimate must be recomputed */
        uint16_t buyers; /* distinct buyers in the ring */
        uint32_t median; /* minutes */
};

#define REBUY_BUCKETS 64

/* One category's buyers and repeat buyers by the bucket of their latest purchase in it. */
struct rebuy {
        int64_t head;           /* the newest bucket; live: (head - REBUY_BUCKETS, head] */
        int64_t buyers, repeat; /* sums over the live buckets */
        int32_t b[REBUY_BUCKETS], r[REBUY_BUCKETS];
};

/* Sealed visibility (stepped mode): what a purchase teaches the shared rings and counts, staged
 * under its pane until the step passes the pane, then applied in an order of their own
 * content (rop_before), so that what an event reads depends neither on the order in which
 * partitions' events of the same step were processed nor on the number of partitions. */
enum rop_kind { ROP_GAP, ROP_REBUY_ADD, ROP_REBUY_DEL };
struct rop {
        int64_t pane;     /* start of the pane of the purchase */
        int64_t bucket;   /* ROP_REBUY_*: the bucket */
        uint32_t part;    /* input partition (xs_engine_set_tag) */
        uint32_t a;       /* ROP_GAP: product; ROP_REBUY_*: category */
        uint32_t minutes; /* ROP_GAP */
        uint32_t at;      /* ROP_GAP */
        uint32_t buyer;   /* ROP_GAP */
        uint8_t kind, again;
};

struct xs_reorder {
        struct ring *rings; /* [product id] */
        uint32_t n_rings;
        uint64_t gaps;
        size_t gap_bytes;
        struct rebuy **cats; /* [category label id], NULL until a purchase in it */
        uint32_t n_cats;
        size_t cat_bytes;
        struct rop *ops; /* staged (stepped mode), in arrival order */
        size_t n_ops, cap_ops;
};

struct xs_reorder *xs_reorder_new(void)
{
        return calloc(1, sizeof(struct xs_reorder));
}

void xs_reorder_destroy(struct xs_reorder *ro)
{
        if (!ro)
                return;
        for (uint32_t i = 0; i < ro->n_rings; i++)
                free(ro->rings[i].g);
        free(ro->rings);
        for (uint32_t i = 0; i < ro->n_cats; i++)
                free(ro->cats[i]);
        free(ro->cats);
        free(ro->ops);
        free(ro);
}

size_t xs_reorder_bytes(const struct xs_reorder *ro)
{
        return sizeof(*ro) + (size_t)ro->n_rings * sizeof(struct ring) + ro->gap_bytes +
               (size_t)ro->n_cats * sizeof(*ro->cats) + ro->cat_bytes +
               ro->cap_ops * sizeof(*ro->ops);
}

uint64_t xs_reorder_gaps(const struct xs_reorder *ro)
{
        return ro->gaps;
}

static struct ring *ring_of(struct xs_reorder *ro, uint32_t product, int create)
{
        if (product < ro->n_rings)
                return &ro->rings[product];
        size_t n = ro->n_rings;
        if (!create ||
            xs_array_fit((void **)&ro->rings, &n, sizeof(*ro->rings), product, 1024, UINT32_MAX))
                return NULL;
        ro->n_rings = (uint32_t)n;
        return &ro->rings[product];
}

/* Drops the gaps observed before reorder.window (from the oldest). */
static void ring_expire(struct xs_engine *eng, struct ring *r)
{
        if (eng->watermark == INT64_MIN || eng->watermark - eng->p->reorder_window <= 0)
                return;
        int64_t cutoff = (eng->watermark - eng->p->reorder_window) / MINUTE_MS;
        while (r->n && (int64_t)r->g[r->head].at < cutoff) {
                r->head = (uint8_t)((r->head + 1) % r->cap);
                r->n--;
                eng->reorder->gaps--;
                r->dirty = 1;
        }
}

static void ring_estimate(struct ring *r)
{
        if (!r->dirty)
                return;
        uint32_t v[XS_REORDER_GAPS];
        uint16_t buyers = 0;
        for (uint8_t i = 0; i < r->n; i++) {
                const struct gap *x = &r->g[(r->head + i) % r->cap];
                int seen = 0;
                for (uint8_t j = 0; j < i && !seen; j++)
                        seen = r->g[(r->head + j) % r->cap].buyer == x->buyer;
                buyers += !seen;
                /* insertion sort: at most XS_REORDER_GAPS values */
                uint8_t k = i;
                while (k > 0 && v[k - 1] > x->minutes) {
                        v[k] = v[k - 1];
                        k--;
                }
                v[k] = x->minutes;
        }
        r->buyers = buyers;
        r->median = r->n ? v[(r->n - 1) / 2] : 0;
        r->dirty = 0;
}

static void ring_put(struct xs_engine *eng, struct ring *r, uint32_t minutes, uint32_t at,
                     uint32_t buyer)
{
        struct xs_reorder *ro = eng->reorder;
        if (r->n == r->cap && r->cap < XS_REORDER_GAPS) {
                uint8_t cap = r->cap ? (uint8_t)(r->cap * 2) : 4;
                uint64_t slots = ro->gap_bytes / sizeof(struct gap);
                if (slots + (uint64_t)(cap - r->cap) > (uint64_t)eng->p->reorder_max_gaps) {
                        if (!r->n) {
                                eng->st.reorder_gaps_dropped++;
                                return;
                        }
                        cap = r->cap; /* no room to grow: overwrite the oldest */
                } else {
                        struct gap *g = malloc((size_t)cap * sizeof(*g));
                        if (!g) {
                                eng->st.reorder_gaps_dropped++;
                                return;
                        }
                        for (uint8_t i = 0; i < r->n; i++)
                                g[i] = r->g[(r->head + i) % r->cap];
                        free(r->g);
                        ro->gap_bytes += (size_t)(cap - r->cap) * sizeof(*g);
                        r->g = g;
                        r->head = 0;
                        r->cap = cap;
                }
        }
        if (r->n == r->cap) { /* full: the newest replaces the oldest */
                r->head = (uint8_t)((r->head + 1) % r->cap);
                r->n--;
                ro->gaps--;
        }
        r->g[(r->head + r->n) % r->cap] = (struct gap){minutes, at, buyer};
        r->n++;
        ro->gaps++;
        r->dirty = 1;
}

/* Stages op (stepped mode) under the current partition and the pane of t. Returns 0, or -1 out
 * of memory (the op is lost: counted by the caller as a dropped gap or category). */
static int rop_stage(struct xs_engine *eng, int64_t t, struct rop op)
{
        struct xs_reorder *ro = eng->reorder;
        if (ro->n_ops == ro->cap_ops) {
                size_t cap = ro->cap_ops ? ro->cap_ops * 2 : 64;
                struct rop *n = realloc(ro->ops, cap * sizeof(*n));
                if (!n)
                        return -1;
                ro->ops = n;
                ro->cap_ops = cap;
        }
        op.pane = xs_floor_div(t, eng->p->window_pane) * eng->p->window_pane;
        op.part = eng->tag;
        ro->ops[ro->n_ops++] = op;
        return 0;
}

/* The bought set's last purchase of product (its minute), 0 when it has none. */
static uint32_t last_bought(const struct xs_customer *c, uint32_t product)
{
        long i = xs_customer_bought_index(c, product);
        return i >= 0 ? c->bought[i].minute : 0;
}

/* ---- category re-buy share ---------------------------------------------------------- */

static struct rebuy *rebuy_of(struct xs_reorder *ro, uint32_t category, int create)
{
        if (category < ro->n_cats && ro->cats[category])
                return ro->cats[category];
        if (!create)
                return NULL;
        size_t n = ro->n_cats;
        if (xs_array_fit((void **)&ro->cats, &n, sizeof(*ro->cats), category, 256, UINT32_MAX))
                return NULL;
        ro->n_cats = (uint32_t)n;
        struct rebuy *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        ro->cats[category] = r;
        ro->cat_bytes += sizeof(*r);
        return r;
}

/* The bucket of a time (ms): REBUY_BUCKETS of them span reorder.window. */
static int64_t rebuy_bucket(const struct xs_engine *eng, int64_t t)
{
        int64_t width = eng->p->reorder_window / REBUY_BUCKETS;
        if (width < 1)
                width = 1;
        return t > 0 ? t / width : 0;
}

/* Moves the newest bucket to b: the buckets that leave are subtracted (at most REBUY_BUCKETS). */
static void rebuy_advance(struct rebuy *r, int64_t b)
{
        if (b <= r->head)
                return;
        int64_t from = b - r->head > REBUY_BUCKETS ? b - REBUY_BUCKETS : r->head;
        for (int64_t k = from + 1; k <= b; k++) {
                int s = (int)(k % REBUY_BUCKETS);
                r->buyers -= r->b[s];
                r->repeat -= r->r[s];
                r->b[s] = r->r[s] = 0;
        }
        r->head = b;
}

/* Adds (d = 1) or takes back (d = -1) a buyer, a repeat buyer if again, in bucket b. Returns 1
 * when b is live (the count is there), 0 when it has left the window. */
static int rebuy_put(struct rebuy *r, int64_t b, int d, int again)
{
        if (d > 0)
                rebuy_advance(r, b);
        if (b > r->head || b <= r->head - REBUY_BUCKETS)
                return 0;
        int s = (int)(b % REBUY_BUCKETS);
        r->b[s] += d;
        r->buyers += d;
        if (again) {
                r->r[s] += d;
                r->repeat += d;
        }
        return 1;
}

int64_t xs_reorder_category(struct xs_engine *eng, uint32_t category, int64_t t, int64_t *repeat)
{
        *repeat = 0;
        if (eng->p->reorder_window <= 0 || !category)
                return 0;
        struct rebuy *r = rebuy_of(eng->reorder, category, 0);
        if (!r)
                return 0;
        /* stepped mode: the step, not the reader's own time, moves the buckets on, so that
         * readers of one step find the same counts in whatever order they come */
        rebuy_advance(
            r, rebuy_bucket(eng, eng->stepped && eng->watermark != INT64_MIN ? eng->watermark : t));
        *repeat = r->repeat;
        return r->buyers;
}

/* One category of an order: the customer's previous latest purchase in it (minute, 0: none;
 * its flags), and the flags this purchase gets. */
struct order_cat {
        uint32_t category, prev;
        uint8_t prev_flags, flags, learned;
};

/* The index of category in oc[0..n) (sorted by category), or the insertion point ~index. */
static long order_cat_index(const struct order_cat *oc, size_t n, uint32_t category)
{
        long lo = 0, hi = (long)n;
        while (lo < hi) {
                long mid = lo + (hi - lo) / 2;
                if (oc[mid].category < category)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < (long)n && oc[lo].category == category ? lo : ~lo;
}

static struct order_cat *order_cat_find(struct order_cat *oc, size_t n, uint32_t category)
{
        long i = category ? order_cat_index(oc, n, category) : -1;
        return i >= 0 ? &oc[i] : NULL;
}

static uint32_t category_of(const struct xs_engine *eng, uint32_t product)
{
        const struct xs_cat_product *pr = xs_catalog_get(eng->catalog, product);
        return pr ? pr->category : 0;
}

/* rebuy_learn's update of one category, staged (stepped mode): the previous latest purchase
 * taken back, this one added, when the step passes this purchase's pane. Counted (for the
 * flags) when its bucket is live at the step, which is what applying it will find, bar one
 * bucket's turn (then the add and the later take-back both find it gone). */
static void rebuy_stage(struct xs_engine *eng, struct order_cat *o, uint32_t m, uint32_t buyer)
{
        int64_t t = (int64_t)m * MINUTE_MS;
        int prev_again = (o->prev_flags & XS_BOUGHT_REBUY) != 0;
        int64_t gap = (int64_t)(m - o->prev) * MINUTE_MS;
        int again = !o->prev || gap > eng->p->reorder_window ? 0
                    : gap < XS_REORDER_MIN_GAP               ? prev_again
                                                             : 1;
        int ok = 0;
        if (o->prev && (o->prev_flags & XS_BOUGHT_COUNTED))
                ok |= rop_stage(
                    eng, t,
                    (struct rop){.kind = ROP_REBUY_DEL,
                                 .a = o->category,
                                 .at = m,
                                 .buyer = buyer,
                                 .bucket = rebuy_bucket(eng, (int64_t)o->prev * MINUTE_MS),
                                 .again = (uint8_t)prev_again});
        int64_t b = rebuy_bucket(eng, t);
        int64_t head = eng->watermark == INT64_MIN ? b : rebuy_bucket(eng, eng->watermark);
        int counted = b > head - REBUY_BUCKETS;
        if (counted)
                ok |= rop_stage(eng, t,
                                (struct rop){.kind = ROP_REBUY_ADD,
                                             .a = o->category,
                                             .at = m,
                                             .buyer = buyer,
                                             .bucket = b,
                                             .again = (uint8_t)again});
        if (ok)
                eng->st.rebuy_categories_dropped++;
        o->flags = (uint8_t)((again ? XS_BOUGHT_REBUY : 0) | (counted ? XS_BOUGHT_COUNTED : 0));
        o->learned = 1;
}

/* The order ops are applied in: by pane, then by what they say (minute, buyer, kind, product or
 * category, gap, bucket), never by partition or arrival across partitions, so that the same
 * purchases give the same rings and counts on any number of partitions. */
static int rop_before(const struct rop *x, const struct rop *y)
{
        if (x->pane != y->pane)
                return x->pane < y->pane;
        if (x->at != y->at)
                return x->at < y->at;
        if (x->buyer != y->buyer)
                return x->buyer < y->buyer;
        if (x->kind != y->kind)
                return x->kind < y->kind;
        if (x->a != y->a)
                return x->a < y->a;
        if (x->minutes != y->minutes)
                return x->minutes < y->minutes;
        return x->bucket < y->bucket;
}

void xs_reorder_step(struct xs_engine *eng, int64_t g)
{
        struct xs_reorder *ro = eng->reorder;
        size_t n = 0;
        if (!ro->n_ops)
                return;
        /* the ops of panes ending by g go first, stably sorted by (pane, partition): insertion
         * sort, as they are few (the purchases of about one pane) and mostly in order */
        for (size_t i = 0; i < ro->n_ops; i++) {
                if (ro->ops[i].pane + eng->p->window_pane > g)
                        continue;
                struct rop op = ro->ops[i];
                /* the ops not due in [n, i) move up by one, in their order */
                memmove(&ro->ops[n + 1], &ro->ops[n], (i - n) * sizeof(*ro->ops));
                size_t k = n;
                while (k > 0 && rop_before(&op, &ro->ops[k - 1])) {
                        ro->ops[k] = ro->ops[k - 1];
                        k--;
                }
                ro->ops[k] = op;
                n++;
        }
        for (size_t i = 0; i < n; i++) {
                const struct rop *op = &ro->ops[i];
                if (op->kind == ROP_GAP) {
                        struct ring *r = ring_of(ro, op->a, 1);
                        if (!r) {
                                eng->st.reorder_gaps_dropped++;
                                continue;
                        }
                        ring_expire(eng, r);
                        ring_put(eng, r, op->minutes, op->at, op->buyer);
                        continue;
                }
                struct rebuy *r = rebuy_of(ro, op->a, op->kind == ROP_REBUY_ADD);
                if (!r) {
                        if (op->kind == ROP_REBUY_ADD)
                                eng->st.rebuy_categories_dropped++;
                        continue;
                }
                rebuy_put(r, op->bucket, op->kind == ROP_REBUY_ADD ? 1 : -1, op->again);
        }
        memmove(ro->ops, ro->ops + n, (ro->n_ops - n) * sizeof(*ro->ops));
        ro->n_ops -= n;
}

/* Learns c's purchase at t (minute m) of items in the category counts; sets oc[] (at most
 * XS_REBUY_ORDER_CATS, sorted by category) for the flags of the entries the purchase then makes.
 * O((bought + n) log XS_REBUY_ORDER_CATS), plus the sorted inserts (at most n *
 * XS_REBUY_ORDER_CATS moves for an order of n items). */
static size_t rebuy_learn(struct xs_engine *eng, struct xs_customer *c, uint32_t m,
                          const uint32_t *items, size_t n, struct order_cat *oc)
{
        size_t n_oc = 0;
        for (size_t k = 0; k < n; k++) {
                uint32_t cat = category_of(eng, items[k]);
                long i = cat ? order_cat_index(oc, n_oc, cat) : 0;
                if (i >= 0)
                        continue; /* none, or already in */
                if (n_oc == XS_REBUY_ORDER_CATS) {
                        eng->st.rebuy_categories_dropped++;
                        continue;
                }
                size_t at = (size_t)~i; /* sorted: the lookups below are binary searches */
                memmove(&oc[at + 1], &oc[at], (n_oc - at) * sizeof(*oc));
                oc[at] = (struct order_cat){.category = cat};
                n_oc++;
        }
        if (!n_oc)
                return 0;
        /* the previous latest purchase of each category; the older ones are nobody's count */
        for (uint16_t i = 0; i < c->n_bought; i++) {
                struct xs_bought *e = &c->bought[i];
                struct order_cat *o = order_cat_find(oc, n_oc, category_of(eng, e->product));
                if (!o)
                        continue;
                if (e->minute > o->prev) {
                        o->prev = e->minute;
                        o->prev_flags = e->flags;
                } else if (e->minute == o->prev) {
                        o->prev_flags |= e->flags;
                }
                if (e->minute < m)
                        e->flags &= (uint8_t)~XS_BOUGHT_COUNTED;
        }
        for (size_t i = 0; i < n_oc; i++) {
                struct order_cat *o = &oc[i];
                if (o->prev >= m)
                        continue; /* late, or the same minute: already learned */
                if (eng->stepped) {
                        rebuy_stage(eng, o, m, (uint32_t)xs_hash_str(c->id, 0x4e0));
                        continue;
                }
                struct rebuy *r = rebuy_of(eng->reorder, o->category, 1);
                if (!r) {
                        eng->st.rebuy_categories_dropped++;
                        continue;
                }
                int prev_again = (o->prev_flags & XS_BOUGHT_REBUY) != 0;
                if (o->prev && (o->prev_flags & XS_BOUGHT_COUNTED))
                        rebuy_put(r, rebuy_bucket(eng, (int64_t)o->prev * MINUTE_MS), -1,
                                  prev_again);
                int64_t gap = (int64_t)(m - o->prev) * MINUTE_MS;
                int again = !o->prev || gap > eng->p->reorder_window ? 0
                            : gap < XS_REORDER_MIN_GAP               ? prev_again
                                                                     : 1;
                int counted = rebuy_put(r, rebuy_bucket(eng, (int64_t)m * MINUTE_MS), 1, again);
                o->flags =
                    (uint8_t)((again ? XS_BOUGHT_REBUY : 0) | (counted ? XS_BOUGHT_COUNTED : 0));
                o->learned = 1;
        }
        return n_oc;
}

int64_t xs_reorder_interval(struct xs_engine *eng, uint32_t product, int32_t *buyers)
{
        if (eng->p->reorder_window <= 0)
                return 0;
        struct ring *r = ring_of(eng->reorder, product, 0);
        if (!r || !r->n)
                return 0;
        ring_expire(eng, r);
        ring_estimate(r);
        if (r->buyers < eng->p->reorder_min_buyers)
                return 0;
        if (buyers)
                *buyers = r->buyers;
        return (int64_t)r->median * MINUTE_MS;
}

/* The gaps of c's purchase at t of items (before the bought set records it). */
static void gaps_learn(struct xs_engine *eng, const struct xs_customer *c, int64_t t,
                       const uint32_t *items, size_t n)
{
        uint32_t buyer = (uint32_t)xs_hash_str(c->id, 0x4e0);
        uint32_t at = xs_customer_bought_minute(t);
        for (size_t k = 0; k < n; k++) {
                /* in the bought set's minutes (rounded up), so that the gap is what the
                 * re-order time adds to the last purchase */
                uint32_t last = c->n_bought ? last_bought(c, items[k]) : 0;
                if (last > 0 && last < at) {
                        int64_t gap = (int64_t)(at - last) * MINUTE_MS;
                        if (gap < XS_REORDER_MIN_GAP) {
                                eng->st.reorder_short_gaps++;
                        } else if (gap <= eng->p->reorder_window + MINUTE_MS && eng->stepped) {
                                struct rop op = {.kind = ROP_GAP,
                                                 .a = items[k],
                                                 .minutes = (uint32_t)(gap / MINUTE_MS),
                                                 .at = at,
                                                 .buyer = buyer};
                                if (rop_stage(eng, t, op) != 0)
                                        eng->st.reorder_gaps_dropped++;
                        } else if (gap <= eng->p->reorder_window + MINUTE_MS) {
                                struct ring *r = ring_of(eng->reorder, items[k], 1);
                                if (!r) {
                                        eng->st.reorder_gaps_dropped++;
                                } else {
                                        ring_expire(eng, r);
                                        ring_put(eng, r, (uint32_t)(gap / MINUTE_MS), at, buyer);
                                }
                        }
                }
                int64_t interval = xs_reorder_interval(eng, items[k], NULL);
                if (interval > 0 && interval <= eng->p->bought_horizon)
                        eng->st.reorder_within_horizon++;
        }
}

void xs_reorder_observe(struct xs_engine *eng, struct xs_customer *c, int64_t t,
                        const uint32_t *items, size_t n)
{
        if (eng->p->reorder_window <= 0) {
                xs_customer_bought_add(eng, c, t, items, n);
                return;
        }
        gaps_learn(eng, c, t, items, n);
        struct order_cat oc[XS_REBUY_ORDER_CATS];
        uint32_t m = xs_customer_bought_minute(t);
        size_t n_oc = rebuy_learn(eng, c, m, items, n, oc);
        xs_customer_bought_add(eng, c, t, items, n);
        for (size_t k = 0; k < n && n_oc; k++) {
                struct order_cat *o = order_cat_find(oc, n_oc, category_of(eng, items[k]));
                long i = o && o->learned ? xs_customer_bought_index(c, items[k]) : -1;
                if (i >= 0 && c->bought[i].minute == m)
                        c->bought[i].flags = o->flags;
        }
}

/* The re-order interval (ms) of c's bought entry e, 0 when there is none; *buyers the product's
 * repeat buyers. With one purchase of it the product's learned interval; with two or more the
 * customer's own mean gap, shrunk toward the product's interval as if it were one more gap of
 * this customer ((span + product) / times: one own gap weighs as much as the population's
 * estimate, many outweigh it); with no learned interval for the product, the customer's own
 * mean gap alone. */
static int64_t entry_interval(struct xs_engine *eng, const struct xs_bought *e, int32_t *buyers)
{
        int32_t b = 0;
        int64_t pop = xs_reorder_interval(eng, e->product, &b);
        if (buyers)
                *buyers = b;
        if (e->times < 2)
                return pop;
        int64_t span = (int64_t)e->span_h * XS_HOUR_MS;
        return pop ? (span + pop) / e->times : span / (e->times - 1);
}

int64_t xs_reorder_next_due(struct xs_engine *eng, const struct xs_customer *c, int64_t after)
{
        int64_t best = 0;
        for (uint16_t i = 0; i < c->n_bought; i++) {
                int64_t interval = entry_interval(eng, &c->bought[i], NULL);
                if (interval <= eng->p->bought_horizon)
                        continue; /* unknown, or never beyond the guard when due */
                int64_t due = (int64_t)c->bought[i].minute * MINUTE_MS + interval;
                if (due > after && (!best || due < best))
                        best = due;
        }
        return best;
}

static int64_t dist(int64_t a, int64_t b)
{
        return a > b ? a - b : b - a;
}

/* 1 when x goes before y in the e-mail: the customer's own purchases of it first (a customer's
 * habit is the best evidence of the next order), then the product's repeat buyers, then
 * nearness to the re-order time. */
static int item_before(const struct xs_engine *eng, const struct xs_reorder_item *x,
                       const struct xs_reorder_item *y, int64_t at)
{
        int64_t dx = dist(x->due, at), dy = dist(y->due, at);
        if (x->times != y->times)
                return x->times > y->times;
        if (x->buyers != y->buyers)
                return x->buyers > y->buyers;
        if (dx != dy)
                return dx < dy;
        /* the product's own id, not its interned number (the order of first sight) */
        return strcmp(xs_intern_str(eng->products, x->product),
                      xs_intern_str(eng->products, y->product)) < 0;
}

size_t xs_reorder_due(struct xs_engine *eng, const struct xs_customer *c, int64_t from, int64_t to,
                      int64_t at, struct xs_reorder_item *out, size_t max)
{
        size_t n = 0;
        for (uint16_t i = 0; i < c->n_bought && max; i++) {
                struct xs_reorder_item it = {.product = c->bought[i].product,
                                             .times = c->bought[i].times};
                it.interval = entry_interval(eng, &c->bought[i], &it.buyers);
                if (it.interval <= eng->p->bought_horizon)
                        continue;
                it.last = (int64_t)c->bought[i].minute * MINUTE_MS;
                it.due = it.last + it.interval;
                if (it.due <= from || it.due > to)
                        continue;
                /* keep the best max, sorted: insertion into a small array */
                size_t pos = n;
                while (pos > 0 && item_before(eng, &it, &out[pos - 1], at))
                        pos--;
                if (pos >= max)
                        continue;
                size_t last = n < max ? n : max - 1;
                memmove(&out[pos + 1], &out[pos], (last - pos) * sizeof(*out));
                out[pos] = it;
                if (n < max)
                        n++;
        }
        return n;
}
