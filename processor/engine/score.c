/*
 * Significance of a pair (PRODUCT.md §5): Dunning's log-likelihood ratio, signed so that a
 * product the anchor makes *less* likely scores negative (substitutes are not complements),
 * and lift, from a 2x2 contingency table.
 *
 * Views of the counts:
 *  - COMPLEMENT (cross-sell): same order + same customer (weight.purchase) + cart (weight.cart)
 *    + view-then-buy (weight.view)
 *  - ALTERNATIVE (upsell/downsell ranking): co-views (weight.view) + view-then-buy
 *    (weight.purchase)
 *  Both use the co-occurrence-matrix table: k11 = weighted pair count, k12 = the anchor's row
 *  total minus k11, k21 = the candidate's row total minus k11, k22 = everything else.
 *  - ORDER (`xsell pairs`, basket analysis): orders as transactions: k11 = orders holding both,
 *    k12/k21 = orders holding one only, k22 = orders holding neither; lift is then exactly the
 *    association-rule lift (support(ab) / (support(a) support(b))).
 *
 * cooc.score=count ranks by k11 alone (the weighted pair count, no significance), so that
 * `xsell evaluate` can show what significance adds over "frequently bought together" counts.
 */
#include <math.h>

#include "engine/engine_ctx.h"
#include "engine/score.h"
#include "engine/window.h"
#include "util/conf_int.h"

static double xlogx(int64_t x)
{
        return x <= 0 ? 0.0 : (double)x * log((double)x);
}

double xs_llr(int64_t k11, int64_t k12, int64_t k21, int64_t k22)
{
        double row = xlogx(k11 + k12 + k21 + k22) - xlogx(k11 + k12) - xlogx(k21 + k22);
        double col = xlogx(k11 + k12 + k21 + k22) - xlogx(k11 + k21) - xlogx(k12 + k22);
        double mat =
            xlogx(k11 + k12 + k21 + k22) - xlogx(k11) - xlogx(k12) - xlogx(k21) - xlogx(k22);
        if (row + col < mat) /* round-off */
                return 0.0;
        return 2.0 * (row + col - mat);
}

static void weights(const struct xs_params *p, enum xs_score_view v, int64_t w[XS_REL_COUNT])
{
        for (int r = 0; r < XS_REL_COUNT; r++)
                w[r] = 0;
        switch (v) {
        case XS_SCORE_COMPLEMENT:
                w[XS_REL_ORDER] = p->weight_purchase;
                w[XS_REL_CUSTOMER] = p->weight_purchase;
                w[XS_REL_CART] = p->weight_cart;
                /* viewed one, bought the other: weak evidence of a complement (the category
                 * filter of cross-sell keeps substitutes out) */
                w[XS_REL_VIEW_BUY] = p->weight_view;
                break;
        case XS_SCORE_ALTERNATIVE:
                w[XS_REL_VIEW] = p->weight_view;
                w[XS_REL_VIEW_BUY] = p->weight_purchase;
                break;
        case XS_SCORE_ORDER:
                w[XS_REL_ORDER] = 1;
                break;
        }
}

static int64_t clamp0(int64_t x)
{
        return x < 0 ? 0 : x;
}

double xs_score_pair(struct xs_engine *eng, enum xs_score_view v, uint32_t a, uint32_t b,
                     const int32_t n[XS_REL_COUNT], struct xs_evidence *ev, int64_t *support)
{
        int64_t w[XS_REL_COUNT], k11 = 0, ra = 0, rb = 0, total = 0, sup = 0;
        weights(eng->p, v, w);
        for (int r = 0; r < XS_REL_COUNT; r++) {
                ev->rel[r] = n[r];
                if (w[r]) {
                        k11 += w[r] * n[r];
                        sup += n[r];
                }
        }
        k11 = clamp0(k11);
        if (v == XS_SCORE_ORDER) {
                int64_t oa[XS_REL_COUNT], ob[XS_REL_COUNT];
                xs_window_occurrence(eng->window, a, oa);
                xs_window_occurrence(eng->window, b, ob);
                int64_t pt[XS_REL_COUNT];
                xs_window_totals(eng->window, pt, &total);
                ra = oa[XS_REL_ORDER];
                rb = ob[XS_REL_ORDER];
        } else {
                int64_t rowa[XS_REL_COUNT], rowb[XS_REL_COUNT], pt[XS_REL_COUNT], orders;
                xs_window_row(eng->window, a, rowa);
                xs_window_row(eng->window, b, rowb);
                xs_window_totals(eng->window, pt, &orders);
                for (int r = 0; r < XS_REL_COUNT; r++) {
                        ra += w[r] * rowa[r];
                        rb += w[r] * rowb[r];
                        total += w[r] * pt[r];
                }
        }
        ev->k11 = k11;
        ev->k12 = clamp0(ra - k11);
        ev->k21 = clamp0(rb - k11);
        ev->k22 = clamp0(total - ev->k11 - ev->k12 - ev->k21);
        int64_t N = ev->k11 + ev->k12 + ev->k21 + ev->k22;
        double llr = xs_llr(ev->k11, ev->k12, ev->k21, ev->k22);
        /* sign: is b more likely with a than without it? */
        double with_a = ev->k11 + ev->k12 ? (double)ev->k11 / (double)(ev->k11 + ev->k12) : 0;
        double without_a = ev->k21 + ev->k22 ? (double)ev->k21 / (double)(ev->k21 + ev->k22) : 0;
        ev->llr = with_a < without_a ? -llr : llr;
        ev->lift = (ev->k11 + ev->k12) && (ev->k11 + ev->k21)
                       ? (double)ev->k11 * (double)N /
                             ((double)(ev->k11 + ev->k12) * (double)(ev->k11 + ev->k21))
                       : 0.0;
        if (support)
                *support = sup;
        if (eng->score_count)
                return (double)ev->k11; /* no significance: best sellers rank first */
        return eng->score_lift ? ev->lift : ev->llr;
}
