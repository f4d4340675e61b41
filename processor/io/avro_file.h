/*
 * Avro object container files for the readers and writers of io.h (avro_file.c): the format
 * module io.c dispatches to for r->fmt == XS_FMT_AVRO, and the writer glue that encodes records
 * of one kind into a container.
 */
#ifndef XS_IO_AVRO_FILE_H
#define XS_IO_AVRO_FILE_H

#include <stdio.h>

#include "io/reader.h"

/* Reading, with the contract of reader.h; open reads the container header and the file's
 * writer schema. */
extern const struct xs_format_ops xs_avro_format;

/* Writing: records of one kind appended to a container on f (the caller keeps f and closes it
 * after xs_avro_out_close). new: writes the header, NULL with errstr on failure. close: flushes
 * the last block and frees ao (not f); returns the container writer's result. */
struct xs_avro_out;
struct xs_avro_out *xs_avro_out_new(FILE *f, enum xs_record_kind kind, char *errstr,
                                    size_t errstr_size);
/* kind selects which of ev/p/o/s/oc is read; returns XS_OK, XS_ERR_NOMEM, XS_ERR_INVALID. */
xs_err_t xs_avro_out_write(struct xs_avro_out *ao, enum xs_record_kind kind, const void *rec,
                           int tombstone);
xs_err_t xs_avro_out_close(struct xs_avro_out *ao);

#endif
