/* Product catalog and category price ladders; see catalog.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "util/array.h"

/* A category's products, always sorted by (price, id): every change of a product's category or
 * price moves it to its place at once (binary search, then one memmove of the products between
 * its old and new place), so a read is a binary search and never a sort. Each member is listed
 * once: exactly the products whose ladder_category is this category (deleted ones included;
 * the policy filters them). */
struct ladder {
        uint32_t *ids;
        size_t n, cap;
};

struct xs_catalog {
        struct xs_intern *products;   /* not owned */
        struct xs_intern *labels;     /* categories and brands */
        struct xs_cat_product *items; /* [product id] */
        size_t n_items;
        size_t count, max_products;
        size_t records;          /* products with a record: non-zero means catalog-only offers */
        int64_t max_price;       /* event.max_unit_price: a dearer record is invalid */
        size_t max_labels;       /* 2 * max_products: categories and brands together */
        uint64_t label_cap_hits; /* labels not added because max_labels bit */
        struct ladder *ladders;  /* [label id] */
        size_t n_ladders;
        size_t ladder_bytes; /* the ladders array and every ladder's ids, as allocated */
};

struct xs_catalog *xs_catalog_new(struct xs_intern *products, size_t max_products,
                                  int64_t max_price)
{
        struct xs_catalog *cat = calloc(1, sizeof(*cat));
        if (!cat)
                return NULL;
        cat->products = products;
        cat->max_products = max_products;
        cat->max_price = max_price;
        cat->max_labels = max_products > SIZE_MAX / 2 ? SIZE_MAX : 2 * max_products;
        cat->labels = xs_intern_new();
        if (!cat->labels) {
                free(cat);
                return NULL;
        }
        return cat;
}

void xs_catalog_destroy(struct xs_catalog *cat)
{
        if (!cat)
                return;
        for (size_t i = 0; i < cat->n_ladders; i++)
                free(cat->ladders[i].ids);
        free(cat->ladders);
        free(cat->items);
        xs_intern_destroy(cat->labels);
        free(cat);
}

static struct xs_cat_product *slot(struct xs_catalog *cat, uint32_t id)
{
        if (id >= cat->n_items && xs_array_fit((void **)&cat->items, &cat->n_items,
                                               sizeof(*cat->items), id, 1024, SIZE_MAX) != 0)
                return NULL;
        return &cat->items[id];
}

static struct ladder *ladder_of(struct xs_catalog *cat, uint32_t label)
{
        if (label >= cat->n_ladders) {
                size_t before = cat->n_ladders;
                if (xs_array_fit((void **)&cat->ladders, &cat->n_ladders, sizeof(*cat->ladders),
                                 label, 256, SIZE_MAX) != 0)
                        return NULL;
                cat->ladder_bytes += (cat->n_ladders - before) * sizeof(*cat->ladders);
        }
        return &cat->ladders[label];
}

/* (price, id) of x, ordered as the ladder is: by price, then by the product's own id (not its
 * interned number, which follows the order products were first seen, and so would make a
 * ladder's order among equal prices depend on the interleaving of partitions) */
static int key_before(const struct xs_catalog *cat, uint32_t x, int64_t price, uint32_t id)
{
        int64_t px = cat->items[x].price;
        if (px != price)
                return px < price;
        if (x == id || id == 0) /* 0: before every product of the price (a range's bound) */
                return 0;
        if (id == UINT32_MAX) /* after every product of the price */
                return 1;
        return strcmp(xs_intern_str(cat->products, x), xs_intern_str(cat->products, id)) < 0;
}

