/*
 * Guards around avro-c 1.11: a capped allocator and a validator that walks one record's bytes
 * against a writer schema before avro-c is allowed to decode them.
 *
 * Why: avro-c trusts a string length of 2^60 (and allocates it), reads enum and union indexes
 * out of range, and leaks what it had built when a read fails half way. So nothing reaches
 * avro_value_read that has not been walked here first. Every length and count is checked
 * against the bytes that remain, so decoding the validated bytes allocates at most a bounded
 * multiple of the input; items that take no bytes (null, empty records, fixed(0)) are capped by
 * a budget per record. Nesting is bounded by XS_AVRO_MAX_DEPTH, so recursive schemas cannot
 * exhaust the stack.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/avro_guard.h"
#include "util/xs_uthash.h"

#define XS_AVRO_MAX_DEPTH 64
/* Items that take no bytes at all, summed over one record (they still cost memory to decode). */
#define XS_AVRO_ZERO_WIDTH_BUDGET 1000000

/* Default cap until someone sets one: no record or schema we accept needs a larger block. */
#define XS_AVRO_DEFAULT_CAP ((size_t)64 << 20)

static _Atomic size_t guard_cap = XS_AVRO_DEFAULT_CAP;
static _Atomic uint64_t guard_refused;
static _Atomic int64_t guard_live; /* blocks avro-c holds: allocated and not yet freed */
static atomic_flag guard_installed = ATOMIC_FLAG_INIT;

/* avro-c's allocator contract: nsize 0 frees and returns NULL; otherwise behaves like realloc.
 * Growing any single block above the cap fails (avro-c then reports ENOMEM). */
static void *guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
        (void)ud;
        (void)osize;
        if (nsize == 0) {
                if (ptr)
                        atomic_fetch_sub(&guard_live, 1);
                free(ptr);
                return NULL;
        }
        if (nsize > atomic_load(&guard_cap)) {
                atomic_fetch_add(&guard_refused, 1);
                return NULL;
        }
        void *np = realloc(ptr, nsize);
        if (np && !ptr)
                atomic_fetch_add(&guard_live, 1);
        return np;
}

void xs_avro_guard_init(size_t cap)
{
        if (cap)
                atomic_store(&guard_cap, cap);
        if (!atomic_flag_test_and_set(&guard_installed))
                avro_set_allocator(guard_alloc, NULL);
}

uint64_t xs_avro_guard_refused(void)
{
        return atomic_load(&guard_refused);
}

int64_t xs_avro_guard_live_blocks(void)
{
        return atomic_load(&guard_live);
}

struct walk {
        const unsigned char *buf;
        size_t len;
        size_t pos;
        long zero_budget;
        char *errstr;
        size_t errstr_size;
};

static int walk_fail(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int walk_fail(struct walk *w, const char *fmt, ...)
{
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (w->errstr && w->errstr_size)
                snprintf(w->errstr, w->errstr_size, "%s at byte %zu of %zu", msg, w->pos, w->len);
        return -1;
}

/* Zig-zag varint of at most max_bytes; the last byte may only carry the bits that fit, so
 * avro-c's decoder never shifts past the width of the type. */
static int walk_varint(struct walk *w, int max_bytes, int64_t *out, const char *what)
{
        uint64_t v = 0;
        int last_bits = max_bytes == 5 ? 4 : 1; /* 32 = 4*7+4, 64 = 9*7+1 */
        for (int i = 0; i < max_bytes; i++) {
                if (w->pos >= w->len)
                        return walk_fail(w, "truncated %s", what);
                unsigned char b = w->buf[w->pos++];
                if (i == max_bytes - 1 && (b & 0x7f) >> last_bits)
                        return walk_fail(w, "%s varint overflows", what);
                v |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return 0;
                }
        }
        return walk_fail(w, "%s varint longer than %d bytes", what, max_bytes);
}

static int walk_long(struct walk *w, int64_t *out, const char *what)
{
        return walk_varint(w, 10, out, what);
}

static int walk_skip(struct walk *w, int64_t n, const char *what)
{
        if (n < 0)
                return walk_fail(w, "negative %s length %" PRId64, what, n);
        if ((uint64_t)n > w->len - w->pos)
                return walk_fail(w, "%s length %" PRId64 " exceeds the %zu bytes left", what, n,
                                 w->len - w->pos);
        w->pos += (size_t)n;
        return 0;
}

static avro_schema_t resolve(avro_schema_t s)
{
        /* A link is a reference to a named type defined earlier; links to links do not occur in
         * parsed schemas but are followed anyway (bounded). */
        for (int i = 0; i < 8 && s && is_avro_link(s); i++)
                s = avro_schema_link_target(s);
        return s;
}

