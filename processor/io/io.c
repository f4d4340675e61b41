/*
 * Readers and writers of record files (include/xsell/io.h): the byte source (a file, stdin or a
 * caller's stream, inflated when it starts with the gzip magic), splitting into bounded lines,
 * the per-record memory, format detection, and the writers.
 *
 * Format detection (XS_FMT_AUTO): the file name first (.avro; .jsonl/.ndjson/.json;
 * .basket/.baskets for Groceries, which has no header to recognise), then the first bytes:
 * "Obj\x01" is Avro, a gzip magic is inflated and looked into, a line starting with '{' is
 * JSON lines, the REES46 header or a header starting "InvoiceNo," is that CSV. Anything else
 * needs an explicit format.
 *
 * Records handed out point into reader memory (the line, the arena, the items array, the
 * decoded JSON document) that is reused by the next call, so readers never hold more than one
 * record, and a record is never larger than the bounds of io_int.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/io_int.h"

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

static size_t raw_read(struct xs_reader *r, unsigned char *dst, size_t n, int *err)
{
        size_t got = fread(dst, 1, n, r->f);
        if (got < n && ferror(r->f))
                *err = 1;
        r->bytes_in += got;
        return got;
}

/* Moves the unread bytes of r->buf to its front and appends decoded bytes after them, up to
 * the buffer size. Returns 0 (r->src_eof at the end of the file) or -1. */
