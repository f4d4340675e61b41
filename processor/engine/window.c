/*
 * Sliding co-occurrence window; see window.h for the model and its invariant.
 *
 * Memory: one global cell per live pair (32 bytes: key, 5 counters, a 32-bit chain link) and
 * one pane cell per key and relation touched in each live pane (16 bytes), in cell tables of
 * our own (struct store: chained hashing with 32-bit bucket heads and links into 512-cell
 * chunks: no per-entry handle or malloc, where uthash took 56 bytes per entry); per-product rows in
 * a dense array indexed by product id; and an adjacency list of neighbour ids per product (cleaned
 * lazily: a neighbour whose pair is gone is dropped when the list is next walked, or when stale
 * entries outnumber live ones).
 *
 * One file: the window is one data structure. Its cell tables, panes, draining and queries
 * share one representation and one invariant (a query returns the sum of the increments of
 * unexpired panes), and the hot path inlines the cell lookups; split, each part would only
 * expose the others' internals.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/window.h"
#include "util/xs_uthash.h"

#define KEY_PAIR(a, b) (((uint64_t)(a) << 32) | (uint64_t)(b)) /* a < b */
#define KEY_ROW(a)     (((uint64_t)(a) << 32) | (uint64_t)(a))
#define KEY_OCC(a)     ((UINT64_C(0xffffffff) << 32) | (uint64_t)(a))
#define KEY_A(k)       ((uint32_t)((k) >> 32))
#define KEY_B(k)       ((uint32_t)(k))

struct cell {
        uint64_t key;
        int32_t n[XS_REL_COUNT];
        uint32_t next; /* next cell of the bucket's chain, 0: none */
};

/*
 * The cell table. Cells are numbered from 1 in the order they were created and live in
 * chunks of CT_CHUNK; a freed cell goes on a free list (only the global table frees cells).
 * Iterating 1..used visits cells in creation order, which is the order a pane's deltas are
 * exported and drained in. Buckets double when cells outnumber them `load` times (a relink, no
 * allocation per cell); the global table is sized for cooc.max_pairs up front, so it does not
 * relink on the hot path.
 */
/*
 * The storage both cell tables share: cells numbered from 1 in creation order, in chunks of
 * CT_CHUNK (no malloc per cell, no per-entry handle), and 32-bit bucket heads. What a cell is,
 * and how its chain link is kept, is each table's own.
 */
#define CT_CHUNK_SHIFT 9
#define CT_CHUNK       (1u << CT_CHUNK_SHIFT)

struct store {
        uint32_t *bucket; /* head cell of each chain, 0: empty */
        uint32_t mask;    /* buckets - 1 */
        void **chunk;
        uint32_t n_chunks;
        uint32_t used; /* cells 1..used were handed out */
};

static int store_init(struct store *s, uint32_t buckets, uint32_t max_buckets)
{
        uint32_t n = 64;
        while (n < buckets && n < max_buckets)
                n *= 2;
        memset(s, 0, sizeof(*s));
        s->bucket = calloc(n, sizeof(*s->bucket));
        if (!s->bucket)
                return -1;
        s->mask = n - 1;
        return 0;
}

static void store_free(struct store *s)
{
        for (uint32_t i = 0; i < s->n_chunks; i++)
                free(s->chunk[i]);
        free(s->chunk);
        free(s->bucket);
        memset(s, 0, sizeof(*s));
}

static size_t store_bytes(const struct store *s, size_t cell_size)
{
        return (size_t)(s->mask + 1) * sizeof(*s->bucket) +
               (size_t)s->n_chunks * (CT_CHUNK * cell_size + sizeof(*s->chunk));
}

static inline void *store_at(const struct store *s, uint32_t i, size_t cell_size)
{
        return (unsigned char *)s->chunk[(i - 1) >> CT_CHUNK_SHIFT] +
               (size_t)((i - 1) & (CT_CHUNK - 1)) * cell_size;
}

static inline uint32_t store_slot(const struct store *s, uint64_t key)
{
        return (uint32_t)xs_mix64(key) & s->mask;
}

/* The number of a new cell at the end (its memory not cleared); 0 when out of memory or when
 * max cells are handed out already. */
static uint32_t store_extend(struct store *s, size_t cell_size, uint32_t max)
{
        if (s->used >= max)
                return 0;
        uint32_t i = s->used + 1;
        if (((i - 1) >> CT_CHUNK_SHIFT) >= s->n_chunks) {
                void **chunk = realloc(s->chunk, (s->n_chunks + 1) * sizeof(*s->chunk));
                if (!chunk)
                        return 0;
                s->chunk = chunk;
                if (!(chunk[s->n_chunks] = malloc(CT_CHUNK * cell_size)))
                        return 0;
                s->n_chunks++;
        }
        s->used = i;
        return i;
}

/* Installs twice as many empty buckets; the caller relinks its cells. -1 when out of memory
 * (the old buckets stay: longer chains, still correct). */
static int store_rebucket(struct store *s)
{
        uint32_t n = (s->mask + 1) * 2;
        uint32_t *b = calloc(n, sizeof(*b));
        if (!b)
                return -1;
        free(s->bucket);
        s->bucket = b;
        s->mask = n - 1;
        return 0;
}

/* The global pair table: a free list reuses the cells of pairs that left the window. */
struct ctab {
        struct store s;
        uint32_t free;  /* free list through next */
        uint32_t count; /* live cells */
        uint32_t load;  /* buckets double when cells outnumber them this many times */
};

