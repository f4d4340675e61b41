/*
 * Private parts of the file readers and writers (include/xsell/io.h) above the reader
 * (reader.h): the Avro container-file format module io.c dispatches to (io_avro.c) and its
 * writer glue.
 */
#ifndef XS_IO_INT_H
#define XS_IO_INT_H

#include <stdio.h>

#include "io/reader.h"

/* Format modules. open: parse a header if the format has one (0 or -1 with errstr); next: as
 * xs_reader_next; close: free the state. */
int xs_avro_open(struct xs_reader *r, char *errstr, size_t errstr_size);
xs_err_t xs_avro_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                      size_t errstr_size);
void xs_avro_close(struct xs_reader *r);

/* Avro writer glue (io_avro.c). */
struct xs_avro_out;
struct xs_avro_out *xs_avro_out_new(FILE *f, enum xs_record_kind kind, char *errstr,
                                    size_t errstr_size);
/* kind selects which of ev/p/o/s/oc is read; returns XS_OK, XS_ERR_NOMEM, XS_ERR_INVALID. */
xs_err_t xs_avro_out_write(struct xs_avro_out *ao, enum xs_record_kind kind, const void *rec,
                           int tombstone);
xs_err_t xs_avro_out_close(struct xs_avro_out *ao);

#endif
