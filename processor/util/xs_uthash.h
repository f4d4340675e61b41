/*
 * uthash, configured for xsell: every table hashes with xs_hash_bytes (a fast multiply-mix
 * hash; our keys are mostly 8-byte integers, where uthash's default Jenkins hash is slow), and
 * running out of memory inside uthash ends the process with a message instead of a bare
 * exit(-1). Include this instead of <uthash.h>.
 */
#ifndef XS_UTHASH_H
#define XS_UTHASH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t xs_mix64(uint64_t x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
}

/* A 64-bit hash of n bytes: one multiply-mix per 8 bytes. Not cryptographic; stable across
 * runs and machines of the same endianness (offer ids and the control group depend on it). */
static inline uint64_t xs_hash_bytes(const void *p, size_t n, uint64_t seed)
{
        const unsigned char *s = p;
        uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
        while (n >= 8) {
                uint64_t v;
                memcpy(&v, s, 8);
                h = xs_mix64(h ^ v) + 0x9e3779b97f4a7c15ULL;
                s += 8;
                n -= 8;
        }
        uint64_t v = 0;
        memcpy(&v, s, n);
        return xs_mix64(h ^ v ^ ((uint64_t)n << 56));
}

static inline uint64_t xs_hash_str(const char *s, uint64_t seed)
{
        return xs_hash_bytes(s, strlen(s), seed);
}

#define HASH_FUNCTION(keyptr, keylen, hashv)                                                       \
        ((hashv) = (unsigned)xs_hash_bytes((keyptr), (size_t)(keylen), 0))
#define uthash_fatal(msg)                                                                          \
        do {                                                                                       \
                fprintf(stderr, "xsell: out of memory in a hash table: %s\n", (msg));              \
                abort();                                                                           \
        } while (0)

#include <uthash.h>

/* Grows a table's bucket array to 2^log2 buckets now, so that it does not rehash (a stall
 * proportional to its size) while the stream runs. head must hold at least one item. */
#define XS_HASH_PRESIZE(hh, head, log2)                                                            \
        do {                                                                                       \
                int oomed_ = 0;                                                                    \
                while ((head) && (head)->hh.tbl->log2_num_buckets < (unsigned)(log2) && !oomed_)   \
                        HASH_EXPAND_BUCKETS(&(head)->hh, (head)->hh.tbl, oomed_);                  \
        } while (0)

#endif
