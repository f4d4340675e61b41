/*
 * What every format reader stands on (reader.h): the byte source (a file, stdin or a caller's
 * stream, inflated when the opener found the gzip magic), its split into bounded lines, the
 * memory of the record being built (an arena for its strings, an array of line items with an
 * index on product_id), and the names of the formats.
 *
 * Bounds: a line is at most XS_IO_MAX_LINE bytes (a longer one is read to its newline and
 * dropped, never buffered whole); the read buffer is XS_IO_BUF bytes; a record's strings and
 * items stay within XS_IO_MAX_RECORD bytes and XS_IO_MAX_ITEMS items.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader.h"

static const char *const format_names[XS_FMT_COUNT] = {"auto",   "avro",   "jsonl",
                                                       "rees46", "retail", "groceries"};

const char *xs_format_name(enum xs_format fmt)
{
        return (unsigned)fmt < XS_FMT_COUNT ? format_names[fmt] : "?";
}

int xs_format_parse(const char *name)
{
        if (!name)
                return -1;
        for (int i = 0; i < XS_FMT_COUNT; i++)
                if (strcmp(format_names[i], name) == 0)
                        return i;
        if (strcmp(name, "json") == 0 || strcmp(name, "ndjson") == 0)
                return XS_FMT_JSONL;
        return -1;
}

/* ---- record memory ---- */

struct xs_arena_chunk {
        struct xs_arena_chunk *next;
        size_t cap, used;
        char data[];
};

void *xs_arena_alloc(struct xs_arena *a, size_t n)
{
        n = (n + 7) & ~(size_t)7;
        if (n > XS_IO_MAX_RECORD || a->used_total + n > XS_IO_MAX_RECORD)
                return NULL;
        while (a->cur && a->cur->cap - a->cur->used < n) {
                if (!a->cur->next)
                        break;
                a->cur = a->cur->next;
        }
        if (!a->cur || a->cur->cap - a->cur->used < n) {
                size_t cap = n > (64u << 10) ? n : (64u << 10);
                struct xs_arena_chunk *c = malloc(sizeof(*c) + cap);
                if (!c)
                        return NULL;
                c->next = NULL;
                c->cap = cap;
                c->used = 0;
                if (a->cur) {
                        /* a->cur is the last chunk here (the loop stopped at the end) */
                        a->cur->next = c;
                } else {
                        a->head = c;
                }
                a->cur = c;
        }
        void *p = a->cur->data + a->cur->used;
        a->cur->used += n;
        a->used_total += n;
        return p;
}

char *xs_arena_strndup(struct xs_arena *a, const char *s, size_t n)
{
        char *p = xs_arena_alloc(a, n + 1);
        if (!p)
                return NULL;
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

void xs_arena_reset(struct xs_arena *a)
{
        for (struct xs_arena_chunk *c = a->head; c; c = c->next)
                c->used = 0;
        a->cur = a->head;
        a->used_total = 0;
}

void xs_arena_free(struct xs_arena *a)
{
        struct xs_arena_chunk *c = a->head;
        while (c) {
                struct xs_arena_chunk *next = c->next;
                free(c);
                c = next;
        }
        memset(a, 0, sizeof(*a));
}

/* ---- line items with a product_id index ---- */

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ull;
        }
        return h;
}

void xs_items_clear(struct xs_items *it)
{
        it->n = 0;
        if (it->slots)
                memset(it->slots, 0, it->n_slots * sizeof(*it->slots));
}

void xs_items_free(struct xs_items *it)
{
        free(it->v);
        free(it->slots);
        memset(it, 0, sizeof(*it));
}

static void slot_put(struct xs_items *it, size_t idx)
{
        size_t mask = it->n_slots - 1;
        size_t s = (size_t)hash_str(it->v[idx].product_id) & mask;
        while (it->slots[s])
                s = (s + 1) & mask;
        it->slots[s] = (uint32_t)idx + 1;
}

/* Keeps the index at load <= 1/2 so probes stay short. */
static int slots_fit(struct xs_items *it, size_t n)
{
        if (it->n_slots >= 2 * n && it->n_slots)
                return 0;
        size_t ns = it->n_slots ? it->n_slots : 64;
        while (ns < 2 * n)
                ns *= 2;
        uint32_t *slots = calloc(ns, sizeof(*slots));
        if (!slots)
                return -1;
        free(it->slots);
        it->slots = slots;
        it->n_slots = ns;
        for (size_t i = 0; i < it->n; i++)
                slot_put(it, i);
        return 0;
}

long xs_items_add(struct xs_items *it, const struct xs_line_item *li)
{
        if (it->n >= XS_IO_MAX_ITEMS)
                return -1;
        if (it->n == it->cap) {
                size_t cap = it->cap ? it->cap * 2 : 16;
                struct xs_line_item *v = realloc(it->v, cap * sizeof(*v));
                if (!v)
                        return -1;
                it->v = v;
                it->cap = cap;
        }
        it->v[it->n] = *li;
        it->n++;
        if (it->n_slots) {
                if (it->n_slots < 2 * it->n) {
                        if (slots_fit(it, it->n) != 0) { /* rebuilds, the new item too */
                                it->n--;
                                return -1;
                        }
                } else {
                        slot_put(it, it->n - 1);
                }
        }
        return (long)(it->n - 1);
}