static int src_fill(struct xs_reader *r, char *errstr, size_t errstr_size)
{
        int err = 0;
        size_t keep = r->buf_len - r->buf_pos;
        memmove(r->buf, r->buf + r->buf_pos, keep);
        r->buf_pos = 0;
        r->buf_len = keep;
        if (r->src_eof || keep == XS_IO_BUF)
                return 0;
        if (!r->gz) {
                size_t got = raw_read(r, r->buf + keep, XS_IO_BUF - keep, &err);
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
                        size_t got = raw_read(r, r->zin, XS_IO_BUF, &err);
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
                        if (src_fill(r, errstr, errstr_size) != 0)
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

/* ---- opening and detection ---- */

static int ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum xs_format format_by_name(const char *path)
{
        if (ends_with(path, ".avro"))
                return XS_FMT_AVRO;
        if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json") ||
            ends_with(path, ".jsonl.gz"))
                return XS_FMT_JSONL;
        if (ends_with(path, ".basket") || ends_with(path, ".baskets"))
                return XS_FMT_GROCERIES;
        return XS_FMT_AUTO;
}

/* Looks at the first decoded line without consuming it. */
static enum xs_format format_by_content(struct xs_reader *r, char *errstr, size_t errstr_size)
{
        /* look at up to 4 KiB: enough for any header line we recognise */
        while (r->buf_len - r->buf_pos < 4096 && !r->src_eof) {
                size_t before = r->buf_len - r->buf_pos;
                if (src_fill(r, errstr, errstr_size) != 0)
                        return XS_FMT_COUNT;
                if (r->buf_len - r->buf_pos == before && !r->gz)
                        break;
        }
        const unsigned char *p = r->buf + r->buf_pos;
        size_t n = r->buf_len - r->buf_pos;
        size_t i = 0;
        if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
                i = 3;
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
                i++;
        if (i < n && p[i] == '{')
                return XS_FMT_JSONL;
        static const char rees[] = "event_time,event_type,";
        if (n - i >= sizeof(rees) - 1 && memcmp(p + i, rees, sizeof(rees) - 1) == 0)
                return XS_FMT_REES46;
        static const char retail[] = "InvoiceNo,";
        if (n - i >= sizeof(retail) - 1 && memcmp(p + i, retail, sizeof(retail) - 1) == 0)
                return XS_FMT_RETAIL;
        snprintf(errstr, errstr_size,
                 "%s: cannot tell the format from the name or the first line; give it "
                 "(avro, jsonl, rees46, retail, groceries)",
                 r->name);
        return XS_FMT_COUNT;
}

static int gz_start(struct xs_reader *r, char *errstr, size_t errstr_size)
{
        r->zin = malloc(XS_IO_BUF);
        if (!r->zin || inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK) {
                snprintf(errstr, errstr_size, "%s: cannot start gzip", r->name);
                return -1;
        }
        r->gz = 1;
        return 0;
}

static struct xs_reader *reader_new(FILE *f, int own_f, const char *name, enum xs_format fmt,
                                    enum xs_record_kind kind, char *errstr, size_t errstr_size)
{
        struct xs_reader *r = calloc(1, sizeof(*r));
        if (!r) {
                if (own_f)
                        fclose(f);
                snprintf(errstr, errstr_size, "%s: out of memory", name);
                return NULL;
        }
        r->f = f;
        r->own_f = own_f;
        r->kind = kind;
        r->name = strdup(name);
        r->buf = malloc(XS_IO_BUF);
        if (!r->name || !r->buf) {
                snprintf(errstr, errstr_size, "%s: out of memory", name);
                goto fail;
        }
        if (kind != XS_KIND_EVENT && kind != XS_KIND_PRODUCT) {
                snprintf(errstr, errstr_size, "%s: only events and products can be read", name);
                goto fail;
        }
        struct stat st;
        int fd = fileno(f);
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
                r->bytes_total = (uint64_t)st.st_size;

        /* a format from the name may be overruled by the magic bytes; a given one may not */
        int named = fmt == XS_FMT_AUTO;
        if (fmt == XS_FMT_AUTO)
                fmt = format_by_name(name);
        if (fmt != XS_FMT_AVRO) {
                /* Magic bytes: Avro container or gzip. Read raw, then hand them to the buffer. */
                unsigned char magic[4];
                int err = 0;
                size_t got = raw_read(r, magic, sizeof(magic), &err);
                if (err) {
                        snprintf(errstr, errstr_size, "%s: read: %s", name, strerror(errno));
                        goto fail;
                }
                if (got == 4 && memcmp(magic, "Obj\x01", 4) == 0 && named &&
                    (fmt == XS_FMT_AUTO || fmt == XS_FMT_JSONL)) {
                        if (fseek(f, 0, SEEK_SET) != 0) {
                                snprintf(errstr, errstr_size,
                                         "%s: an Avro file from a pipe needs --format avro", name);
                                goto fail;
                        }
                        r->bytes_in = 0;
                        fmt = XS_FMT_AVRO;
                } else if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
                        if (gz_start(r, errstr, errstr_size) != 0)
                                goto fail;
                        memcpy(r->zin, magic, got);
                        r->zs.next_in = r->zin;
                        r->zs.avail_in = (uInt)got;
                } else {
                        memcpy(r->buf, magic, got);
                        r->buf_len = got;
                        if (got < sizeof(magic))
                                r->src_eof = 1;
                }
        }
        if (fmt == XS_FMT_AUTO) {
                fmt = format_by_content(r, errstr, errstr_size);
                if (fmt == XS_FMT_COUNT)
                        goto fail;
        }
        r->fmt = fmt;
        if ((unsigned)fmt >= XS_FMT_COUNT) {
                snprintf(errstr, errstr_size, "%s: unknown format", name);
                goto fail;
        }
        if (kind == XS_KIND_PRODUCT && fmt != XS_FMT_JSONL && fmt != XS_FMT_AVRO) {
                snprintf(errstr, errstr_size, "%s: %s files hold events, not catalog products",
                         name, xs_format_name(fmt));
                goto fail;
        }
        int rc;
        switch (fmt) {
        case XS_FMT_AVRO:
                rc = xs_avro_open(r, errstr, errstr_size);
                break;
        case XS_FMT_JSONL:
                rc = xs_jsonl_open(r, errstr, errstr_size);
                break;
        default:
                rc = xs_csv_open(r, errstr, errstr_size);
                break;
        }
        if (rc != 0)
                goto fail;
        return r;
fail:
        xs_reader_close(r);
        return NULL;
}

