/* Product catalog and category price ladders; see catalog.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "util/array.h"

struct ladder {
        uint32_t *ids; /* members; sorted by (price, id) when !dirty */
        size_t n, cap;
        int dirty;
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
        if (label >= cat->n_ladders &&
            xs_array_fit((void **)&cat->ladders, &cat->n_ladders, sizeof(*cat->ladders), label, 256,
                         SIZE_MAX) != 0)
                return NULL;
        return &cat->ladders[label];
}

/* Keeps ladder membership in step with the product's category and price. */
static int ladder_update(struct xs_catalog *cat, uint32_t id, struct xs_cat_product *p,
                         uint32_t new_category, int64_t new_price)
{
        if (p->ladder_category && p->ladder_category != new_category)
                cat->ladders[p->ladder_category].dirty = 1; /* filtered out on rebuild */
        if (new_category && p->ladder_category != new_category) {
                struct ladder *l = ladder_of(cat, new_category);
                if (!l)
                        return -1;
                if (l->n == l->cap) {
                        size_t cap = l->cap ? l->cap * 2 : 8;
                        uint32_t *ids = realloc(l->ids, cap * sizeof(*ids));
                        if (!ids)
                                return -1;
                        l->ids = ids;
                        l->cap = cap;
                }
                l->ids[l->n++] = id;
                l->dirty = 1;
        } else if (new_category && p->price != new_price) {
                cat->ladders[new_category].dirty = 1;
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
        p->deleted = 1;
        if (p->ladder_category)
                cat->ladders[p->ladder_category].dirty = 1;
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

/* sorted with its price, so the comparator needs no global (engines run in threads) */
struct priced {
        int64_t price;
        uint32_t id;
};

static int by_price(const void *x, const void *y)
{
        const struct priced *a = x, *b = y;
        if (a->price != b->price)
                return a->price < b->price ? -1 : 1;
        return a->id < b->id ? -1 : a->id > b->id;
}

const uint32_t *xs_catalog_ladder(struct xs_catalog *cat, uint32_t category, int64_t min_price,
                                  int64_t max_price, size_t *n)
{
        *n = 0;
        if (!category || category >= cat->n_ladders)
                return NULL;
        struct ladder *l = &cat->ladders[category];
        if (l->dirty) {
                size_t keep = 0;
                for (size_t i = 0; i < l->n; i++) {
                        uint32_t id = l->ids[i];
                        if (cat->items[id].ladder_category == category)
                                l->ids[keep++] = id;
                }
                struct priced *tmp = malloc((keep ? keep : 1) * sizeof(*tmp));
                if (!tmp)
                        return NULL; /* out of memory: no ladder this time (still dirty) */
                for (size_t i = 0; i < keep; i++)
                        tmp[i] = (struct priced){cat->items[l->ids[i]].price, l->ids[i]};
                qsort(tmp, keep, sizeof(*tmp), by_price);
                for (size_t i = 0; i < keep; i++)
                        l->ids[i] = tmp[i].id;
                free(tmp);
                /* a product that left the category and came back is listed twice: after the
                 * sort its copies are adjacent */
                size_t uniq = 0;
                for (size_t i = 0; i < keep; i++)
                        if (uniq == 0 || l->ids[uniq - 1] != l->ids[i])
                                l->ids[uniq++] = l->ids[i];
                l->n = uniq;
                l->dirty = 0;
        }
        /* binary search the first price >= min_price */
        size_t lo = 0, hi = l->n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (cat->items[l->ids[mid]].price < min_price)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t end = lo;
        while (end < l->n && cat->items[l->ids[end]].price <= max_price)
                end++;
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
        size_t bytes = cat->n_items * sizeof(*cat->items) + xs_intern_bytes(cat->labels);
        for (size_t i = 0; i < cat->n_ladders; i++)
                bytes += cat->ladders[i].cap * sizeof(uint32_t) + sizeof(struct ladder);
        return bytes;
}
