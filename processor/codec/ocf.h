/*
 * Avro object container files, read and written by us (not avro-c's file reader, which trusts
 * block lengths and record contents). Only the "null" and "deflate" codecs are supported.
 *
 * Reading splits blocks into records by walking each record against the writer schema of the
 * header with the guarded validator, so a corrupt block is reported, never trusted.
 * Writing uses a sync marker derived from the schema text, so the same records give a
 * byte-identical file (replays are compared byte for byte).
 */
#ifndef XS_OCF_H
#define XS_OCF_H

#include <stdio.h>

#include "xsell/common.h"

struct xs_ocf_reader;
/* Reads the header from f (the caller keeps f and closes it after xs_ocf_reader_close).
 * Returns NULL with errstr on a file that is not an Avro container, or an unsupported codec. */
struct xs_ocf_reader *xs_ocf_reader_open(FILE *f, char *errstr, size_t errstr_size);
/* The writer schema JSON text from the header (owned by the reader). */
const char *xs_ocf_reader_schema(const struct xs_ocf_reader *r);
/* Next record's bytes (valid until the next call): XS_OK with *eof=1 at the end; XS_ERR_DECODE
 * when a block is corrupt (the rest of that block is skipped, reading resumes at the next
 * block, errstr says which block); XS_ERR_IO when the file cannot be read further. */
xs_err_t xs_ocf_reader_next(struct xs_ocf_reader *r, const void **buf, size_t *len, int *eof,
                            char *errstr, size_t errstr_size);
/* 1-based index of the record last returned, and bytes of the file consumed so far. */
uint64_t xs_ocf_reader_record_no(const struct xs_ocf_reader *r);
uint64_t xs_ocf_reader_bytes(const struct xs_ocf_reader *r);
void xs_ocf_reader_close(struct xs_ocf_reader *r);

struct xs_ocf_writer;
/* Writes the header (schema_json verbatim, codec null) to f. The caller keeps f. */
struct xs_ocf_writer *xs_ocf_writer_open(FILE *f, const char *schema_json, char *errstr,
                                         size_t errstr_size);
/* Appends one encoded record; blocks are flushed at 64 KiB or 4096 records. */
xs_err_t xs_ocf_writer_append(struct xs_ocf_writer *w, const void *rec, size_t len);
/* Flushes the last block and frees w (not f). */
xs_err_t xs_ocf_writer_close(struct xs_ocf_writer *w);

#endif