/*
 * The compiled schema: one node per schema object (links resolved, so a recursive type is a
 * cycle of nodes), with the children the walk needs in arrays. avro-c's own accessors look a
 * record field or a union branch up in a hash table on every call, which made the walk cost
 * more than the decode it guards.
 */
#define XS_AVRO_MAX_NODES 100000

struct xs_avro_prog {
        struct xs_avro_node *root;
        struct xs_avro_node **nodes; /* all of them, for freeing */
        avro_schema_t *from;         /* the schema each node was compiled from */
        size_t n, cap;
        uint32_t *memo; /* open addressing: schema pointer -> node number + 1 */
        size_t memo_mask;
};

static size_t memo_slot(const struct xs_avro_prog *p, avro_schema_t s)
{
        return (size_t)xs_mix64((uint64_t)(uintptr_t)s) & p->memo_mask;
}

/* Records node number i for its schema; grows the memo to stay at most half full. */
static int memo_put(struct xs_avro_prog *p, size_t i)
{
        if (2 * (p->n + 1) > p->memo_mask + 1) {
                size_t size = p->memo_mask ? 2 * (p->memo_mask + 1) : 64;
                uint32_t *m = calloc(size, sizeof(*m));
                if (!m)
                        return -1;
                free(p->memo);
                p->memo = m;
                p->memo_mask = size - 1;
                for (size_t k = 0; k < p->n; k++) {
                        if (k == i)
                                continue;
                        size_t slot = memo_slot(p, p->from[k]);
                        while (m[slot])
                                slot = (slot + 1) & p->memo_mask;
                        m[slot] = (uint32_t)k + 1;
                }
        }
        size_t slot = memo_slot(p, p->from[i]);
        while (p->memo[slot])
                slot = (slot + 1) & p->memo_mask;
        p->memo[slot] = (uint32_t)i + 1;
        return 0;
}

static struct xs_avro_node *memo_get(const struct xs_avro_prog *p, avro_schema_t s)
{
        if (!p->memo)
                return NULL;
        for (size_t slot = memo_slot(p, s); p->memo[slot]; slot = (slot + 1) & p->memo_mask)
                if (p->from[p->memo[slot] - 1] == s)
                        return p->nodes[p->memo[slot] - 1];
        return NULL;
}

static struct xs_avro_node *compile(struct xs_avro_prog *p, avro_schema_t s)
{
        s = resolve(s);
        if (!s)
                return NULL;
        struct xs_avro_node *known = memo_get(p, s);
        if (known)
                return known;
        if (p->n >= XS_AVRO_MAX_NODES)
                return NULL;
        if (p->n == p->cap) {
                size_t ncap = p->cap ? p->cap * 2 : 16;
                struct xs_avro_node **nn = realloc(p->nodes, ncap * sizeof(*nn));
                if (!nn)
                        return NULL;
                p->nodes = nn;
                avro_schema_t *nf = realloc(p->from, ncap * sizeof(*nf));
                if (!nf)
                        return NULL;
                p->from = nf;
                p->cap = ncap;
        }
        struct xs_avro_node *node = calloc(1, sizeof(*node));
        if (!node)
                return NULL;
        p->nodes[p->n] = node;
        p->from[p->n++] = s; /* before the children: a cycle comes back to this node */
        if (memo_put(p, p->n - 1) != 0)
                return NULL;
        node->type = avro_typeof(s);
        switch (node->type) {
        case AVRO_FIXED:
                node->n = (size_t)avro_schema_fixed_size(s);
                return node;
        case AVRO_ENUM:
                node->n = (size_t)avro_schema_enum_number_of_symbols(s);
                return node;
        case AVRO_RECORD:
        case AVRO_UNION: {
                int rec = node->type == AVRO_RECORD;
                size_t n = rec ? avro_schema_record_size(s) : avro_schema_union_size(s);
                node->kid = calloc(n ? n : 1, sizeof(*node->kid));
                if (!node->kid)
                        return NULL;
                node->n = n;
                for (size_t i = 0; i < n; i++) {
                        avro_schema_t k = rec ? avro_schema_record_field_get_by_index(s, (int)i)
                                              : avro_schema_union_branch(s, (int)i);
                        if (!(node->kid[i] = compile(p, k)))
                                return NULL;
                }
                return node;
        }
        case AVRO_ARRAY:
        case AVRO_MAP:
                node->kid = calloc(1, sizeof(*node->kid));
                if (!node->kid)
                        return NULL;
                node->n = 1;
                node->kid[0] = compile(p, node->type == AVRO_ARRAY ? avro_schema_array_items(s)
                                                                   : avro_schema_map_values(s));
                return node->kid[0] ? node : NULL;
        default:
                return node;
        }
}

