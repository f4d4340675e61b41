/*
 * Readers and writers of record files (include/xsell/io.h), on top of the format modules:
 * opening a file, stdin or a caller's stream (its gzip magic starts the inflater), format
 * detection, handing each reader call to the format's module, and the writers (JSON lines or
 * Avro container files).
 *
 * Format detection (XS_FMT_AUTO): the file name first (.avro; .jsonl/.ndjson/.json;
 * .basket/.baskets for Groceries, which has no header to recognise), then the first bytes:
 * "Obj\x01" is Avro, a gzip magic is inflated and looked into, a line starting with '{' is
 * JSON lines, the REES46 header or a header starting "InvoiceNo," is that CSV. Anything else
 * needs an explicit format.
 *
 * Records handed out point into reader memory (the line, the arena, the items array, the
 * decoded JSON document) that is reused by the next call, so readers never hold more than one
 * record, and a record is never larger than the bounds of reader.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/avro_file.h"
#include "io/csv.h"
#include "io/json_write.h"
#include "io/jsonl.h"

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
                if (xs_reader_fill(r, errstr, errstr_size) != 0)
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
                size_t got = xs_reader_raw_read(r, magic, sizeof(magic), &err);
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
        switch (fmt) {
        case XS_FMT_AVRO:
                r->ops = &xs_avro_format;
                break;
        case XS_FMT_JSONL:
                r->ops = &xs_jsonl_format;
                break;
        default:
                r->ops = &xs_csv_format;
                break;
        }
        if (r->ops->open(r, errstr, errstr_size) != 0)
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
        xs_err_t err = r->ops->next(r, rec, eof, errstr, errstr_size);
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
        if (r->ops)
                r->ops->close(r);
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
