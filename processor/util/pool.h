/*
 * Fixed-size object pool: objects of one size carved from chunks that grow geometrically
 * (64 objects up to 4096 per chunk), recycled through a free list. One malloc per chunk
 * instead of one per object, and freeing a whole pool is one pass over its chunks, which is
 * how an expired pane gives back its entries.
 */
#ifndef XS_POOL_H
#define XS_POOL_H

#include <stddef.h>

struct xs_pool_chunk;
struct xs_pool {
        size_t size;                  /* object size, rounded up to pointer alignment */
        size_t next_count;            /* objects in the next chunk */
        void *free;                   /* free list through the first word of each object */
        struct xs_pool_chunk *chunks; /* all chunks, newest first */
        size_t live;                  /* objects handed out and not freed */
        size_t bytes;                 /* bytes held in chunks */
};

void xs_pool_init(struct xs_pool *pool, size_t size);
/* Returns zeroed memory for one object, or NULL when out of memory. */
void *xs_pool_alloc(struct xs_pool *pool);
/* Gives obj (from this pool) back. */
void xs_pool_free(struct xs_pool *pool, void *obj);
/* The bytes a fresh pool of this object size holds once count objects were handed out at the
 * same time (its chunks grow geometrically): what a pool bounded to count objects can reach. */
size_t xs_pool_bytes_for(const struct xs_pool *pool, size_t count);
/* Frees every chunk; objects still handed out become invalid. The pool may be reused. */
void xs_pool_release(struct xs_pool *pool);

#endif