/* Works out node->zero_width (a value of node is always encoded in zero bytes) and, for such a
 * node, node->zw_height (the nesting below it), once per node: a schema of shared zero-width
 * records would otherwise be walked once per path, 2^depth times. A node met again while it
 * is being worked out is part of a cycle (an infinitely nested value): not zero-width, so the
 * walk meets the depth limit on it as before. */
static void zero_width(struct xs_avro_node *node)
{
        if (node->zw_state)
                return;
        node->zw_state = 1; /* in progress */
        int zw = 0, height = 0;
        switch (node->type) {
        case AVRO_NULL:
                zw = 1;
                break;
        case AVRO_FIXED:
                zw = node->n == 0;
                break;
        case AVRO_RECORD:
                zw = 1;
                for (size_t i = 0; i < node->n && zw; i++) {
                        struct xs_avro_node *k = node->kid[i];
                        zero_width(k);
                        zw = k->zw_state == 2 && k->zero_width;
                        if (zw && k->zw_height + 1 > height)
                                height = k->zw_height + 1;
                }
                break;
        default:
                break;
        }
        node->zero_width = zw;
        node->zw_height = zw ? height : 0;
        node->zw_state = 2;
}

void xs_avro_prog_free(struct xs_avro_prog *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++) {
                free(p->nodes[i]->kid);
                free(p->nodes[i]);
        }
        free(p->nodes);
        free(p->from);
        free(p->memo);
        free(p);
}

struct xs_avro_prog *xs_avro_compile(avro_schema_t schema)
{
        struct xs_avro_prog *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        if (!schema || !(p->root = compile(p, schema))) {
                xs_avro_prog_free(p);
                return NULL;
        }
        for (size_t i = 0; i < p->n; i++)
                zero_width(p->nodes[i]);
        for (size_t i = 0; i < p->n; i++) {
                struct xs_avro_node *node = p->nodes[i];
                if (node->type == AVRO_ARRAY)
                        node->items_zero_width = node->kid[0]->zero_width;
        }
        free(p->memo); /* only needed while compiling */
        p->memo = NULL;
        p->memo_mask = 0;
        return p;
}

const struct xs_avro_node *xs_avro_prog_root(const struct xs_avro_prog *p)
{
        return p->root;
}

static int walk_value(struct walk *w, const struct xs_avro_node *s, int depth);

/* Arrays and maps: blocks of (count, [byte size if count < 0], items), ended by count 0. */
static int walk_blocks(struct walk *w, const struct xs_avro_node *s, int depth)
{
        int is_map = s->type == AVRO_MAP;
        const char *what = is_map ? "map" : "array";
        int zw = !is_map && s->items_zero_width;
        for (;;) {
                int64_t count;
                if (walk_long(w, &count, what) != 0)
                        return -1;
                if (count == 0)
                        return 0;
                int64_t block_size = -1;
                if (count < 0) {
                        if (count == INT64_MIN)
                                return walk_fail(w, "%s block count out of range", what);
                        count = -count;
                        if (walk_long(w, &block_size, what) != 0)
                                return -1;
                        if (block_size < 0 || (uint64_t)block_size > w->len - w->pos)
                                return walk_fail(w, "%s block size %" PRId64 " out of range", what,
                                                 block_size);
                }
                if (zw) {
                        if (count > w->zero_budget)
                                return walk_fail(
                                    w, "%s of %" PRId64 " zero-width items exceeds the cap", what,
                                    count);
                        w->zero_budget -= (long)count;
                } else if ((uint64_t)count > w->len - w->pos) {
                        /* every item (a map entry has a key) takes at least one byte */
                        return walk_fail(w, "%s block count %" PRId64 " exceeds the %zu bytes left",
                                         what, count, w->len - w->pos);
                }
                size_t start = w->pos;
                for (int64_t i = 0; i < count; i++) {
                        if (is_map) {
                                int64_t klen;
                                if (walk_long(w, &klen, "map key") != 0 ||
                                    walk_skip(w, klen, "map key") != 0)
                                        return -1;
                        }
                        if (walk_value(w, s->kid[0], depth + 1) != 0)
                                return -1;
                }
                if (block_size >= 0 && (int64_t)(w->pos - start) != block_size)
                        return walk_fail(w, "%s block size %" PRId64 " does not match its items",
                                         what, block_size);
        }
}