static inline struct cell *ct_cell(const struct ctab *t, uint32_t i)
{
        return store_at(&t->s, i, sizeof(struct cell));
}

static int ct_init(struct ctab *t, uint32_t buckets, uint32_t load)
{
        memset(t, 0, sizeof(*t));
        t->load = load;
        return store_init(&t->s, buckets, 1u << 30);
}

/* The cell of key, its number in *num (when num is not NULL); NULL if none. */
static struct cell *ct_find_num(const struct ctab *t, uint64_t key, uint32_t *num)
{
        if (!t->s.bucket)
                return NULL;
        for (uint32_t i = t->s.bucket[store_slot(&t->s, key)]; i;) {
                struct cell *c = ct_cell(t, i);
                if (c->key == key) {
                        if (num)
                                *num = i;
                        return c;
                }
                i = c->next;
        }
        return NULL;
}

static struct cell *ct_find(const struct ctab *t, uint64_t key)
{
        return ct_find_num(t, key, NULL);
}

/* Doubles the buckets and relinks every live cell (chains keep no order that matters). */
static void ct_grow(struct ctab *t)
{
        if (store_rebucket(&t->s) != 0)
                return;
        for (uint32_t i = 1; i <= t->s.used; i++) {
                struct cell *c = ct_cell(t, i);
                if (!c->key)
                        continue; /* on the free list */
                uint32_t slot = store_slot(&t->s, c->key);
                c->next = t->s.bucket[slot];
                t->s.bucket[slot] = i;
        }
}

/* A new zeroed cell for key (which must not be in t), its number in *num; NULL when out of
 * memory. */
static struct cell *ct_add(struct ctab *t, uint64_t key, uint32_t *num)
{
        uint32_t i = t->free;
        if (i)
                t->free = ct_cell(t, i)->next;
        else if (!(i = store_extend(&t->s, sizeof(struct cell), UINT32_MAX - 1)))
                return NULL;
        struct cell *c = ct_cell(t, i);
        memset(c, 0, sizeof(*c));
        c->key = key;
        uint32_t slot = store_slot(&t->s, key);
        c->next = t->s.bucket[slot];
        t->s.bucket[slot] = i;
        t->count++;
        if ((uint64_t)t->count > (uint64_t)(t->s.mask + 1) * t->load && t->s.mask < (1u << 30) - 1)
                ct_grow(t);
        if (num)
                *num = i;
        return c;
}

/* Unlinks c (in t) and puts it on the free list. */
static void ct_del(struct ctab *t, struct cell *c)
{
        uint32_t *link = &t->s.bucket[store_slot(&t->s, c->key)];
        while (*link) {
                struct cell *x = ct_cell(t, *link);
                if (x == c) {
                        uint32_t i = *link;
                        *link = c->next;
                        c->key = 0; /* keys are never 0: product ids start at 1 */
                        c->next = t->free;
                        t->free = i;
                        t->count--;
                        return;
                }
                link = &x->next;
        }
}

/*
 * A pane's table. A pane only adds (until it drains, whole), and most of its keys carry one
 * relation, so a pane cell is 16 bytes: the key, one relation's count, and a link whose top
 * three bits are the relation. A key's cells share a chain (the slot hashes the key alone), so
 * what a pane holds for a key is one chain walk.
 */
#define PT_REL_SHIFT 29
#define PT_MAX_CELLS ((1u << PT_REL_SHIFT) - 1)

struct pcell {
        uint64_t key;
        int32_t n;
        uint32_t link; /* next cell of the chain (low 29 bits, 0: none) | relation << 29 */
};

static inline struct pcell *pt_cell(const struct store *t, uint32_t i)
{
        return store_at(t, i, sizeof(struct pcell));
}

static inline uint32_t pt_next(const struct pcell *c)
{
        return c->link & PT_MAX_CELLS;
}

static inline int pt_rel(const struct pcell *c)
{
        return (int)(c->link >> PT_REL_SHIFT);
}

static struct pcell *pt_find(const struct store *t, uint64_t key, int rel)
{
        for (uint32_t i = t->bucket[store_slot(t, key)]; i;) {
                struct pcell *c = pt_cell(t, i);
                if (c->key == key && pt_rel(c) == rel)
                        return c;
                i = pt_next(c);
        }
        return NULL;
}

/* Adds what the pane holds for key, over all relations, to out. */
static void pt_sum(const struct store *t, uint64_t key, int64_t out[XS_REL_COUNT])
{
        for (uint32_t i = t->bucket[store_slot(t, key)]; i;) {
                const struct pcell *c = pt_cell(t, i);
                if (c->key == key)
                        out[pt_rel(c)] += c->n;
                i = pt_next(c);
        }
}

static void pt_grow(struct store *t)
{
        if (store_rebucket(t) != 0)
                return;
        for (uint32_t i = 1; i <= t->used; i++) {
                struct pcell *c = pt_cell(t, i);
                uint32_t slot = store_slot(t, c->key);
                c->link = (c->link & ~PT_MAX_CELLS) | t->bucket[slot];
                t->bucket[slot] = i;
        }
}

