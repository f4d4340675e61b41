/*
 * Arrays indexed by an id (product, label, category): grown on demand so that an index fits,
 * doubling, the new part zeroed, so an unused slot reads as empty.
 */
#ifndef XS_ARRAY_H
#define XS_ARRAY_H

#include <stddef.h>

/* Grows *arr (*n elements of elem bytes) so that index < *n: the length doubles from first (or
 * from *n), at most max elements, and the new elements are zeroed. Returns 0, or -1 when out of
 * memory or when index >= max (then *arr and *n are unchanged). */
int xs_array_fit(void **arr, size_t *n, size_t elem, size_t index, size_t first, size_t max);

#endif
