/*
 * The seeded xorshift64 generator of the property and random-record tests: reproducible runs,
 * no dependence on the C library's rand().
 */
#ifndef XS_TEST_RNG_H
#define XS_TEST_RNG_H

#include <stdint.h>

static uint64_t rng_state = 88172645463325252ULL; /* never 0 */

static inline uint64_t rnd(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

#endif