static int walk_value(struct walk *w, const struct xs_avro_node *s, int depth)
{
        int64_t v;
        if (depth > XS_AVRO_MAX_DEPTH)
                return walk_fail(w, "nesting deeper than %d", XS_AVRO_MAX_DEPTH);
        if (s->zero_width) {
                /* nothing to read or check, only the depth its walk would reach */
                if (depth + s->zw_height > XS_AVRO_MAX_DEPTH)
                        return walk_fail(w, "nesting deeper than %d", XS_AVRO_MAX_DEPTH);
                return 0;
        }
        switch (s->type) {
        case AVRO_NULL:
                return 0;
        case AVRO_BOOLEAN:
                if (w->pos >= w->len)
                        return walk_fail(w, "truncated boolean");
                if (w->buf[w->pos] > 1)
                        return walk_fail(w, "boolean byte %u is not 0 or 1", w->buf[w->pos]);
                w->pos++;
                return 0;
        case AVRO_INT32:
                return walk_varint(w, 5, &v, "int");
        case AVRO_INT64:
                return walk_long(w, &v, "long");
        case AVRO_FLOAT:
                return walk_skip(w, 4, "float");
        case AVRO_DOUBLE:
                return walk_skip(w, 8, "double");
        case AVRO_STRING:
        case AVRO_BYTES: {
                const char *what = s->type == AVRO_STRING ? "string" : "bytes";
                if (walk_long(w, &v, what) != 0)
                        return -1;
                return walk_skip(w, v, what);
        }
        case AVRO_FIXED:
                return walk_skip(w, (int64_t)s->n, "fixed");
        case AVRO_ENUM: {
                if (walk_long(w, &v, "enum") != 0)
                        return -1;
                if (v < 0 || (uint64_t)v >= s->n)
                        return walk_fail(w, "enum index %" PRId64 " out of range (%zu symbols)", v,
                                         s->n);
                return 0;
        }
        case AVRO_UNION: {
                if (walk_long(w, &v, "union") != 0)
                        return -1;
                if (v < 0 || (uint64_t)v >= s->n)
                        return walk_fail(w, "union branch %" PRId64 " out of range (%zu branches)",
                                         v, s->n);
                return walk_value(w, s->kid[v], depth + 1);
        }
        case AVRO_RECORD:
                for (size_t i = 0; i < s->n; i++)
                        if (walk_value(w, s->kid[i], depth + 1) != 0)
                                return -1;
                return 0;
        case AVRO_ARRAY:
        case AVRO_MAP:
                return walk_blocks(w, s, depth);
        default:
                return walk_fail(w, "unsupported schema type %d", (int)s->type);
        }
}

int xs_avro_validate_prog(const struct xs_avro_prog *prog, const void *buf, size_t len,
                          size_t *consumed, char *errstr, size_t errstr_size)
{
        struct walk w = {
            .buf = buf,
            .len = buf ? len : 0,
            .zero_budget = XS_AVRO_ZERO_WIDTH_BUDGET,
            .errstr = errstr,
            .errstr_size = errstr_size,
        };
        if (!prog)
                return walk_fail(&w, "no schema");
        if (walk_value(&w, prog->root, 0) != 0)
                return -1;
        if (consumed)
                *consumed = w.pos;
        return 0;
}

int xs_avro_skip(const struct xs_avro_node *node, const void *buf, size_t len, size_t *pos,
                 char *errstr, size_t errstr_size)
{
        struct walk w = {
            .buf = buf,
            .len = buf ? len : 0,
            .pos = *pos,
            .zero_budget = XS_AVRO_ZERO_WIDTH_BUDGET,
            .errstr = errstr,
            .errstr_size = errstr_size,
        };
        if (!node || w.pos > w.len)
                return walk_fail(&w, "no schema");
        if (walk_value(&w, node, 1) != 0)
                return -1;
        *pos = w.pos;
        return 0;
}

int xs_avro_validate(avro_schema_t schema, const void *buf, size_t len, size_t *consumed,
                     char *errstr, size_t errstr_size)
{
        struct xs_avro_prog *prog = schema ? xs_avro_compile(schema) : NULL;
        if (schema && !prog) {
                if (errstr && errstr_size)
                        snprintf(errstr, errstr_size, "cannot compile the schema");
                return -1;
        }
        int rc = xs_avro_validate_prog(prog, buf, len, consumed, errstr, errstr_size);
        xs_avro_prog_free(prog);
        return rc;
}
