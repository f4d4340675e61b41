/*
 * The product catalog as the policy needs it: category, brand, price, stock and explicit
 * upgrade/downgrade targets per product, and each category's products ordered by price (the
 * ladder that upsell and downsell candidates come from).
 *
 * Products are indexed by their interned id (the same ids the window uses). A product comes
 * from a catalog record, or is learned from event line items that carry a category or a price;
 * a catalog record always wins over learning, and a tombstone is final for learning (an event
 * never brings a deleted product back). Once the catalog has had a record, only products with a
 * record are offerable (PRODUCT.md §3 "never offer unknown products"): learning then only
 * serves anchors (price, category), and offering learned products is for setups with no catalog
 * at all (the REES46 demo). Ladders are kept sorted as products come, move and change price: a
 * change costs a binary search and a memmove of the members between the product's old and new
 * place (never a re-sort of the category), a read a binary search.
 *
 * A category is the finest one known (REES46: category_id); a coarser readable name is kept as
 * the category label (REES46: category_code) and never compared. An add-on (warranty, plan,
 * accessory) is a product whose record names its kind; listed as an upgrade target it is
 * offered as an add-on upsell whatever its price.
 */
#ifndef XS_CATALOG_H
#define XS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "util/intern.h"
#include "xsell/event.h"

#define XS_CATALOG_MAX_TARGETS 4

enum xs_product_source { XS_SRC_NONE, XS_SRC_RECORD, XS_SRC_LEARNED };

struct xs_cat_product {
        uint32_t category;       /* label id, 0 = unknown: the finest category, the same-line key */
        uint32_t brand;          /* label id, 0 = unknown */
        uint32_t category_label; /* label id, 0 = none: a readable name of category */
        uint32_t addon;          /* label id of the add-on kind, 0 = not an add-on */
        int64_t price;           /* minor units, -1 = unknown */
        char currency[XS_CURRENCY_LEN];
        uint8_t source; /* enum xs_product_source */
        uint8_t in_stock;
        uint8_t deleted;
        uint8_t n_up, n_down;
        uint32_t up[XS_CATALOG_MAX_TARGETS], down[XS_CATALOG_MAX_TARGETS];
        uint32_t ladder_category; /* the ladder it is listed in (0: none) */
};

struct xs_catalog;

/* products: the engine's product intern table (not owned). max_price: event.max_unit_price,
 * the dearest price a record may carry. Categories and brands are capped at 2 * max_products
 * labels together (xs_catalog_label_cap_hits counts what the cap turned away). */
struct xs_catalog *xs_catalog_new(struct xs_intern *products, size_t max_products,
                                  int64_t max_price);
void xs_catalog_destroy(struct xs_catalog *cat);

/* Upsert from a catalog record. Returns 0, 1 when catalog.max_products bit, -1 when invalid
 * (errstr says why) or out of memory. */
int xs_catalog_put(struct xs_catalog *cat, const struct xs_product *p, char *errstr,
                   size_t errstr_size);
/* Tombstone. Returns 0, or 1 when the product was not known. */
int xs_catalog_delete(struct xs_catalog *cat, const char *product_id);
/* Learn from a line item (only products with no catalog record and no tombstone): category and
 * brand only while the product has none, the price every time. Returns 1 when a new product
 * was learned, 0 otherwise. */
int xs_catalog_learn(struct xs_catalog *cat, uint32_t id, const struct xs_line_item *li,
                     const char *currency);

/* The product (NULL if id has no catalog entry at all). */
const struct xs_cat_product *xs_catalog_get(const struct xs_catalog *cat, uint32_t id);
/* Offerable: known, not deleted, in stock, with a price; from a catalog record once the catalog
 * has had one (xs_catalog_has_records). */
int xs_catalog_offerable(const struct xs_catalog *cat, uint32_t id);
const char *xs_catalog_label(const struct xs_catalog *cat, uint32_t label);
/* Products of category with price in [min_price, max_price], cheapest first (ties by id).
 * Sets *n; the array is owned by the catalog and valid until the next catalog change. */
const uint32_t *xs_catalog_ladder(const struct xs_catalog *cat, uint32_t category,
                                  int64_t min_price, int64_t max_price, size_t *n);
size_t xs_catalog_count(const struct xs_catalog *cat);
/* Products with a catalog record (deleted ones included). */
size_t xs_catalog_records(const struct xs_catalog *cat);
/* 1 once any catalog record was put: from then on only record products are offerable. */
int xs_catalog_has_records(const struct xs_catalog *cat);
uint64_t xs_catalog_label_cap_hits(const struct xs_catalog *cat);
size_t xs_catalog_bytes(const struct xs_catalog *cat);

#endif
