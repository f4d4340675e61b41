/* Fixed-size object pool; see pool.h. */
#include <stdlib.h>
#include <string.h>

#include "util/pool.h"

struct xs_pool_chunk {
        struct xs_pool_chunk *next;
        size_t count, used;
        max_align_t data[];
};

void xs_pool_init(struct xs_pool *pool, size_t size)
{
        memset(pool, 0, sizeof(*pool));
        size_t align = sizeof(void *);
        pool->size = (size + align - 1) / align * align;
        if (pool->size < sizeof(void *))
                pool->size = sizeof(void *);
        pool->next_count = 64;
}

void *xs_pool_alloc(struct xs_pool *pool)
{
        void *obj;
        if (pool->free) {
                obj = pool->free;
                memcpy(&pool->free, obj, sizeof(void *));
        } else {
                struct xs_pool_chunk *c = pool->chunks;
                if (!c || c->used == c->count) {
                        size_t bytes = sizeof(*c) + pool->next_count * pool->size;
                        c = malloc(bytes);
                        if (!c)
                                return NULL;
                        c->count = pool->next_count;
                        c->used = 0;
                        c->next = pool->chunks;
                        pool->chunks = c;
                        pool->bytes += bytes;
                        if (pool->next_count < 4096)
                                pool->next_count *= 2;
                }
                obj = (char *)c->data + c->used * pool->size;
                c->used++;
        }
        memset(obj, 0, pool->size);
        pool->live++;
        return obj;
}

void xs_pool_free(struct xs_pool *pool, void *obj)
{
        if (!obj)
                return;
        memcpy(obj, &pool->free, sizeof(void *));
        pool->free = obj;
        pool->live--;
}

void xs_pool_release(struct xs_pool *pool)
{
        struct xs_pool_chunk *c = pool->chunks;
        while (c) {
                struct xs_pool_chunk *next = c->next;
                free(c);
                c = next;
        }
        size_t size = pool->size;
        xs_pool_init(pool, size);
}

size_t xs_pool_bytes_for(const struct xs_pool *pool, size_t count)
{
        size_t bytes = 0, objects = 0, next = 64;
        while (objects < count) {
                bytes += sizeof(struct xs_pool_chunk) + next * pool->size;
                objects += next;
                if (next < 4096)
                        next *= 2;
        }
        return bytes;
}
