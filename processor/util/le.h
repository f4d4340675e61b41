/*
 * Little-endian integers in byte strings (the internal topics' records, the stage container).
 */
#ifndef XS_UTIL_LE_H
#define XS_UTIL_LE_H

#include <stdint.h>

/* The low `bytes` bytes of v at p, least significant first. */
static inline void xs_le_put(unsigned char *p, uint64_t v, int bytes)
{
        for (int i = 0; i < bytes; i++)
                p[i] = (unsigned char)(v >> (8 * i));
}

/* The `bytes`-byte integer at p, least significant first. */
static inline uint64_t xs_le_get(const unsigned char *p, int bytes)
{
        uint64_t v = 0;
        for (int i = 0; i < bytes; i++)
                v |= (uint64_t)p[i] << (8 * i);
        return v;
}

#endif