/* A new zeroed cell for (key, rel), not in t; NULL when out of memory or the pane is full. */
static struct pcell *pt_add(struct store *t, uint64_t key, int rel)
{
        uint32_t i = store_extend(t, sizeof(struct pcell), PT_MAX_CELLS);
        if (!i)
                return NULL;
        struct pcell *c = pt_cell(t, i);
        uint32_t slot = store_slot(t, key);
        c->key = key;
        c->n = 0;
        c->link = ((uint32_t)rel << PT_REL_SHIFT) | t->bucket[slot];
        t->bucket[slot] = i;
        if (t->used > t->mask + 1 && t->mask < (1u << 28) - 1)
                pt_grow(t);
        return c;
}

struct xs_window_pane {
        int64_t index; /* pane start = index * pane_ms */
        int64_t pane_ms;
        struct store cells;           /* pcells */
        uint32_t drained;             /* expiring: cells 1..drained were subtracted */
        int64_t totals[XS_REL_COUNT]; /* pair totals added in this pane */
        int64_t tx[XS_REL_COUNT];     /* transactions begun in this pane, per relation */
        int closed;
        struct xs_window_pane *prev, *next; /* live list, by index */
};

/* A neighbour in a product's adjacency list, with the number of the pair's global cell when it
 * was listed: a hint that saves the table lookup while the cell still holds that pair (a freed
 * cell's key is 0, and a live pair has one cell, so a matching key proves it). */
struct nbr {
        uint32_t id;
        uint32_t cell;
};

struct item {
        int64_t row[XS_REL_COUNT];
        int64_t occ[XS_REL_COUNT];
        struct nbr *nbr;
        uint32_t n_nbr, cap_nbr, live_nbr;
};

struct xs_window {
        struct xs_window_params p;
        struct ctab cells;  /* global pairs */
        struct item *items; /* [id], 0 unused */
        uint32_t *marks;    /* [id]: epoch of the neighbour walk that last listed it (apart
                             * from items: a walk touches one word per neighbour) */
        uint32_t n_items;   /* allocated slots */
        uint32_t max_id;
        uint32_t epoch;
        int64_t totals[XS_REL_COUNT];
        int64_t tx[XS_REL_COUNT]; /* transactions per relation (orders, customer episodes...) */
        /* live panes, by index; ring[index % ring_size] finds one */
        struct xs_window_pane **ring;
        size_t ring_size;
        struct xs_window_pane *head, *tail;
        /* the first pane not closed yet: every pane from it on has index >= closed_below (a
         * pane is closed when the line passes it, or created closed below the line), so
         * advancing never walks the closed panes that wait for expiry */
        struct xs_window_pane *open_head;
        int64_t watermark;
        int64_t closed_below; /* panes with index < this are closed */
        /* expired panes still giving back their cells, oldest first */
        struct xs_window_pane **draining;
        size_t n_draining;
        xs_window_close_cb *close_cb;
        void *close_opaque;
        int refuse_new_pairs; /* memory.budget bit: no new pair cells (xs_window_refuse_new) */
        uint64_t version;     /* moves with every change a query can see (xs_window_version) */
        uint64_t pane_bytes;  /* panes, live and draining, with their cell stores */
        struct xs_window_stats st;
};

struct xs_window *xs_window_new(const struct xs_window_params *p)
{
        struct xs_window *w = calloc(1, sizeof(*w));
        if (!w)
                return NULL;
        w->p = *p;
        if (w->p.expiry_batch == 0)
                w->p.expiry_batch = 1;
        if (w->p.max_draining == 0)
                w->p.max_draining = 1;
        /* live panes span at most window + lateness (lateness is at most 7d); the ring is
         * capped, and a pane the ring does not hold is found in the list (see pane_get) */
        w->ring_size =
            (size_t)(p->window_ms / p->pane_ms) + (size_t)(7 * 86400000LL / p->pane_ms) + 4;
        if (w->ring_size > 200000)
                w->ring_size = 200000;
        w->ring = calloc(w->ring_size, sizeof(*w->ring));
        w->draining = calloc(w->p.max_draining + 1, sizeof(*w->draining));
        if (!w->ring || !w->draining) {
                free(w->ring);
                free(w->draining);
                free(w);
                return NULL;
        }
        /* sized for the pair cap up front: growing later is a relink of everything, a stall
         * proportional to the table. Buckets are 4 bytes, one per two pairs at the cap (chains
         * of two on average there), so up to cooc.max_pairs = 2^25 the table never relinks */
        size_t buckets = w->p.initial_buckets ? w->p.initial_buckets : w->p.max_pairs / 2;
        if (ct_init(&w->cells, buckets > (1u << 24) ? (1u << 24) : (uint32_t)buckets, 2) != 0) {
                free(w->ring);
                free(w->draining);
                free(w);
                return NULL;
        }
        w->watermark = INT64_MIN;
        w->closed_below = INT64_MIN;
        return w;
}

static size_t pane_bytes(const struct xs_window_pane *pane)
{
        return sizeof(*pane) + store_bytes(&pane->cells, sizeof(struct pcell));
}

static void pane_free(struct xs_window *w, struct xs_window_pane *pane)
{
        w->pane_bytes -= pane_bytes(pane);
        store_free(&pane->cells);
        free(pane);
}

void xs_window_destroy(struct xs_window *w)
{
        if (!w)
                return;
        struct xs_window_pane *pane = w->head;
        while (pane) {
                struct xs_window_pane *next = pane->next;
                pane_free(w, pane);
                pane = next;
        }
        for (size_t i = 0; i < w->n_draining; i++)
                pane_free(w, w->draining[i]);
        store_free(&w->cells.s);
        for (uint32_t i = 0; i < w->n_items; i++)
                free(w->items[i].nbr);
        free(w->items);
        free(w->marks);
        free(w->ring);
        free(w->draining);
        free(w);
}

