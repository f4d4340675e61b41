/*
 * The reader every format module reads through (reader.c): struct xs_reader with its byte
 * source (plain or gzip) and current line, the memory of the record being built, and the
 * per-format state each format module hangs on it. io.c opens a reader, picks the format and
 * hands each call to that format's module (csv.h, jsonl.h, avro_file.h).
 *
 * Every format module exports one struct xs_format_ops (below) and nothing else to io.c.
 *
 * Records handed out point into this memory (the line, the arena, the items array), reused by
 * the next call, so a reader never holds more than one record.
 *
 * Bounds: a line is at most XS_IO_MAX_LINE bytes (a longer one is skipped with an error, never
 * buffered whole); a record has at most XS_IO_MAX_ITEMS line items; the memory of one record
 * is at most XS_IO_MAX_RECORD bytes.
 */
#ifndef XS_IO_READER_H
#define XS_IO_READER_H

#include <stdio.h>
#include <zlib.h>

#include "xsell/io.h"

#define XS_IO_MAX_LINE   (1u << 20)  /* bytes per line, without the newline */
#define XS_IO_MAX_ITEMS  100000u     /* line items per record */
#define XS_IO_MAX_RECORD (64u << 20) /* bytes of strings and items per record */
#define XS_IO_BUF        (64u << 10) /* read buffer */

/* Memory for the strings of the record being built; reset when the next record starts. */
struct xs_arena_chunk;
struct xs_arena {
        struct xs_arena_chunk *head, *cur;
        size_t used_total; /* bytes handed out since the last reset, bounded by XS_IO_MAX_RECORD */
};
void *xs_arena_alloc(struct xs_arena *a, size_t n);
/* Copies n bytes of s and a NUL; NULL when out of memory or over the record bound. */
char *xs_arena_strndup(struct xs_arena *a, const char *s, size_t n);
void xs_arena_reset(struct xs_arena *a);
void xs_arena_free(struct xs_arena *a);

/* The line items of the record being built, with a hash index on product_id for merging
 * duplicates (retail) and de-duplicating (groceries). At most XS_IO_MAX_ITEMS. */
struct xs_items {
        struct xs_line_item *v;
        size_t n, cap;
        uint32_t *slots; /* open addressing, item index + 1, 0 empty */
        size_t n_slots;  /* power of two >= 2 * n, or 0 while no lookup was made */
};
void xs_items_clear(struct xs_items *it);
void xs_items_free(struct xs_items *it);
/* Appends a copy of *li (strings not copied); returns its index or -1 (no memory / over cap). */
long xs_items_add(struct xs_items *it, const struct xs_line_item *li);
/* Index of the item with product_id, or -1. */
long xs_items_find(struct xs_items *it, const char *product_id);

struct xs_jsonl_state;
struct xs_csv_state;
struct xs_avro_state;
struct xs_reader;

/* What a format module does for a reader: open parses the header if the format has one (0, or
 * -1 with errstr); next is xs_reader_next (include/xsell/io.h) for that format; close frees the
 * module's state (safe when open failed or never ran). */
struct xs_format_ops {
        int (*open)(struct xs_reader *r, char *errstr, size_t errstr_size);
        xs_err_t (*next)(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                         size_t errstr_size);
        void (*close)(struct xs_reader *r);
};

struct xs_reader {
        enum xs_format fmt;
        const struct xs_format_ops *ops; /* of fmt; NULL until the format is known */
        enum xs_record_kind kind;
        char *name; /* for messages; owned */
        FILE *f;
        int own_f;
        /* gzip: inflate over f (multi-member), detected by magic bytes */
        int gz;
        z_stream zs;
        unsigned char *zin;
        /* decoded bytes not yet split into lines */
        unsigned char *buf;
        size_t buf_pos, buf_len;
        int src_eof;
        uint64_t bytes_in;    /* bytes consumed from the file (compressed for gzip) */
        uint64_t bytes_total; /* file size, 0 if unknown */
        /* the current line (NUL terminated, no newline, no CR), at most XS_IO_MAX_LINE */
        char *line;
        size_t line_len, line_cap;
        uint64_t line_no;
        int line_pending; /* 1: the current line was peeked, process it again */
        struct xs_arena arena;
        struct xs_items items;
        int record_out; /* 1: the last call handed out a record (its memory may be reset) */
        struct xs_jsonl_state *jsonl;
        struct xs_csv_state *csv;
        struct xs_avro_state *avro;
};

/* Reads the next line into r->line. Returns 1 for a line, 0 at the end, -1 on an I/O error
 * (errstr filled). *too_long is set when the line was longer than XS_IO_MAX_LINE: it was
 * consumed and dropped, r->line is empty. */
int xs_reader_line(struct xs_reader *r, int *too_long, char *errstr, size_t errstr_size);

/* Reads up to n raw bytes of the file (compressed ones for gzip) into dst, counting them in
 * r->bytes_in. Returns the count; sets *err on a read error. */
size_t xs_reader_raw_read(struct xs_reader *r, unsigned char *dst, size_t n, int *err);
/* Moves the unread bytes of r->buf to its front and appends decoded bytes after them, up to
 * XS_IO_BUF. Returns 0 (r->src_eof set at the end of the file) or -1 with errstr filled. */
int xs_reader_fill(struct xs_reader *r, char *errstr, size_t errstr_size);

#endif