struct xs_reader *xs_reader_open(const char *path, enum xs_format fmt, enum xs_record_kind kind,
                                 char *errstr, size_t errstr_size)
{
        if (strcmp(path, "-") == 0)
                return reader_new(stdin, 0, "<stdin>", fmt, kind, errstr, errstr_size);
        FILE *f = fopen(path, "rb");
        if (!f) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return NULL;
        }
        return reader_new(f, 1, path, fmt, kind, errstr, errstr_size);
}

struct xs_reader *xs_reader_open_stream(FILE *f, const char *name, enum xs_format fmt,
                                        enum xs_record_kind kind, char *errstr, size_t errstr_size)
{
        return reader_new(f, 0, name ? name : "<stream>", fmt, kind, errstr, errstr_size);
}

xs_err_t xs_reader_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                        size_t errstr_size)
{
        *eof = 0;
        if (errstr_size)
                errstr[0] = '\0';
        if (r->record_out || r->fmt != XS_FMT_RETAIL) {
                /* The record handed out last (or the half-built one of a skipped line) is
                 * released: its memory is reused. Only a retail invoice is built across calls
                 * (its skipped lines return in between). */
                xs_arena_reset(&r->arena);
                xs_items_clear(&r->items);
                r->record_out = 0;
        }
        memset(rec, 0, sizeof(*rec));
        rec->kind = r->kind;
        xs_err_t err;
        switch (r->fmt) {
        case XS_FMT_AVRO:
                err = xs_avro_next(r, rec, eof, errstr, errstr_size);
                break;
        case XS_FMT_JSONL:
                err = xs_jsonl_next(r, rec, eof, errstr, errstr_size);
                break;
        default:
                err = xs_csv_next(r, rec, eof, errstr, errstr_size);
                break;
        }
        if (err == XS_OK && !*eof)
                r->record_out = 1;
        return err;
}

uint64_t xs_reader_bytes_read(const struct xs_reader *r)
{
        return r->bytes_in;
}

uint64_t xs_reader_bytes_total(const struct xs_reader *r)
{
        return r->bytes_total;
}

enum xs_format xs_reader_format(const struct xs_reader *r)
{
        return r->fmt;
}

void xs_reader_close(struct xs_reader *r)
{
        if (!r)
                return;
        xs_jsonl_close(r);
        xs_csv_close(r);
        xs_avro_close(r);
        if (r->gz)
                inflateEnd(&r->zs);
        free(r->zin);
        free(r->buf);
        free(r->line);
        xs_arena_free(&r->arena);
        xs_items_free(&r->items);
        if (r->own_f && r->f)
                fclose(r->f);
        free(r->name);
        free(r);
}

/* ---- writers ---- */

struct xs_writer {
        enum xs_format fmt;
        enum xs_record_kind kind;
        FILE *f;
        int own_f;
        char *name;
        struct xs_strbuf sb;
        struct xs_avro_out *ao;
        int failed; /* sticky: a write failed */
};