long xs_items_find(struct xs_items *it, const char *product_id)
{
        if (it->n == 0)
                return -1;
        if (slots_fit(it, it->n) != 0) {
                for (size_t i = 0; i < it->n; i++) /* no memory for an index: scan */
                        if (strcmp(it->v[i].product_id, product_id) == 0)
                                return (long)i;
                return -1;
        }
        size_t mask = it->n_slots - 1;
        for (size_t s = (size_t)hash_str(product_id) & mask; it->slots[s]; s = (s + 1) & mask) {
                size_t i = it->slots[s] - 1;
                if (strcmp(it->v[i].product_id, product_id) == 0)
                        return (long)i;
        }
        return -1;
}

/* ---- byte source ---- */

size_t xs_reader_raw_read(struct xs_reader *r, unsigned char *dst, size_t n, int *err)
{
        size_t got = fread(dst, 1, n, r->f);
        if (got < n && ferror(r->f))
                *err = 1;
        r->bytes_in += got;
        return got;
}

/* Moves the unread bytes of r->buf to its front and appends decoded bytes after them, up to
 * the buffer size. Returns 0 (r->src_eof at the end of the file) or -1. */
int xs_reader_fill(struct xs_reader *r, char *errstr, size_t errstr_size)
{
        int err = 0;
        size_t keep = r->buf_len - r->buf_pos;
        memmove(r->buf, r->buf + r->buf_pos, keep);
        r->buf_pos = 0;
        r->buf_len = keep;
        if (r->src_eof || keep == XS_IO_BUF)
                return 0;
        if (!r->gz) {
                size_t got = xs_reader_raw_read(r, r->buf + keep, XS_IO_BUF - keep, &err);
                if (err) {
                        snprintf(errstr, errstr_size, "%s: read: %s", r->name, strerror(errno));
                        return -1;
                }
                if (got == 0)
                        r->src_eof = 1;
                r->buf_len += got;
                return 0;
        }
        r->zs.next_out = r->buf + keep;
        r->zs.avail_out = (uInt)(XS_IO_BUF - keep);
        while (r->zs.avail_out == XS_IO_BUF - keep) {
                if (r->zs.avail_in == 0) {
                        size_t got = xs_reader_raw_read(r, r->zin, XS_IO_BUF, &err);
                        if (err) {
                                snprintf(errstr, errstr_size, "%s: read: %s", r->name,
                                         strerror(errno));
                                return -1;
                        }
                        if (got == 0) {
                                r->src_eof = 1;
                                break;
                        }
                        r->zs.next_in = r->zin;
                        r->zs.avail_in = (uInt)got;
                }
                int rc = inflate(&r->zs, Z_NO_FLUSH);
                if (rc == Z_STREAM_END) {
                        /* gzip files may hold several members: go on with the next */
                        if (inflateReset(&r->zs) != Z_OK)
                                goto corrupt;
                        continue;
                }
                if (rc != Z_OK && rc != Z_BUF_ERROR)
                        goto corrupt;
        }
        r->buf_len = XS_IO_BUF - r->zs.avail_out;
        return 0;
corrupt:
        snprintf(errstr, errstr_size, "%s: corrupt gzip data at byte %llu", r->name,
                 (unsigned long long)r->bytes_in);
        return -1;
}

int xs_reader_line(struct xs_reader *r, int *too_long, char *errstr, size_t errstr_size)
{
        *too_long = 0;
        r->line_len = 0;
        int any = 0;
        for (;;) {
                if (r->buf_pos == r->buf_len) {
                        if (xs_reader_fill(r, errstr, errstr_size) != 0)
                                return -1;
                        if (r->buf_len == 0)
                                break;
                }
                unsigned char *start = r->buf + r->buf_pos;
                size_t avail = r->buf_len - r->buf_pos;
                unsigned char *nl = memchr(start, '\n', avail);
                size_t take = nl ? (size_t)(nl - start) : avail;
                any = 1;
                if (!*too_long) {
                        if (r->line_len + take > XS_IO_MAX_LINE) {
                                *too_long = 1; /* drop it, keep reading to the newline */
                                r->line_len = 0;
                        } else {
                                if (r->line_len + take + 1 > r->line_cap) {
                                        size_t cap = r->line_cap ? r->line_cap : 4096;
                                        while (cap < r->line_len + take + 1)
                                                cap *= 2;
                                        char *line = realloc(r->line, cap);
                                        if (!line) {
                                                snprintf(errstr, errstr_size, "%s: out of memory",
                                                         r->name);
                                                return -1;
                                        }
                                        r->line = line;
                                        r->line_cap = cap;
                                }
                                memcpy(r->line + r->line_len, start, take);
                                r->line_len += take;
                        }
                }
                r->buf_pos += take + (nl ? 1 : 0);
                if (nl)
                        break;
        }
        if (!any)
                return 0;
        r->line_no++;
        if (r->line_len && r->line[r->line_len - 1] == '\r')
                r->line_len--;
        if (r->line)
                r->line[r->line_len] = '\0';
        return 1;
}