/* The first index in [lo, hi) of l whose product is not before (price, id). */
static size_t ladder_lower(const struct xs_catalog *cat, const struct ladder *l, size_t lo,
                           size_t hi, int64_t price, uint32_t id)
{
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (key_before(cat, l->ids[mid], price, id))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* The index of id (listed at price) in l; l->n if it is not listed (never, while the invariant
 * holds: then a linear scan, so a broken invariant cannot corrupt the ladder further). */
static size_t ladder_index(const struct xs_catalog *cat, const struct ladder *l, int64_t price,
                           uint32_t id)
{
        size_t i = ladder_lower(cat, l, 0, l->n, price, id);
        if (i < l->n && l->ids[i] == id)
                return i;
        for (i = 0; i < l->n && l->ids[i] != id; i++)
                ;
        return i;
}

/* Room for one more member. Returns 0 or -1 (out of memory: the ladder is unchanged). */
static int ladder_reserve(struct xs_catalog *cat, struct ladder *l)
{
        if (l->n < l->cap)
                return 0;
        size_t cap = l->cap ? l->cap * 2 : 8;
        uint32_t *ids = realloc(l->ids, cap * sizeof(*ids));
        if (!ids)
                return -1;
        cat->ladder_bytes += (cap - l->cap) * sizeof(*ids);
        l->ids = ids;
        l->cap = cap;
        return 0;
}

/* Keeps the ladders in step with the product's category and price, before p takes them (p's
 * price is still the one it is listed at). O(log n) to find the places, plus one memmove of the
 * members between the old and the new place. Returns 0 or -1 (out of memory: nothing changed). */
static int ladder_update(struct xs_catalog *cat, uint32_t id, struct xs_cat_product *p,
                         uint32_t new_category, int64_t new_price)
{
        uint32_t old_category = p->ladder_category;
        if (old_category == new_category) {
                if (!new_category || p->price == new_price)
                        return 0;
                struct ladder *l = &cat->ladders[new_category];
                size_t i = ladder_index(cat, l, p->price, id);
                if (i == l->n)
                        return 0; /* not listed: see ladder_index */
                if (new_price > p->price) {
                        /* moves towards the dear end: the members after it that sort before
                         * its new key shift down by one */
                        size_t j = ladder_lower(cat, l, i + 1, l->n, new_price, id);
                        memmove(&l->ids[i], &l->ids[i + 1], (j - i - 1) * sizeof(*l->ids));
                        l->ids[j - 1] = id;
                } else {
                        size_t j = ladder_lower(cat, l, 0, i, new_price, id);
                        memmove(&l->ids[j + 1], &l->ids[j], (i - j) * sizeof(*l->ids));
                        l->ids[j] = id;
                }
                return 0;
        }
        struct ladder *to = NULL;
        if (new_category) {
                /* everything that can fail first, so that a failure leaves both ladders as
                 * they were */
                to = ladder_of(cat, new_category);
                if (!to || ladder_reserve(cat, to) != 0)
                        return -1;
        }
        if (old_category) {
                struct ladder *from = &cat->ladders[old_category];
                size_t i = ladder_index(cat, from, p->price, id);
                if (i < from->n) {
                        memmove(&from->ids[i], &from->ids[i + 1],
                                (from->n - i - 1) * sizeof(*from->ids));
                        from->n--;
                }
        }
        if (to) {
                size_t j = ladder_lower(cat, to, 0, to->n, new_price, id);
                memmove(&to->ids[j + 1], &to->ids[j], (to->n - j) * sizeof(*to->ids));
                to->ids[j] = id;
                to->n++;
        }
        p->ladder_category = new_category;
        return 0;
}

/* A label's id (0: none, or catalog_cap_hits when the label table is full). */
static uint32_t label_put(struct xs_catalog *cat, const char *s)
{
        if (!s || !*s)
                return 0;
        uint32_t id = xs_intern_put(cat->labels, s, cat->max_labels);
        if (!id)
                cat->label_cap_hits++;
        return id;
}

int xs_catalog_put(struct xs_catalog *cat, const struct xs_product *in, char *errstr,
                   size_t errstr_size)
{
        if (!in->product_id || !*in->product_id) {
                snprintf(errstr, errstr_size, "catalog record without product_id");
                return -1;
        }
        if (in->price < 0 || in->price > cat->max_price) {
                snprintf(errstr, errstr_size, "product %s: price %lld out of 0..%lld (%s)",
                         in->product_id, (long long)in->price, (long long)cat->max_price,
                         "event.max_unit_price");
                return -1;
        }
        uint32_t id = xs_intern_put(cat->products, in->product_id, cat->max_products);
        if (!id)
                return 1;
        struct xs_cat_product *p = slot(cat, id);
        if (!p)
                return -1;
        if (p->source == XS_SRC_NONE)
                cat->count++;
        if (p->source != XS_SRC_RECORD)
                cat->records++;
        uint32_t category = label_put(cat, in->category);
        if (ladder_update(cat, id, p, category, in->price) != 0)
                return -1;
        p->category = category;
        p->brand = label_put(cat, in->brand);
        p->category_label = label_put(cat, in->category_label);
        p->addon = label_put(cat, in->addon);
        p->price = in->price;
        memcpy(p->currency, in->currency, XS_CURRENCY_LEN);
        p->currency[XS_CURRENCY_LEN - 1] = '\0';
        p->in_stock = in->in_stock ? 1 : 0;
        p->deleted = 0;
        p->source = XS_SRC_RECORD;
        p->n_up = p->n_down = 0;
        for (size_t i = 0; i < in->n_upgrades && p->n_up < XS_CATALOG_MAX_TARGETS; i++) {
                uint32_t t = xs_intern_put(cat->products, in->upgrades[i], cat->max_products);
                if (t && t != id)
                        p->up[p->n_up++] = t;
        }
        for (size_t i = 0; i < in->n_downgrades && p->n_down < XS_CATALOG_MAX_TARGETS; i++) {
                uint32_t t = xs_intern_put(cat->products, in->downgrades[i], cat->max_products);
                if (t && t != id)
                        p->down[p->n_down++] = t;
        }
        return 0;
}

int xs_catalog_delete(struct xs_catalog *cat, const char *product_id)
{
        uint32_t id = xs_intern_find(cat->products, product_id);
        if (!id || id >= cat->n_items || cat->items[id].source == XS_SRC_NONE)
                return 1;
        struct xs_cat_product *p = &cat->items[id];
        p->deleted = 1; /* it stays listed: the ladder's readers skip what is not offerable */
        return 0;
}

int xs_catalog_learn(struct xs_catalog *cat, uint32_t id, const struct xs_line_item *li,
                     const char *currency)
{
        if ((!li->category || !*li->category) && li->unit_price < 0)
                return 0;
        struct xs_cat_product *p = slot(cat, id);
        if (!p || p->source == XS_SRC_RECORD || p->deleted)
                return 0;
        int is_new = p->source == XS_SRC_NONE;
        /* category and brand are learned once (a product's line items that disagree must not
         * move it between ladders or grow the label table on every event); price follows */
        uint32_t category = p->category;
        if (!category && li->category && *li->category)
                category = label_put(cat, li->category);
        int64_t price = li->unit_price >= 0 ? li->unit_price : (is_new ? -1 : p->price);
        if (ladder_update(cat, id, p, category, price) != 0)
                return 0;
        p->category = category;
        if (!p->brand && li->brand && *li->brand)
                p->brand = label_put(cat, li->brand);
        if (!p->category_label && li->category_label && *li->category_label)
                p->category_label = label_put(cat, li->category_label);
        p->price = price;
        if (currency && *currency)
                memcpy(p->currency, currency, XS_CURRENCY_LEN);
        p->in_stock = 1;
        p->source = XS_SRC_LEARNED;
        if (is_new)
                cat->count++;
        return is_new;
}

const struct xs_cat_product *xs_catalog_get(const struct xs_catalog *cat, uint32_t id)
{
        if (id >= cat->n_items || cat->items[id].source == XS_SRC_NONE)
                return NULL;
        return &cat->items[id];
}

int xs_catalog_offerable(const struct xs_catalog *cat, uint32_t id)
{
        const struct xs_cat_product *p = xs_catalog_get(cat, id);
        return p && !p->deleted && p->in_stock && p->price >= 0 &&
               (p->source == XS_SRC_RECORD || !cat->records);
}

const char *xs_catalog_label(const struct xs_catalog *cat, uint32_t label)
{
        return label ? xs_intern_str(cat->labels, label) : NULL;
}

const uint32_t *xs_catalog_ladder(const struct xs_catalog *cat, uint32_t category,
                                  int64_t min_price, int64_t max_price, size_t *n)
{
        *n = 0;
        if (!category || category >= cat->n_ladders)
                return NULL;
        const struct ladder *l = &cat->ladders[category];
        /* the first price >= min_price: (min_price, id 0) sorts before every member of that
         * price; then the first price > max_price the same way */
        size_t lo = ladder_lower(cat, l, 0, l->n, min_price, 0);
        size_t end = lo;
        if (max_price >= min_price)
                end = max_price == INT64_MAX ? l->n
                                             : ladder_lower(cat, l, lo, l->n, max_price + 1, 0);
        *n = end - lo;
        return l->ids + lo;
}

uint64_t xs_catalog_label_cap_hits(const struct xs_catalog *cat)
{
        return cat->label_cap_hits;
}

size_t xs_catalog_count(const struct xs_catalog *cat)
{
        return cat->count;
}

size_t xs_catalog_records(const struct xs_catalog *cat)
{
        return cat->records;
}

int xs_catalog_has_records(const struct xs_catalog *cat)
{
        return cat->records != 0;
}

size_t xs_catalog_bytes(const struct xs_catalog *cat)
{
        return cat->n_items * sizeof(*cat->items) + xs_intern_bytes(cat->labels) +
               cat->ladder_bytes;
}
