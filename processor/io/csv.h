/*
 * Readers of the CSV layouts of the public data sets (csv.c): REES46 events, UCI Online Retail
 * invoices (plain or gzip), Groceries baskets. Events only; a record is one line (one basket,
 * one event) or, for retail, the consecutive lines of one invoice. The format module io.c
 * calls for XS_FMT_REES46, XS_FMT_RETAIL and XS_FMT_GROCERIES (the contract is reader.h's).
 */
#ifndef XS_IO_CSV_H
#define XS_IO_CSV_H

#include "io/reader.h"

extern const struct xs_format_ops xs_csv_format;

#endif
