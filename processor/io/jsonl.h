/*
 * JSON lines reader of events and catalog products (jsonl.c). Called by io.c for
 * r->fmt == XS_FMT_JSONL with the contract of every format module: open (0, or -1 with errstr;
 * JSON lines have no header), next as xs_reader_next (include/xsell/io.h) for this format,
 * close frees the state (safe when open failed or never ran).
 */
#ifndef XS_IO_JSONL_H
#define XS_IO_JSONL_H

#include "io/reader.h"

int xs_jsonl_open(struct xs_reader *r, char *errstr, size_t errstr_size);
xs_err_t xs_jsonl_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                       size_t errstr_size);
void xs_jsonl_close(struct xs_reader *r);

#endif
