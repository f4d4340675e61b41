/*
 * Significance of a pair (PRODUCT.md §5): Dunning's log-likelihood ratio, signed so that a
 * product the anchor makes *less* likely scores negative (substitutes are not complements),
 * and lift, from a 2x2 contingency table.
 *
 * The table counts transactions (Dunning), never pair mass. Each relation has its own
 * transactions (cooc.c says exactly what they are): ORDER orders; CUSTOMER customer episodes
 * (a customer's purchases over cooc.customer_horizon from the first); CART carts (from the
 * first add to an empty cart until it is emptied or bought); VIEW_BUY purchases with views in
 * the cooc.view_span before them. Per relation r: k11_r = transactions holding both (the pair
 * count), occ_r(a) = transactions holding a, N_r = transactions; all three are exact window
 * counts at pane granularity, and the table is three O(1) lookups.
 *
 * Views of the counts:
 *  - ORDER (`xsell pairs`, basket analysis): the order table alone; lift is then exactly the
 *    association-rule lift (support(ab) / (support(a) support(b))).
 *  - COMPLEMENT (cross-sell): the weighted sum of the ORDER and CUSTOMER (weight.purchase),
 *    CART (weight.cart) and VIEW_BUY (weight.view) tables, over the relations that have
 *    transactions in the window: k11 = sum w_r k11_r, row a = sum w_r occ_r(a),
 *    N = sum w_r N_r. The llr is divided by sum w_r (the llr of the weighted mean table), so
 *    it is on the scale of transactions whatever the weights; lift is scale-free. A data set
 *    of one-order customers gives ORDER = CUSTOMER, and the complement table is the order
 *    table.
 *  - ALTERNATIVE (upsell/downsell ranking): co-views (weight.view) + view-then-buy
 *    (weight.purchase) on the co-occurrence-matrix table (k11 = weighted pair count, k12 =
 *    the anchor's row total minus k11, ...). It stays on pair mass: co-views have no natural
 *    transaction (a view session is not delimited), and it only *ranks* candidates that the
 *    catalog admitted (same category, price step); significance does not admit anything
 *    there.
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

/* The transaction table of the view: k11 = sum of w_r * n_r(a,b), the row and column sums
 * sum of w_r * occ_r, N = sum of w_r * N_r, over the view's relations that have transactions
 * in the window. *w_sum gets the sum of their weights. */
static void tx_table(struct xs_engine *eng, const int64_t w[XS_REL_COUNT], uint32_t a, uint32_t b,
                     const int32_t n[XS_REL_COUNT], int64_t *k11, int64_t *ra, int64_t *rb,
                     int64_t *total, int64_t *w_sum)
{
        int64_t oa[XS_REL_COUNT], ob[XS_REL_COUNT], pt[XS_REL_COUNT], tx[XS_REL_COUNT];
        xs_window_occurrence(eng->window, a, oa);
        xs_window_occurrence(eng->window, b, ob);
        xs_window_totals(eng->window, pt, tx);
        *k11 = *ra = *rb = *total = *w_sum = 0;
        for (int r = 0; r < XS_REL_COUNT; r++) {
                if (!w[r] || tx[r] <= 0)
                        continue;
                /* each relation's own table is clamped to a valid one (a removal from the cart
                 * can take a pair below zero; a transaction whose first purchase left the
                 * window can leave items behind) */
                int64_t k = clamp0(n[r]), na = clamp0(oa[r]), nb = clamp0(ob[r]);
                na = na < k ? k : na;
                nb = nb < k ? k : nb;
                int64_t nt = tx[r] < na + nb - k ? na + nb - k : tx[r];
                *k11 += w[r] * k;
                *ra += w[r] * na;
                *rb += w[r] * nb;
                *total += w[r] * nt;
                *w_sum += w[r];
        }
}

double xs_score_pair(struct xs_engine *eng, enum xs_score_view v, uint32_t a, uint32_t b,
                     const int32_t n[XS_REL_COUNT], struct xs_evidence *ev, int64_t *support)
{
        int64_t w[XS_REL_COUNT], k11 = 0, ra = 0, rb = 0, total = 0, sup = 0, w_sum = 1;
        weights(eng->p, v, w);
        for (int r = 0; r < XS_REL_COUNT; r++)
                ev->rel[r] = n[r];
        if (v == XS_SCORE_ALTERNATIVE) {
                /* pair mass: co-views have no transactions (see the top of the file) */
                int64_t rowa[XS_REL_COUNT], rowb[XS_REL_COUNT], pt[XS_REL_COUNT], tx[XS_REL_COUNT];
                xs_window_row(eng->window, a, rowa);
                xs_window_row(eng->window, b, rowb);
                xs_window_totals(eng->window, pt, tx);
                for (int r = 0; r < XS_REL_COUNT; r++) {
                        if (!w[r])
                                continue;
                        k11 += w[r] * n[r];
                        sup += n[r];
                        ra += w[r] * rowa[r];
                        rb += w[r] * rowb[r];
                        total += w[r] * pt[r];
                }
                k11 = clamp0(k11);
        } else {
                tx_table(eng, w, a, b, n, &k11, &ra, &rb, &total, &w_sum);
                /* support: the most transactions holding both in any one relation */
                for (int r = 0; r < XS_REL_COUNT; r++)
                        if (w[r] && n[r] > sup)
                                sup = n[r];
                if (!w_sum)
                        w_sum = 1;
        }
        ev->k11 = k11;
        ev->k12 = clamp0(ra - k11);
        ev->k21 = clamp0(rb - k11);
        ev->k22 = clamp0(total - ev->k11 - ev->k12 - ev->k21);
        int64_t N = ev->k11 + ev->k12 + ev->k21 + ev->k22;
        /* the llr of the weighted mean of the relations' tables (the llr is homogeneous of
         * degree 1): in transactions, so cooc.min_score keeps its chi-square meaning whatever
         * the weights */
        double llr = xs_llr(ev->k11, ev->k12, ev->k21, ev->k22) / (double)w_sum;
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
