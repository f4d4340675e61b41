/*
 * Private view of the configuration: struct xs_params holds the typed value of every key of
 * the table, for the engine to read directly (no lookups on the hot path).
 */
#ifndef XS_CONF_INT_H
#define XS_CONF_INT_H

#include <stdint.h>

#include "util/conf_table.h"
#include "xsell/conf.h"

#define XS_CTYPE_INT   int64_t
#define XS_CTYPE_DUR   int64_t
#define XS_CTYPE_MONEY int64_t
#define XS_CTYPE_DBL   double
#define XS_CTYPE_BOOL  int
#define XS_CTYPE_STR   char *
#define XS_CTYPE_BYTES int64_t

struct xs_params {
#define XS_PARAM_FIELD(key, field, type, def, min, max, desc) XS_CTYPE_##type field;
        XS_CONF_TABLE(XS_PARAM_FIELD)
#undef XS_PARAM_FIELD
};

/* The typed parameters of conf (owned by conf). */
const struct xs_params *xs_conf_params(const struct xs_conf *conf);

/* Parses a duration such as "30m", "7d", "1500ms", "0"; a bare number is milliseconds.
 * Returns 0 and sets *ms, or -1. */
int xs_parse_duration(const char *text, int64_t *ms);
/* Formats ms as the largest exact unit ("7d", "90m", "1500ms"). */
void xs_format_duration(int64_t ms, char *buf, size_t size);
/* Parses a size in bytes such as "1GiB", "512MiB", "64KiB", "4096B" or a bare number of bytes
 * (binary units only). Returns 0 and sets *bytes, or -1. */
int xs_parse_bytes(const char *text, int64_t *bytes);
/* Formats bytes as the largest exact binary unit ("1GiB", "1536KiB", "1000"). */
void xs_format_bytes(int64_t bytes, char *buf, size_t size);

#endif
