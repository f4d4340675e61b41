/*
 * Significance of a pair from its window counts: signed log-likelihood ratio, lift, or the raw
 * count (see score.c for the three views of the counts).
 */
#ifndef XS_SCORE_H
#define XS_SCORE_H

#include <stdint.h>

#include "xsell/common.h"
#include "xsell/engine.h"
#include "xsell/offer.h"

struct xs_engine;

double xs_llr(int64_t k11, int64_t k12, int64_t k21, int64_t k22);
/* Fills evidence for the pair (a, b) under view v and returns its ranking score (signed llr or
 * lift per cooc.score). *support gets the raw pair count of the view's relations. */
double xs_score_pair(struct xs_engine *eng, enum xs_score_view v, uint32_t a, uint32_t b,
                     const int32_t n[XS_REL_COUNT], struct xs_evidence *ev, int64_t *support);

#endif
