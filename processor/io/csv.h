/*
 * Readers of the CSV layouts of the public data sets (csv.c): REES46 events, UCI Online Retail
 * invoices (plain or gzip), Groceries baskets. Events only; a record is one line (one basket,
 * one event) or, for retail, the consecutive lines of one invoice.
 *
 * Called by io.c for r->fmt XS_FMT_REES46, XS_FMT_RETAIL or XS_FMT_GROCERIES, with the
 * contract of every format module: open parses the header if the format has one (0, or -1 with
 * errstr); next is xs_reader_next (include/xsell/io.h) for this format; close frees the state
 * (safe when open failed or never ran).
 */
#ifndef XS_IO_CSV_H
#define XS_IO_CSV_H

#include "io/reader.h"

int xs_csv_open(struct xs_reader *r, char *errstr, size_t errstr_size);
xs_err_t xs_csv_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                     size_t errstr_size);
void xs_csv_close(struct xs_reader *r);

#endif