void xs_window_set_close_hook(struct xs_window *w, xs_window_close_cb *cb, void *opaque)
{
        w->close_cb = cb;
        w->close_opaque = opaque;
}

static struct item *item_get(struct xs_window *w, uint32_t id)
{
        if (id >= w->n_items) {
                /* 64-bit: the doubling must not wrap for an id at or above 2^31 */
                uint64_t n = w->n_items ? w->n_items : 1024;
                while (n <= id)
                        n *= 2;
                if (n > UINT32_MAX)
                        n = UINT32_MAX;
                uint32_t *marks = realloc(w->marks, (size_t)n * sizeof(*marks));
                if (!marks)
                        return NULL;
                w->marks = marks;
                struct item *items = realloc(w->items, (size_t)n * sizeof(*items));
                if (!items)
                        return NULL;
                memset(items + w->n_items, 0, (size_t)(n - w->n_items) * sizeof(*items));
                memset(marks + w->n_items, 0, (size_t)(n - w->n_items) * sizeof(*marks));
                w->st.bytes += (uint64_t)(n - w->n_items) * (sizeof(*items) + sizeof(*marks));
                w->items = items;
                w->n_items = (uint32_t)n;
        }
        if (id > w->max_id)
                w->max_id = id;
        return &w->items[id];
}

static void draining_pending(const struct xs_window *w, uint64_t key, int64_t out[XS_REL_COUNT]);
static uint32_t next_epoch(struct xs_window *w);

/* Drops the entries of a's adjacency list whose pair has left the window (no cell, nothing
 * pending in a draining pane) and the second listing of a pair, exactly as a neighbour walk
 * would. Without it, the list of a product that is never walked grows by one entry each time
 * one of its pairs is created again: memory bounded by the live pairs, not by time. */
static void nbr_compact(struct xs_window *w, uint32_t a)
{
        struct item *it = &w->items[a];
        uint32_t epoch = next_epoch(w), keep = 0;
        for (uint32_t i = 0; i < it->n_nbr; i++) {
                uint32_t b = it->nbr[i].id;
                if (w->marks[b] == epoch)
                        continue;
                uint64_t key = a < b ? KEY_PAIR(a, b) : KEY_PAIR(b, a);
                uint32_t hint = it->nbr[i].cell;
                if (!(hint && hint <= w->cells.s.used && ct_cell(&w->cells, hint)->key == key) &&
                    !ct_find_num(&w->cells, key, &hint)) {
                        int64_t pending[XS_REL_COUNT] = {0};
                        int nonzero = 0;
                        draining_pending(w, key, pending);
                        for (int r = 0; r < XS_REL_COUNT; r++)
                                nonzero |= pending[r] != 0;
                        if (!nonzero)
                                continue;
                        hint = 0;
                }
                w->marks[b] = epoch;
                it->nbr[keep++] = (struct nbr){b, hint};
        }
        it->n_nbr = keep;
        it->live_nbr = keep;
}

static int nbr_append(struct xs_window *w, uint32_t a, uint32_t b, uint32_t cell)
{
        struct item *it = item_get(w, a);
        if (!it)
                return -1;
        /* full and at least a quarter stale: compact before growing (each compaction frees a
         * quarter of the list or more, so its cost is amortised over the appends) */
        if (it->n_nbr == it->cap_nbr && it->n_nbr >= 8 &&
            (uint64_t)it->live_nbr * 4 <= (uint64_t)it->n_nbr * 3)
                nbr_compact(w, a);
        if (it->n_nbr == it->cap_nbr) {
                /* grow by half: lists are many and mostly short-lived in length, and a
                 * doubling leaves a quarter of all adjacency memory unused on average */
                uint64_t want = it->cap_nbr ? (uint64_t)it->cap_nbr + it->cap_nbr / 2 : 4;
                if (want > UINT32_MAX)
                        return -1;
                uint32_t cap = (uint32_t)want;
                struct nbr *nbr = realloc(it->nbr, (size_t)cap * sizeof(*nbr));
                if (!nbr)
                        return -1;
                w->st.bytes += (uint64_t)(cap - it->cap_nbr) * sizeof(*nbr);
                it->nbr = nbr;
                it->cap_nbr = cap;
        }
        it->nbr[it->n_nbr++] = (struct nbr){b, cell};
        it->live_nbr++;
        return 0;
}

static int cell_zero(const struct cell *c)
{
        for (int r = 0; r < XS_REL_COUNT; r++)
                if (c->n[r])
                        return 0;
        return 1;
}

static void global_delete(struct xs_window *w, struct cell *c)
{
        uint32_t a = KEY_A(c->key), b = KEY_B(c->key);
        ct_del(&w->cells, c);
        w->st.pairs_live--;
        /* adjacency entries become stale; compact when stale outnumber live */
        w->items[a].live_nbr--;
        w->items[b].live_nbr--;
}

/* Adds n (times sign) to the global pair cell of key, creating it if needed. cap: refuse to
 * create a new cell beyond max_pairs (1 returned). */