struct xs_writer *xs_writer_open(const char *path, enum xs_format fmt, enum xs_record_kind kind,
                                 char *errstr, size_t errstr_size)
{
        if (fmt == XS_FMT_AUTO)
                fmt = format_by_name(path) == XS_FMT_AVRO ? XS_FMT_AVRO : XS_FMT_JSONL;
        if (fmt != XS_FMT_JSONL && fmt != XS_FMT_AVRO) {
                snprintf(errstr, errstr_size, "%s: can only write jsonl or avro, not %s", path,
                         xs_format_name(fmt));
                return NULL;
        }
        if ((unsigned)kind >= XS_KIND_COUNT) {
                snprintf(errstr, errstr_size, "%s: unknown record kind", path);
                return NULL;
        }
        struct xs_writer *w = calloc(1, sizeof(*w));
        if (!w) {
                snprintf(errstr, errstr_size, "%s: out of memory", path);
                return NULL;
        }
        w->fmt = fmt;
        w->kind = kind;
        int is_stdout = strcmp(path, "-") == 0;
        w->name = strdup(is_stdout ? "<stdout>" : path);
        if (!w->name) {
                snprintf(errstr, errstr_size, "%s: out of memory", path);
                goto fail;
        }
        if (is_stdout) {
                w->f = stdout;
        } else {
                w->f = fopen(path, "wb");
                if (!w->f) {
                        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                        goto fail;
                }
                w->own_f = 1;
        }
        if (fmt == XS_FMT_AVRO) {
                w->ao = xs_avro_out_new(w->f, kind, errstr, errstr_size);
                if (!w->ao)
                        goto fail;
        }
        return w;
fail:
        if (w->own_f)
                fclose(w->f);
        free(w->name);
        free(w);
        return NULL;
}

static xs_err_t write_rec(struct xs_writer *w, enum xs_record_kind kind, const void *rec,
                          int tombstone)
{
        if (kind != w->kind)
                return XS_ERR_INVALID;
        if (w->failed)
                return XS_ERR_IO;
        if (w->fmt == XS_FMT_AVRO) {
                xs_err_t err = xs_avro_out_write(w->ao, kind, rec, tombstone);
                if (err == XS_ERR_IO)
                        w->failed = 1;
                return err;
        }
        w->sb.len = 0;
        switch (kind) {
        case XS_KIND_EVENT:
                xs_json_event(&w->sb, rec);
                break;
        case XS_KIND_PRODUCT:
                xs_json_product(&w->sb, rec, tombstone);
                break;
        case XS_KIND_OFFER:
                xs_json_offer(&w->sb, rec);
                break;
        case XS_KIND_SIGNAL:
                xs_json_signal(&w->sb, rec);
                break;
        default:
                xs_json_outcome(&w->sb, rec);
                break;
        }
        if (w->sb.oom)
                return XS_ERR_NOMEM;
        if (fwrite(w->sb.p, 1, w->sb.len, w->f) != w->sb.len || putc('\n', w->f) == EOF) {
                w->failed = 1;
                return XS_ERR_IO;
        }
        return XS_OK;
}

xs_err_t xs_writer_event(struct xs_writer *w, const struct xs_event *ev)
{
        return write_rec(w, XS_KIND_EVENT, ev, 0);
}

xs_err_t xs_writer_product(struct xs_writer *w, const struct xs_product *p, int tombstone)
{
        return write_rec(w, XS_KIND_PRODUCT, p, tombstone);
}

xs_err_t xs_writer_offer(struct xs_writer *w, const struct xs_offer *o)
{
        return write_rec(w, XS_KIND_OFFER, o, 0);
}

xs_err_t xs_writer_signal(struct xs_writer *w, const struct xs_signal *s)
{
        return write_rec(w, XS_KIND_SIGNAL, s, 0);
}

xs_err_t xs_writer_outcome(struct xs_writer *w, const struct xs_outcome *o)
{
        return write_rec(w, XS_KIND_OUTCOME, o, 0);
}

xs_err_t xs_writer_close(struct xs_writer *w, char *errstr, size_t errstr_size)
{
        if (!w)
                return XS_OK;
        int failed = w->failed;
        if (w->ao && xs_avro_out_close(w->ao) != XS_OK)
                failed = 1;
        if (fflush(w->f) != 0 || ferror(w->f))
                failed = 1;
        if (w->own_f && fclose(w->f) != 0)
                failed = 1;
        if (failed)
                snprintf(errstr, errstr_size, "%s: write failed: %s", w->name, strerror(errno));
        xs_strbuf_free(&w->sb);
        free(w->name);
        free(w);
        return failed ? XS_ERR_IO : XS_OK;
}
