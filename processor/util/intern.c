/* String interning; see intern.h. Strings live in 64 KiB arena blocks (oversized strings get
 * a block of their own); entries come from a pool; the id -> entry map is a growable array. */
#include <stdlib.h>
#include <string.h>

#include "util/intern.h"
#include "util/pool.h"
#include "util/xs_uthash.h"

struct intern_entry {
        const char *str;
        uint32_t id, len;
        UT_hash_handle hh;
};

struct arena_block {
        struct arena_block *next;
        size_t used, cap;
        char data[];
};

struct xs_intern {
        struct intern_entry *head;
        struct intern_entry **by_id; /* [id] for 1..count */
        size_t count, cap;
        struct xs_pool entries;
        struct arena_block *blocks;
        size_t bytes;
};

struct xs_intern *xs_intern_new(void)
{
        struct xs_intern *in = calloc(1, sizeof(*in));
        if (!in)
                return NULL;
        xs_pool_init(&in->entries, sizeof(struct intern_entry));
        return in;
}

void xs_intern_destroy(struct xs_intern *in)
{
        if (!in)
                return;
        HASH_CLEAR(hh, in->head);
        xs_pool_release(&in->entries);
        struct arena_block *b = in->blocks;
        while (b) {
                struct arena_block *next = b->next;
                free(b);
                b = next;
        }
        free(in->by_id);
        free(in);
}

uint32_t xs_intern_find(const struct xs_intern *in, const char *s)
{
        struct intern_entry *e;
        HASH_FIND(hh, in->head, s, strlen(s), e);
        return e ? e->id : 0;
}

static char *arena_copy(struct xs_intern *in, const char *s, size_t len)
{
        struct arena_block *b = in->blocks;
        if (!b || b->cap - b->used < len + 1) {
                size_t cap = len + 1 > 65536 ? len + 1 : 65536;
                struct arena_block *nb = malloc(sizeof(*nb) + cap);
                if (!nb)
                        return NULL;
                nb->used = 0;
                nb->cap = cap;
                /* keep the partly used block first if the new one is a one-off */
                if (b && cap == len + 1 && len + 1 > 65536) {
                        nb->next = b->next;
                        b->next = nb;
                } else {
                        nb->next = b;
                        in->blocks = nb;
                }
                in->bytes += sizeof(*nb) + cap;
                b = nb;
        }
        char *dst = b->data + b->used;
        memcpy(dst, s, len);
        dst[len] = '\0';
        b->used += len + 1;
        return dst;
}

uint32_t xs_intern_put(struct xs_intern *in, const char *s, size_t max)
{
        size_t len = strlen(s);
        struct intern_entry *e;
        HASH_FIND(hh, in->head, s, len, e);
        if (e)
                return e->id;
        if ((max && in->count >= max) || len > UINT32_MAX || in->count >= UINT32_MAX - 2)
                return 0;
        if (in->count + 1 >= in->cap) {
                size_t cap = in->cap ? in->cap * 2 : 1024;
                struct intern_entry **ids = realloc(in->by_id, cap * sizeof(*ids));
                if (!ids)
                        return 0;
                in->by_id = ids;
                in->cap = cap;
        }
        e = xs_pool_alloc(&in->entries);
        if (!e)
                return 0;
        char *copy = arena_copy(in, s, len);
        if (!copy) {
                xs_pool_free(&in->entries, e);
                return 0;
        }
        e->str = copy;
        e->len = (uint32_t)len;
        e->id = (uint32_t)++in->count;
        in->by_id[e->id] = e;
        HASH_ADD_KEYPTR(hh, in->head, e->str, e->len, e);
        return e->id;
}

const char *xs_intern_str(const struct xs_intern *in, uint32_t id)
{
        return id >= 1 && id <= in->count ? in->by_id[id]->str : NULL;
}

size_t xs_intern_count(const struct xs_intern *in)
{
        return in->count;
}

size_t xs_intern_bytes(const struct xs_intern *in)
{
        return in->bytes + in->entries.bytes + in->cap * sizeof(void *) +
               (in->head ? HASH_OVERHEAD(hh, in->head) : 0);
}