static int global_apply(struct xs_window *w, uint64_t key, const int32_t *n, int sign, int cap)
{
        struct cell *c = ct_find(&w->cells, key);
        if (!c) {
                if (cap && w->st.pairs_live >= w->p.max_pairs) {
                        w->st.pairs_cap_hits++;
                        return 1;
                }
                if (cap && w->refuse_new_pairs) {
                        w->st.pairs_budget_refused++;
                        return 1;
                }
                uint32_t num;
                if (!(c = ct_add(&w->cells, key, &num)))
                        return -1;
                if (nbr_append(w, KEY_A(key), KEY_B(key), num) != 0 ||
                    nbr_append(w, KEY_B(key), KEY_A(key), num) != 0) {
                        ct_del(&w->cells, c); /* a listed neighbour without a cell is stale */
                        return -1;
                }
                w->st.pairs_live++;
        }
        for (int r = 0; r < XS_REL_COUNT; r++)
                c->n[r] += sign * n[r];
        if (cell_zero(c))
                global_delete(w, c);
        return 0;
}

/* Rows and occurrences live in the item array, not the hash. */
static int item_apply(struct xs_window *w, uint64_t key, const int32_t *n, int sign)
{
        uint32_t a = KEY_B(key);
        struct item *it = item_get(w, a);
        if (!it)
                return -1;
        int64_t *dst = KEY_A(key) == 0xffffffffu ? it->occ : it->row;
        for (int r = 0; r < XS_REL_COUNT; r++)
                dst[r] += sign * (int64_t)n[r];
        return 0;
}

static int is_pair_key(uint64_t key)
{
        return KEY_A(key) != KEY_B(key) && KEY_A(key) != 0xffffffffu;
}

static void pane_link(struct xs_window *w, struct xs_window_pane *pane)
{
        struct xs_window_pane *after = w->tail;
        while (after && after->index > pane->index)
                after = after->prev;
        pane->prev = after;
        pane->next = after ? after->next : w->head;
        if (pane->next)
                pane->next->prev = pane;
        else
                w->tail = pane;
        if (after)
                after->next = pane;
        else
                w->head = pane;
        if (!pane->closed && (!w->open_head || pane->index < w->open_head->index))
                w->open_head = pane;
}

static void pane_unlink(struct xs_window *w, struct xs_window_pane *pane)
{
        if (pane->prev)
                pane->prev->next = pane->next;
        else
                w->head = pane->next;
        if (pane->next)
                pane->next->prev = pane->prev;
        else
                w->tail = pane->prev;
        size_t slot = (size_t)(((pane->index % (int64_t)w->ring_size) + (int64_t)w->ring_size) %
                               (int64_t)w->ring_size);
        if (w->ring[slot] == pane)
                w->ring[slot] = NULL;
        if (w->open_head == pane)
                w->open_head = pane->next;
        pane->prev = pane->next = NULL;
}

static struct xs_window_pane *pane_get(struct xs_window *w, int64_t t)
{
        int64_t index = xs_floor_div(t, w->p.pane_ms);
        size_t slot = (size_t)(((index % (int64_t)w->ring_size) + (int64_t)w->ring_size) %
                               (int64_t)w->ring_size);
        struct xs_window_pane *pane = w->ring[slot];
        if (pane && pane->index == index)
                return pane;
        /* Not in the ring: the slot is empty or holds another live pane (live panes can span
         * more than the ring). The pane may still be live, left out of the ring when its slot
         * was taken, so look in the list before creating one (else a second pane of the same
         * index). The walk starts at the newest pane: a new pane is almost always the newest,
         * so it stops at once. */
        for (pane = w->tail; pane && pane->index >= index; pane = pane->prev)
                if (pane->index == index) {
                        if (!w->ring[slot])
                                w->ring[slot] = pane;
                        return pane;
                }
        pane = calloc(1, sizeof(*pane));
        if (!pane)
                return NULL;
        pane->index = index;
        pane->pane_ms = w->p.pane_ms;
        if (store_init(&pane->cells, 256, 1u << 28) != 0) {
                free(pane);
                return NULL;
        }
        w->pane_bytes += pane_bytes(pane);
        /* a pane added below the close line is closed already (only in unbounded mode or
         * with zero lateness can this happen; its deltas are exported when it expires) */
        pane->closed = index < w->closed_below;
        if (!w->ring[slot])
                w->ring[slot] = pane;
        pane_link(w, pane);
        return pane;
}

static int pane_apply(struct xs_window *w, struct xs_window_pane *pane, uint64_t key,
                      enum xs_relation rel, int32_t delta)
{
        struct pcell *c = pt_find(&pane->cells, key, (int)rel);
        if (!c) {
                /* a new cell may add a chunk or double the buckets */
                size_t before = pane_bytes(pane);
                c = pt_add(&pane->cells, key, (int)rel);
                w->pane_bytes += pane_bytes(pane) - before;
                if (!c)
                        return -1;
        }
        c->n += delta;
        return 0;
}

/* Whether cell count v can take delta d and stay within XS_WINDOW_COUNT_LIMIT. */
static int count_fits(int64_t v, int32_t d)
{
        int64_t s = v + d;
        return s <= XS_WINDOW_COUNT_LIMIT && s >= -XS_WINDOW_COUNT_LIMIT;
}

static int pane_fits(const struct xs_window_pane *pane, uint64_t key, enum xs_relation rel,
                     int32_t delta)
{
        const struct pcell *c = pt_find(&pane->cells, key, (int)rel);
        return count_fits(c ? c->n : 0, delta);
}

