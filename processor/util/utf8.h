/*
 * Checks of one string field of a decoded record before it may become state: a bound on its
 * length in bytes and valid UTF-8 (Avro strings, JSON and our outputs require it; nothing on
 * the wire guarantees it). Used by the engine's contract checks, which every decoder's records
 * pass (Avro, JSON lines, CSV, Kafka), so that an oversized or malformed id is poison, not state.
 */
#ifndef XS_UTF8_H
#define XS_UTF8_H

#include <stddef.h>

enum xs_str_verdict { XS_STR_OK, XS_STR_TOO_LONG, XS_STR_BAD_UTF8 };

/* XS_STR_OK when s is NULL (an absent optional field) or holds at most max_bytes bytes (0: no
 * bound) of valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
 * Reads at most max_bytes + 1 bytes of s for the length, so a 1 MB string costs no more than a
 * short one before it is refused. *len gets the length read (capped at max_bytes + 1) and *at
 * the offset of the first bad byte; either may be NULL. */
enum xs_str_verdict xs_str_check(const char *s, size_t max_bytes, size_t *len, size_t *at);

#endif
