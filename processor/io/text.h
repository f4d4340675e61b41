/*
 * Exact text of times and money (text.c), shared by the CSV readers, the generator and the
 * commands: UTC timestamps without timegm() or the locale, decimal money to minor units without
 * floating point. Pure functions on the caller's buffers; no state, no allocation.
 */
#ifndef XS_IO_TEXT_H
#define XS_IO_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DD HH:MM:SS" optionally followed by " UTC", as UTC, to ms since the epoch.
 * Years 1900..9999; every field range-checked. Returns 0 or -1. */
int xs_io_parse_utc(const char *s, size_t n, int64_t *ms);
/* The original UCI Online Retail spelling "12/1/2010 8:26" (month/day/year, minutes, optional
 * ":SS"), as UTC, to ms since the epoch. Same ranges as xs_io_parse_utc. Returns 0 or -1. */
int xs_io_parse_us_time(const char *s, size_t n, int64_t *ms);
/* Formats ms as "YYYY-MM-DD HH:MM:SS" (UTC, seconds truncated toward -inf); buf >= 20. */
void xs_io_format_utc(int64_t ms, char *buf, size_t size);
/* Decimal text ("2574.07", "-0.5", "3", ".5") to minor units with 2 decimals, exactly: digits
 * past the second decimal must be zeros. Returns 0 or -1 (also on overflow). */
int xs_io_parse_money(const char *s, size_t n, int64_t *minor);
/* Days since 1970-01-01 of a proleptic Gregorian civil date. */
int64_t xs_io_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
