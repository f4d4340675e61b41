/*
 * Private parts of the file readers and writers (include/xsell/io.h): the reader struct shared
 * by the format modules (io.c: byte source, bounded lines, record memory; io_json.c: JSON
 * lines; io_csv.c: REES46, UCI Online Retail, Groceries; io_avro.c: container files).
 *
 * Bounds: a line is at most XS_IO_MAX_LINE bytes (a longer one is skipped with an error, never
 * buffered whole); a record has at most XS_IO_MAX_ITEMS line items; the memory of one record
 * is at most XS_IO_MAX_RECORD bytes.
 */
#ifndef XS_IO_INT_H
#define XS_IO_INT_H

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

struct xs_reader {
        enum xs_format fmt;
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

/* Format modules. open: parse a header if the format has one (0 or -1 with errstr); next: as
 * xs_reader_next; close: free the state. */
int xs_jsonl_open(struct xs_reader *r, char *errstr, size_t errstr_size);
xs_err_t xs_jsonl_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                       size_t errstr_size);
void xs_jsonl_close(struct xs_reader *r);

int xs_csv_open(struct xs_reader *r, char *errstr, size_t errstr_size);
xs_err_t xs_csv_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                     size_t errstr_size);
void xs_csv_close(struct xs_reader *r);

int xs_avro_open(struct xs_reader *r, char *errstr, size_t errstr_size);
xs_err_t xs_avro_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                      size_t errstr_size);
void xs_avro_close(struct xs_reader *r);

/* Writers: JSON text of one record into a growing buffer (io_json.c). */
struct xs_strbuf {
        char *p;
        size_t len, cap;
        int oom;
};
void xs_strbuf_free(struct xs_strbuf *sb);
void xs_json_event(struct xs_strbuf *sb, const struct xs_event *ev);
void xs_json_product(struct xs_strbuf *sb, const struct xs_product *p, int tombstone);
void xs_json_offer(struct xs_strbuf *sb, const struct xs_offer *o);
void xs_json_signal(struct xs_strbuf *sb, const struct xs_signal *s);
void xs_json_outcome(struct xs_strbuf *sb, const struct xs_outcome *o);

/* Avro writer glue (io_avro.c). */
struct xs_avro_out;
struct xs_avro_out *xs_avro_out_new(FILE *f, enum xs_record_kind kind, char *errstr,
                                    size_t errstr_size);
/* kind selects which of ev/p/o/s/oc is read; returns XS_OK, XS_ERR_NOMEM, XS_ERR_INVALID. */
xs_err_t xs_avro_out_write(struct xs_avro_out *ao, enum xs_record_kind kind, const void *rec,
                           int tombstone);
xs_err_t xs_avro_out_close(struct xs_avro_out *ao);

#endif