/*
 * Cells hold int32 counts. Live events move them by one, so only a folded pane delta (whose
 * counts a corrupt or hostile pane record sets) can carry one to overflow: such a delta is
 * checked against every cell it touches first and refused whole, so panes and the global
 * state still agree when the pane expires.
 */
static int delta_fits(struct xs_window *w, const struct xs_window_pane *pane, int pair, uint32_t a,
                      uint32_t b, enum xs_relation rel, int32_t delta)
{
        if (delta >= -1 && delta <= 1)
                return 1;
        if (pair) {
                const struct cell *c = ct_find(&w->cells, KEY_PAIR(a, b));
                if (!count_fits(c ? c->n[rel] : 0, delta) ||
                    !pane_fits(pane, KEY_PAIR(a, b), rel, delta) ||
                    !pane_fits(pane, KEY_ROW(a), rel, delta) ||
                    !pane_fits(pane, KEY_ROW(b), rel, delta))
                        goto refuse;
        } else if (!pane_fits(pane, KEY_OCC(a), rel, delta)) {
                goto refuse;
        }
        return 1;
refuse:
        w->st.counts_refused++;
        return 0;
}

int xs_window_add_pair(struct xs_window *w, int64_t t, uint32_t a, uint32_t b, enum xs_relation rel,
                       int32_t delta)
{
        if (a == b || !delta)
                return 0;
        if (a > b) {
                uint32_t tmp = a;
                a = b;
                b = tmp;
        }
        struct xs_window_pane *pane = pane_get(w, t);
        if (!pane)
                return -1;
        if (!delta_fits(w, pane, 1, a, b, rel, delta))
                return 1;
        int32_t n[XS_REL_COUNT] = {0};
        n[rel] = delta;
        int rc = global_apply(w, KEY_PAIR(a, b), n, 1, 1);
        if (rc != 0)
                return rc;
        if (pane_apply(w, pane, KEY_PAIR(a, b), rel, delta) != 0 ||
            pane_apply(w, pane, KEY_ROW(a), rel, delta) != 0 ||
            pane_apply(w, pane, KEY_ROW(b), rel, delta) != 0)
                return -1;
        item_apply(w, KEY_ROW(a), n, 1);
        item_apply(w, KEY_ROW(b), n, 1);
        w->totals[rel] += delta;
        pane->totals[rel] += delta;
        w->st.pair_increments++;
        w->version++;
        return 0;
}

int xs_window_add_occurrence(struct xs_window *w, int64_t t, uint32_t a, enum xs_relation rel,
                             int32_t delta)
{
        struct xs_window_pane *pane = pane_get(w, t);
        if (!pane)
                return -1;
        if (!delta_fits(w, pane, 0, a, 0, rel, delta))
                return 1;
        int32_t n[XS_REL_COUNT] = {0};
        n[rel] = delta;
        if (item_apply(w, KEY_OCC(a), n, 1) != 0 ||
            pane_apply(w, pane, KEY_OCC(a), rel, delta) != 0)
                return -1;
        w->version++;
        return 0;
}

int xs_window_add_transactions(struct xs_window *w, int64_t t, enum xs_relation rel, int32_t delta)
{
        struct xs_window_pane *pane = pane_get(w, t);
        if (!pane)
                return -1;
        pane->tx[rel] += delta;
        w->tx[rel] += delta;
        w->version += delta != 0;
        return 0;
}

/* Subtracts one cell of an expiring pane from the global state. */
static void drain_cell(struct xs_window *w, const struct pcell *c)
{
        int32_t n[XS_REL_COUNT] = {0};
        n[pt_rel(c)] = c->n;
        if (is_pair_key(c->key))
                global_apply(w, c->key, n, -1, 0);
        else
                item_apply(w, c->key, n, -1);
        w->st.pane_entries_expired++;
}

static void pane_drain(struct xs_window *w, struct xs_window_pane *pane, size_t *budget)
{
        /* in creation order; a drained cell stays with zero counts, so what draining panes
         * still hold (draining_pending) is just a lookup */
        while (pane->drained < pane->cells.used) {
                if (budget && *budget == 0)
                        return;
                struct pcell *c = pt_cell(&pane->cells, ++pane->drained);
                drain_cell(w, c);
                c->n = 0;
                if (budget)
                        (*budget)--;
        }
}

static void draining_pop(struct xs_window *w)
{
        pane_free(w, w->draining[0]);
        memmove(w->draining, w->draining + 1, (w->n_draining - 1) * sizeof(*w->draining));
        w->n_draining--;
}

static void pane_close(struct xs_window *w, struct xs_window_pane *pane)
{
        pane->closed = 1;
        w->st.panes_closed++;
        if (w->close_cb)
                w->close_cb(w->close_opaque, pane);
}

static void pane_expire(struct xs_window *w, struct xs_window_pane *pane)
{
        pane_unlink(w, pane);
        w->st.panes_expired++;
        /* scalars go at once (O(1)); cells are given back over the following calls */
        for (int r = 0; r < XS_REL_COUNT; r++) {
                w->totals[r] -= pane->totals[r];
                w->tx[r] -= pane->tx[r];
        }
        if (w->n_draining == w->p.max_draining) {
                pane_drain(w, w->draining[0], NULL);
                draining_pop(w);
                w->st.forced_drains++;
        }
        w->draining[w->n_draining++] = pane;
}

