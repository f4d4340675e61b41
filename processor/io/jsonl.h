/*
 * JSON lines reader of events and catalog products (jsonl.c): the format module io.c calls for
 * XS_FMT_JSONL (the contract is reader.h's; JSON lines have no header).
 */
#ifndef XS_IO_JSONL_H
#define XS_IO_JSONL_H

#include "io/reader.h"

int xs_jsonl_open(struct xs_reader *r, char *errstr, size_t errstr_size);
xs_err_t xs_jsonl_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                       size_t errstr_size);
void xs_jsonl_close(struct xs_reader *r);

#endif
