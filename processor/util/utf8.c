/*
 * xs_str_check (see utf8.h): a length bound and a strict UTF-8 validation, byte by byte.
 */
#include <string.h>

#include "util/utf8.h"

/* The offset of the first byte of s[0..n) that does not start or continue a valid UTF-8
 * sequence, or n when all of it is valid. */
static size_t utf8_bad_at(const unsigned char *s, size_t n)
{
        size_t i = 0;
        while (i < n) {
                unsigned char c = s[i];
                if (c < 0x80) {
                        i++;
                        continue;
                }
                size_t need;
                unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
                if (c >= 0xc2 && c <= 0xdf) {
                        need = 1;
                } else if (c >= 0xe0 && c <= 0xef) {
                        need = 2;
                        if (c == 0xe0)
                                lo = 0xa0; /* overlong */
                        else if (c == 0xed)
                                hi = 0x9f; /* surrogates U+D800..U+DFFF */
                } else if (c >= 0xf0 && c <= 0xf4) {
                        need = 3;
                        if (c == 0xf0)
                                lo = 0x90; /* overlong */
                        else if (c == 0xf4)
                                hi = 0x8f; /* above U+10FFFF */
                } else {
                        return i; /* a continuation byte, 0xc0, 0xc1 or 0xf5..0xff */
                }
                if (n - i <= need)
                        return i; /* cut short */
                if (s[i + 1] < lo || s[i + 1] > hi)
                        return i;
                for (size_t k = 2; k <= need; k++)
                        if ((s[i + k] & 0xc0) != 0x80)
                                return i;
                i += need + 1;
        }
        return n;
}

enum xs_str_verdict xs_str_check(const char *s, size_t max_bytes, size_t *len, size_t *at)
{
        if (len)
                *len = 0;
        if (at)
                *at = 0;
        if (!s)
                return XS_STR_OK;
        size_t n = max_bytes ? strnlen(s, max_bytes + 1) : strlen(s);
        if (len)
                *len = n;
        if (max_bytes && n > max_bytes)
                return XS_STR_TOO_LONG;
        size_t bad = utf8_bad_at((const unsigned char *)s, n);
        if (bad == n)
                return XS_STR_OK;
        if (at)
                *at = bad;
        return XS_STR_BAD_UTF8;
}