void xs_window_advance(struct xs_window *w, int64_t watermark)
{
        if (watermark <= w->watermark)
                return;
        w->watermark = watermark;
        int64_t close_below = xs_floor_div(watermark, w->p.pane_ms); /* panes ending <= wm */
        if (close_below <= w->closed_below)
                return;
        w->closed_below = close_below;
        w->version++; /* panes may expire: their counts leave the queries */
        /* expire: pane end <= watermark - window */
        int64_t expire_below =
            w->p.unbounded ? INT64_MIN : xs_floor_div(watermark - w->p.window_ms, w->p.pane_ms);
        /* close: from the first open pane, so the work is the panes closed now */
        struct xs_window_pane *pane = w->open_head;
        while (pane && pane->index < close_below) {
                pane_close(w, pane);
                pane = pane->next;
        }
        w->open_head = pane;
        /* expire from the oldest: the work is the panes expired now. Unbounded: nothing will
         * be subtracted (the deltas are already in the totals), a closed pane is just freed. */
        int64_t drop_below = w->p.unbounded ? close_below : expire_below;
        pane = w->head;
        while (pane && pane->index < drop_below) {
                struct xs_window_pane *next = pane->next;
                if (w->p.unbounded) {
                        pane_unlink(w, pane);
                        pane_free(w, pane);
                } else {
                        pane_expire(w, pane);
                }
                pane = next;
        }
}

size_t xs_window_maintain(struct xs_window *w, size_t budget)
{
        while (w->n_draining && budget) {
                pane_drain(w, w->draining[0], &budget);
                if (w->draining[0]->drained < w->draining[0]->cells.used)
                        break;
                draining_pop(w);
        }
        size_t left = 0;
        for (size_t i = 0; i < w->n_draining; i++)
                left += w->draining[i]->cells.used - w->draining[i]->drained;
        return left;
}

void xs_window_drain_all(struct xs_window *w)
{
        while (w->n_draining) {
                pane_drain(w, w->draining[0], NULL);
                draining_pop(w);
        }
}

/* What draining panes still hold for key (to be subtracted from the global value). */
static void draining_pending(const struct xs_window *w, uint64_t key, int64_t out[XS_REL_COUNT])
{
        for (size_t i = 0; i < w->n_draining; i++)
                pt_sum(&w->draining[i]->cells, key, out);
}

static void pair_query(struct xs_window *w, uint64_t key, const struct cell *c,
                       int32_t out[XS_REL_COUNT])
{
        int64_t pending[XS_REL_COUNT] = {0};
        draining_pending(w, key, pending);
        for (int r = 0; r < XS_REL_COUNT; r++)
                out[r] = (int32_t)((c ? c->n[r] : 0) - pending[r]);
}

void xs_window_pair(struct xs_window *w, uint32_t a, uint32_t b, int32_t out[XS_REL_COUNT])
{
        if (a > b) {
                uint32_t tmp = a;
                a = b;
                b = tmp;
        }
        uint64_t key = KEY_PAIR(a, b);
        pair_query(w, key, ct_find(&w->cells, key), out);
}

void xs_window_prefetch_pair(const struct xs_window *w, uint32_t a, uint32_t b, int stage)
{
        const struct ctab *t = &w->cells;
        uint64_t key = a < b ? KEY_PAIR(a, b) : KEY_PAIR(b, a);
        const uint32_t *head = &t->s.bucket[store_slot(&t->s, key)];
        if (stage == 0) {
                __builtin_prefetch(head);
                return;
        }
        uint32_t i = *head;
        if (i)
                __builtin_prefetch(ct_cell(t, i));
}

/* A fresh mark value for a walk over an adjacency list. */
static uint32_t next_epoch(struct xs_window *w)
{
        w->epoch++;
        if (w->epoch == 0) { /* wrapped: reset marks so none looks visited */
                for (uint32_t i = 0; i < w->n_items; i++)
                        w->marks[i] = 0;
                w->epoch = 1;
        }
        return w->epoch;
}

static void item_query(struct xs_window *w, uint64_t key, int64_t out[XS_REL_COUNT])
{
        uint32_t a = KEY_B(key);
        int64_t pending[XS_REL_COUNT] = {0};
        draining_pending(w, key, pending);
        const int64_t *src = NULL;
        if (a < w->n_items)
                src = KEY_A(key) == 0xffffffffu ? w->items[a].occ : w->items[a].row;
        for (int r = 0; r < XS_REL_COUNT; r++)
                out[r] = (src ? src[r] : 0) - pending[r];
}

void xs_window_row(struct xs_window *w, uint32_t a, int64_t out[XS_REL_COUNT])
{
        item_query(w, KEY_ROW(a), out);
}

void xs_window_occurrence(struct xs_window *w, uint32_t a, int64_t out[XS_REL_COUNT])
{
        item_query(w, KEY_OCC(a), out);
}

void xs_window_totals(struct xs_window *w, int64_t pair_total[XS_REL_COUNT],
                      int64_t tx[XS_REL_COUNT])
{
        for (int r = 0; r < XS_REL_COUNT; r++) {
                pair_total[r] = w->totals[r];
                tx[r] = w->tx[r];
        }
}

