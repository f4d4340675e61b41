/*
 * The errstr convention of every fallible call (STYLE rule 4): a message formatted into the
 * caller's buffer, truncated to errstr_size; a NULL or empty buffer is allowed and ignored.
 */
#ifndef XS_ERR_H
#define XS_ERR_H

#include <stddef.h>

void xs_set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
