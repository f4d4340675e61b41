/*
 * Files in and out: readers of recorded events and catalogs (Avro object container files, JSON
 * lines, the CSV layouts of the public data sets) and writers of offers, signals and outcomes
 * (JSON lines, Avro object container files).
 *
 * A bad record never stops a reader: it returns XS_ERR_DECODE or XS_ERR_INVALID with the
 * reason and the position in errstr, and the next call goes on with the following record.
 */
#ifndef XSELL_IO_H
#define XSELL_IO_H

#include <stdio.h>

#include "codec.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xs_format {
        XS_FMT_AUTO,      /* from the file name and first bytes */
        XS_FMT_AVRO,      /* Avro object container file, our schemas */
        XS_FMT_JSONL,     /* one JSON object per line, field names as in the .avsc */
        XS_FMT_REES46,    /* REES46 eCommerce behaviour CSV (events only) */
        XS_FMT_RETAIL,    /* UCI Online Retail invoice CSV, plain or .gz (events only) */
        XS_FMT_GROCERIES, /* one basket per line, items separated by commas (events only) */
        XS_FMT_COUNT
};
const char *xs_format_name(enum xs_format fmt);
int xs_format_parse(const char *name); /* -1 if unknown */

/* A record read from a file. Exactly one of ev / product is meaningful, per kind. */
struct xs_record {
        enum xs_record_kind kind; /* XS_KIND_EVENT or XS_KIND_PRODUCT */
        struct xs_event ev;
        struct xs_product product;
        int tombstone;     /* XS_KIND_PRODUCT: delete product.product_id */
        uint64_t position; /* 1-based line or record number, for messages */
};

struct xs_reader;
/* Opens path ("-" for stdin, not with AUTO) for records of kind. Returns NULL with errstr
 * filled when the file cannot be opened or its header is not of the format. */
struct xs_reader *xs_reader_open(const char *path, enum xs_format fmt, enum xs_record_kind kind,
                                 char *errstr, size_t errstr_size);
/* As xs_reader_open, on a stream the caller opened (a pipe, fmemopen, a socket); name is used
 * in messages. The caller keeps f and closes it after xs_reader_close(). With XS_FMT_AUTO an
 * Avro file is only recognised on a seekable stream. */
struct xs_reader *xs_reader_open_stream(FILE *f, const char *name, enum xs_format fmt,
                                        enum xs_record_kind kind, char *errstr, size_t errstr_size);
/* Reads the next record into *rec (valid until the next call). Returns XS_OK and sets *eof at
 * the end; XS_ERR_DECODE / XS_ERR_INVALID for a record that was skipped (errstr says why and
 * where); XS_ERR_IO when reading itself failed (stop). */
xs_err_t xs_reader_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                        size_t errstr_size);
/* Bytes consumed so far and the file size (0 when unknown, e.g. a pipe or gzip), for progress. */
uint64_t xs_reader_bytes_read(const struct xs_reader *r);
uint64_t xs_reader_bytes_total(const struct xs_reader *r);
enum xs_format xs_reader_format(const struct xs_reader *r);
void xs_reader_close(struct xs_reader *r);

struct xs_writer;
/* Opens path ("-": stdout) for records of kind in fmt (XS_FMT_JSONL or XS_FMT_AVRO). */
struct xs_writer *xs_writer_open(const char *path, enum xs_format fmt, enum xs_record_kind kind,
                                 char *errstr, size_t errstr_size);
xs_err_t xs_writer_event(struct xs_writer *w, const struct xs_event *ev);
xs_err_t xs_writer_product(struct xs_writer *w, const struct xs_product *p, int tombstone);
xs_err_t xs_writer_offer(struct xs_writer *w, const struct xs_offer *o);
xs_err_t xs_writer_signal(struct xs_writer *w, const struct xs_signal *s);
xs_err_t xs_writer_outcome(struct xs_writer *w, const struct xs_outcome *o);
/* Flushes and closes; returns XS_ERR_IO if anything could not be written. NULL is a no-op. */
xs_err_t xs_writer_close(struct xs_writer *w, char *errstr, size_t errstr_size);

#ifdef __cplusplus
}
#endif
#endif