void xs_window_neighbors(struct xs_window *w, uint32_t a,
                         void (*cb)(void *opaque, uint32_t b, const int32_t n[XS_REL_COUNT]),
                         void *opaque)
{
        if (a >= w->n_items || !w->items[a].n_nbr)
                return;
        next_epoch(w);
        struct item *it = &w->items[a];
        uint32_t keep = 0;
        for (uint32_t i = 0; i < it->n_nbr; i++) {
                if (i + 8 < it->n_nbr) { /* overlap the cache misses of the walk */
                        uint32_t h = it->nbr[i + 8].cell;
                        if (h && h <= w->cells.s.used)
                                __builtin_prefetch(ct_cell(&w->cells, h));
                        __builtin_prefetch(&w->marks[it->nbr[i + 8].id]);
                }
                uint32_t b = it->nbr[i].id;
                if (w->marks[b] == w->epoch)
                        continue; /* duplicate of a recreated pair */
                uint64_t key = a < b ? KEY_PAIR(a, b) : KEY_PAIR(b, a);
                const struct cell *c = NULL;
                uint32_t hint = it->nbr[i].cell;
                if (hint && hint <= w->cells.s.used && ct_cell(&w->cells, hint)->key == key)
                        c = ct_cell(&w->cells, hint);
                else if (!(c = ct_find_num(&w->cells, key, &hint)))
                        hint = 0;
                int32_t n[XS_REL_COUNT];
                pair_query(w, key, c, n);
                int nonzero = 0;
                for (int r = 0; r < XS_REL_COUNT; r++)
                        nonzero |= n[r] != 0;
                /* a pair with no global cell can still be non-zero while a draining pane
                 * holds its opposite; keep it listed until both are gone */
                if (!c && !nonzero)
                        continue; /* stale: the pair left the window */
                w->marks[b] = w->epoch;
                it->nbr[keep++] = (struct nbr){b, hint};
                if (nonzero)
                        cb(opaque, b, n);
        }
        it->n_nbr = keep;
        it->live_nbr = keep;
}

uint32_t xs_window_max_id(const struct xs_window *w)
{
        return w->max_id;
}

void xs_window_stats(const struct xs_window *w, struct xs_window_stats *st)
{
        *st = w->st;
        uint64_t bytes = w->st.bytes + store_bytes(&w->cells.s, sizeof(struct cell)) +
                         w->ring_size * sizeof(void *);
        for (const struct xs_window_pane *p = w->head; p; p = p->next)
                bytes += sizeof(*p) + store_bytes(&p->cells, sizeof(struct pcell));
        for (size_t i = 0; i < w->n_draining; i++)
                bytes += sizeof(*w->draining[i]) +
                         store_bytes(&w->draining[i]->cells, sizeof(struct pcell));
        st->bytes = bytes;
}

uint64_t xs_window_bytes(const struct xs_window *w)
{
        return w->st.bytes + store_bytes(&w->cells.s, sizeof(struct cell)) +
               w->ring_size * sizeof(void *) + w->pane_bytes;
}

void xs_window_refuse_new(struct xs_window *w, int on)
{
        w->refuse_new_pairs = on;
}

uint64_t xs_window_epoch(const struct xs_window *w)
{
        return w->st.panes_closed + w->st.panes_expired;
}

uint64_t xs_window_version(const struct xs_window *w)
{
        return w->version;
}

uint64_t xs_window_increments(const struct xs_window *w)
{
        return w->st.pair_increments;
}

int64_t xs_window_pane_start(const struct xs_window_pane *pane)
{
        return pane->index * pane->pane_ms;
}

int64_t xs_window_pane_end(const struct xs_window_pane *pane)
{
        return (pane->index + 1) * pane->pane_ms;
}

void xs_window_foreach_open(const struct xs_window *w,
                            void (*cb)(void *opaque, const struct xs_window_pane *pane),
                            void *opaque)
{
        for (const struct xs_window_pane *pane = w->open_head; pane; pane = pane->next)
                if (!pane->closed)
                        cb(opaque, pane);
}

int64_t xs_window_pane_orders(const struct xs_window_pane *pane)
{
        return pane->tx[XS_REL_ORDER];
}

int64_t xs_window_pane_tx(const struct xs_window_pane *pane, enum xs_relation rel)
{
        return pane->tx[rel];
}

void xs_window_pane_foreach(const struct xs_window_pane *pane,
                            void (*cb)(void *opaque, uint32_t a, uint32_t b,
                                       const int32_t n[XS_REL_COUNT]),
                            void *opaque)
{
        /* one entry per key, at its first cell, with the counts of all its relations (a key's
         * cells share a chain; the other cells of it are later in creation order) */
        const struct store *t = &pane->cells;
        for (uint32_t i = 1; i <= t->used; i++) {
                const struct pcell *c = pt_cell(t, i);
                if (!is_pair_key(c->key) && KEY_A(c->key) != 0xffffffffu)
                        continue; /* rows: sums of the pairs */
                int32_t n[XS_REL_COUNT] = {0};
                int first = 1;
                for (uint32_t j = t->bucket[store_slot(t, c->key)]; j && first;) {
                        const struct pcell *x = pt_cell(t, j);
                        if (x->key == c->key) {
                                if (j < i)
                                        first = 0;
                                else
                                        n[pt_rel(x)] += x->n;
                        }
                        j = pt_next(x);
                }
                if (!first)
                        continue;
                if (is_pair_key(c->key))
                        cb(opaque, KEY_A(c->key), KEY_B(c->key), n);
                else
                        cb(opaque, KEY_B(c->key), 0, n);
        }
}
