/*
 * Interning of product (and category, brand) ids: each distinct string gets a small integer
 * id, 1, 2, 3, ... in first-seen order, so pair keys are 8-byte integers and per-product state
 * lives in arrays. Interned strings are never freed while the table lives: only catalog and
 * product ids are interned, bounded by catalog.max_products; customer ids are not (FORGET must
 * be able to erase them).
 */
#ifndef XS_INTERN_H
#define XS_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct xs_intern;

struct xs_intern *xs_intern_new(void);
void xs_intern_destroy(struct xs_intern *in);
/* The id of s, or 0 when s was never interned. */
uint32_t xs_intern_find(const struct xs_intern *in, const char *s);
/* The id of s, interning it if new. Returns 0 when out of memory or when the table holds
 * max strings already (max 0: no limit). */
uint32_t xs_intern_put(struct xs_intern *in, const char *s, size_t max);
/* The string of id (1..count); owned by the table. */
const char *xs_intern_str(const struct xs_intern *in, uint32_t id);
size_t xs_intern_count(const struct xs_intern *in);
/* Bytes held, for memory accounting. */
size_t xs_intern_bytes(const struct xs_intern *in);

#endif
