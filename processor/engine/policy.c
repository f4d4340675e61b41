/*
 * Offer policy (PRODUCT.md §1-4, §6): which offer, if any, a moment in the journey deserves,
 * which products it carries, the guardrails that keep it from being pushy, its incentives,
 * and the attribution of later purchases to it.
 *
 *   moment                       offer                                    rule
 *   ADD_TO_CART                  UPSELL of the item just added            cart_upsell
 *   CHECKOUT_START               CROSS_SELL gap filler (free shipping)    free_shipping_gap_filler
 *                                or CROSS_SELL with a bundle discount     checkout_cross_sell
 *   PURCHASE                     UPSELL on site: explicit targets, and a  post_purchase_upsell
 *                                better grade only in re-bought categories
 *                                CROSS_SELL by e-mail + next coupon post_purchase_email_cross_sell
 *   view within the onboarding   CROSS_SELL of short-lived complements    onboarding_complement
 *   complement horizon           (once per purchase)
 *   USAGE_MILESTONE / REFERRAL   UPSELL of a higher tier                  value_realized_upsell
 *   any of the three upsells     UPSELL of add-ons (warranty, plan...)    <moment>_addon_upsell
 *                                when the best candidate is an add-on
 *   PURCHASE (the same e-mail)   BUY_AGAIN of the re-orders due post_purchase_email_buy_again
 *   re-order timer               BUY_AGAIN by e-mail of the products due  reorder_due_buy_again
 *                                (learned intervals, reorder.c)
 *   cart timer                   one DOWNSELL of the priciest cart item   cart_abandoned_downsell
 *   lead timer (weekly)          one DOWNSELL by e-mail                   lead_downsell
 *   view while BROWSING          CROSS_SELL, only if journey.browsing_offers  browsing_cross_sell
 * BROWSING (by default), UNDECIDED and the onboarding period (for upsells) get nothing.
 *
 * The candidates (cand.c) have passed the product guardrails: known, in stock, priced, not in
 * the cart, not bought lately, the right category and price. Here the frequency caps, the
 * dismissal cooldown, repeats of an open offer and the e-mail channel are checked; control-group
 * customers get nothing but are counted exactly as if they had. Attribution: a purchase, within
 * attribution.window after an offer, of one of the offer's products is that offer's outcome.
 *
 * Repeats (issue 9 item 8). An offer lives until its own expiry: offer.ttl on site,
 * offer.email_ttl by e-mail. While an e-mail offer lives its products sit in the customer's
 * inbox, so no later offer of any type or channel carries them (they are taken out of the
 * candidates; an offer left with none is not made). While any offer lives, no offer of the same
 * type leads with the same product again. The LEAD e-mails of a lead period (SUBSCRIBE until a
 * purchase or UNSUBSCRIBE) each carry another product, and after journey.lead_max_emails of
 * them with no purchase the series stops (lead_stopped). Only a purchase answers a LEAD e-mail:
 * OFFER_DISMISSED is a "no" that sets the dismissal cooldown and does not restart the count;
 * UNSUBSCRIBE ends the period, and a later SUBSCRIBE starts a new one.
 *
 * One file: every moment builds a draft and ends in offer_send, which owns the guardrails,
 * the repeat guard and attribution; split by moment, each part would reach into the same
 * static helpers.
 *
 * Bounds: an offer carries at most offer.max_items products (one for a downsell) and
 * XS_OFFER_MAX_INCENTIVES incentives; a customer keeps at most attribution.max_pending open
 * offers, each until both its attribution window and its lifetime are over (so the repeat
 * guard holds for the whole e-mail lifetime whatever attribution.window is); at that cap the
 * one that ends first is dropped, with its guard (offers_pending_evicted). A converted offer is
 * dropped at once: the product bought is kept out by the bought guard, its other products may
 * be offered again. A lead period remembers at most journey.lead_max_emails products; a LEAD
 * e-mail tries every recently viewed product as its anchor, priciest first.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cand.h"
#include "engine/catalog.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/journey.h"
#include "engine/policy.h"
#include "engine/reorder.h"
#include "engine/score.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/xs_uthash.h"

/* ---- building and sending an offer -------------------------------------------------- */

struct draft {
        enum xs_offer_type type;
        enum xs_channel channel;
        const char *rule;
        const char *trigger_event_id;
        uint32_t anchor;
        int64_t t;
        struct xs_incentive inc[XS_OFFER_MAX_INCENTIVES];
        size_t n_inc;
        int moment;             /* 1 + the offer's stage when it is not the customer's (0) */
        const char *score_kind; /* when the items' score is not a co-occurrence score */
};

/* Chains the hash over one field: its length, then its bytes (so field boundaries count and
 * no field is ever truncated). */
static uint64_t id_field(uint64_t h, const void *p, size_t n)
{
        uint64_t len = n;
        h = xs_hash_bytes(&len, sizeof(len), h);
        return xs_hash_bytes(p, n, h);
}

/* Deterministic: a hash, under two seeds, of customer, trigger event, rule, anchor and time,
 * field by field, whatever their length. */
static void offer_id(const struct xs_customer *c, const struct draft *d, const char *anchor,
                     char out[XS_OFFER_ID_LEN])
{
        const char *trigger = d->trigger_event_id ? d->trigger_event_id : "";
        const char *anc = anchor ? anchor : "";
        unsigned char tb[8];
        for (int i = 0; i < 8; i++)
                tb[i] = (unsigned char)((uint64_t)d->t >> (8 * i));
        uint64_t h[2] = {0x0ffe4, 0x1d5eed};
        for (int k = 0; k < 2; k++) {
                h[k] = id_field(h[k], c->id, strlen(c->id));
                h[k] = id_field(h[k], trigger, strlen(trigger));
                h[k] = id_field(h[k], d->rule, strlen(d->rule));
                h[k] = id_field(h[k], anc, strlen(anc));
                h[k] = id_field(h[k], tb, sizeof(tb));
        }
        snprintf(out, XS_OFFER_ID_LEN, "%016" PRIx64 "%016" PRIx64, h[0], h[1]);
}

static int in_control(const struct xs_engine *eng, const struct xs_customer *c)
{
        if (eng->control_threshold == 0)
                return 0;
        return xs_hash_str(c->id, eng->control_seed) < eng->control_threshold;
}

/* The last moment an open offer is of use: attribution or the repeat guard. */
static int64_t pending_end(const struct xs_pending *pd)
{
        return pd->attribution_until > pd->expires_at ? pd->attribution_until : pd->expires_at;
}

static void pending_add(struct xs_engine *eng, struct xs_customer *c, const struct xs_offer *o)
{
        const struct xs_params *p = eng->p;
        uint16_t keep = 0;
        for (uint16_t i = 0; i < c->n_pending; i++)
                if (o->created_at <= pending_end(&c->pending[i]))
                        c->pending[keep++] = c->pending[i];
        c->n_pending = keep;
        if (c->n_pending == p->attribution_max_pending) {
                /* the one that ends first (the oldest under equal windows) */
                uint16_t drop = 0;
                for (uint16_t i = 1; i < c->n_pending; i++)
                        if (pending_end(&c->pending[i]) < pending_end(&c->pending[drop]))
                                drop = i;
                memmove(&c->pending[drop], &c->pending[drop + 1],
                        (size_t)(c->n_pending - drop - 1) * sizeof(*c->pending));
                c->n_pending--;
                eng->st.offers_pending_evicted++;
        }
        if (XS_RESERVE(c->pending, c->cap_pending, c->n_pending + 1u) != 0)
                return;
        struct xs_pending *pd = &c->pending[c->n_pending++];
        memset(pd, 0, sizeof(*pd));
        memcpy(pd->offer_id, o->offer_id, XS_OFFER_ID_LEN);
        pd->type = (uint8_t)o->type;
        pd->stage = (uint8_t)o->stage;
        pd->control = (uint8_t)o->control;
        pd->channel = (uint8_t)o->channel;
        pd->created_at = o->created_at;
        pd->attribution_until = o->created_at + p->attribution_window;
        pd->expires_at = o->expires_at;
        for (size_t i = 0; i < o->n_items; i++)
                pd->products[pd->n++] = xs_intern_find(eng->products, o->items[i].product_id);
}

/* Keeps what the offer record says of why (debug.recent_offers, for /customers/ID): the oldest
 * kept leaves for the newest. Without memory for it, nothing is kept (a debug aid only). */
static void recent_add(struct xs_engine *eng, struct xs_customer *c, const struct xs_offer *o,
                       uint32_t anchor)
{
        int64_t keep = eng->p->debug_recent_offers;
        if (keep <= 0)
                return;
        if (!c->recent) {
                c->recent = calloc((size_t)keep, sizeof(*c->recent));
                if (!c->recent)
                        return;
                c->cap_recent = (uint8_t)keep;
        }
        struct xs_recent *r = &c->recent[c->recent_next];
        if (c->n_recent == c->cap_recent)
                free(r->trigger);
        else
                c->n_recent++;
        c->recent_next = (uint8_t)((c->recent_next + 1) % c->cap_recent);
        memset(r, 0, sizeof(*r));
        memcpy(r->offer_id, o->offer_id, XS_OFFER_ID_LEN);
        r->rule = o->rule;
        r->score_kind = o->score_kind;
        r->trigger =
            o->trigger_event_id && *o->trigger_event_id ? strdup(o->trigger_event_id) : NULL;
        r->anchor = anchor;
        r->type = (uint8_t)o->type;
        r->stage = (uint8_t)o->stage;
        r->channel = (uint8_t)o->channel;
        r->control = (uint8_t)o->control;
        r->created_at = o->created_at;
        for (size_t i = 0; i < o->n_items && i < XS_OFFER_MAX_ITEMS; i++) {
                struct xs_recent_item *it = &r->items[r->n++];
                it->product = xs_intern_find(eng->products, o->items[i].product_id);
                it->score = o->items[i].score;
                it->ev = o->items[i].evidence;
        }
}

/* The same offer again (same type, same leading product) while an earlier one still lives
 * (until its expires_at: offer.ttl on site, offer.email_ttl by e-mail): a customer who adds an
 * item twice is not shown the same upgrade twice. */
static int repeats_open_offer(const struct xs_customer *c, const struct draft *d,
                              const struct xs_cand_set *cands)
{
        for (uint16_t i = 0; i < c->n_pending; i++) {
                const struct xs_pending *pd = &c->pending[i];
                if (pd->type == d->type && pd->n && pd->products[0] == cands->c[0].id &&
                    d->t < pd->expires_at)
                        return 1;
        }
        return 0;
}

/* 1 when product is in an e-mail offer to c that still lives at t. */
static int in_live_email(const struct xs_customer *c, uint32_t product, int64_t t)
{
        for (uint16_t i = 0; i < c->n_pending; i++) {
                const struct xs_pending *pd = &c->pending[i];
                if (pd->channel != XS_CHANNEL_EMAIL || t >= pd->expires_at)
                        continue;
                for (uint8_t k = 0; k < pd->n; k++)
                        if (pd->products[k] == product)
                                return 1;
        }
        return 0;
}

static int in_lead_period(const struct xs_customer *c, uint32_t product)
{
        for (uint8_t i = 0; i < c->n_lead; i++)
                if (c->lead_products[i] == product)
                        return 1;
        return 0;
}

/* Takes out of cands (keeping their order) the products of c's live e-mail offers and, for a
 * LEAD e-mail (lead), those of the lead period's earlier e-mails. */
static void drop_repeated(const struct xs_customer *c, int64_t t, int lead,
                          struct xs_cand_set *cands)
{
        size_t keep = 0;
        for (size_t i = 0; i < cands->n; i++)
                if (!in_live_email(c, cands->c[i].id, t) &&
                    !(lead && in_lead_period(c, cands->c[i].id)))
                        cands->c[keep++] = cands->c[i];
        cands->n = keep;
}

/* Applies caps, cooldown, channel and control group; sends or withholds. Returns 1 if the
 * offer counted (sent or withheld for the control group). */
static int offer_send(struct xs_engine *eng, struct xs_customer *c, const struct draft *d,
                      struct xs_cand_set *cands)
{
        const struct xs_params *p = eng->p;
        if (cands->n == 0) {
                eng->st.offers_no_candidate++;
                return 0;
        }
        if (d->t < c->cooldown_until) {
                eng->st.offers_suppressed_cap++;
                return 0;
        }
        /* only a later day starts new counts: an offer of a late event from an earlier day
         * counts against the current day, so a late event never resets them */
        int64_t day = d->t / XS_DAY_MS;
        if (day > c->cap_day) {
                c->cap_day = day;
                c->offers_today = 0;
                memset(c->offers_type_today, 0, sizeof(c->offers_type_today));
        }
        if (c->offers_today >= p->caps_per_day ||
            c->offers_type_today[d->type] >= p->caps_per_type_per_day) {
                eng->st.offers_suppressed_cap++;
                return 0;
        }
        if (d->channel == XS_CHANNEL_EMAIL && !c->email_ok) {
                eng->st.offers_suppressed_channel++;
                return 0;
        }
        drop_repeated(c, d->t, 0, cands);
        if (cands->n == 0 || repeats_open_offer(c, d, cands)) {
                eng->st.offers_suppressed_repeat++;
                return 0;
        }
        struct xs_offer o;
        memset(&o, 0, sizeof(o));
        const char *anchor = d->anchor ? xs_intern_str(eng->products, d->anchor) : NULL;
        offer_id(c, d, anchor, o.offer_id);
        o.customer_id = c->id;
        o.type = d->type;
        o.stage = d->moment ? (enum xs_stage)(d->moment - 1) : (enum xs_stage)c->stage;
        o.channel = d->channel;
        o.trigger_event_id = d->trigger_event_id ? d->trigger_event_id : "";
        o.anchor_product_id = anchor;
        size_t max_items = d->type == XS_OFFER_DOWNSELL ? 1 : (size_t)p->offer_max_items;
        int any_evidence = 0;
        for (size_t i = 0; i < cands->n && o.n_items < max_items; i++) {
                const struct xs_cand *cd = &cands->c[i];
                const struct xs_cat_product *pr = xs_catalog_get(eng->catalog, cd->id);
                struct xs_offer_item *it = &o.items[o.n_items++];
                it->product_id = xs_intern_str(eng->products, cd->id);
                it->category = xs_catalog_label(eng->catalog, pr->category);
                it->brand = xs_catalog_label(eng->catalog, pr->brand);
                it->category_label = xs_catalog_label(eng->catalog, pr->category_label);
                it->addon = cd->addon ? xs_catalog_label(eng->catalog, pr->addon) : NULL;
                it->price = pr->price;
                it->score = cd->score;
                it->evidence = cd->ev;
                if (cd->lazy_evidence) {
                        int32_t zero[XS_REL_COUNT] = {0};
                        xs_score_pair(eng, XS_SCORE_ALTERNATIVE, d->anchor, cd->id, zero,
                                      &it->evidence, NULL);
                }
                if (d->type != XS_OFFER_BUY_AGAIN) {
                        /* the scores fill the co-occurrence fields only */
                        it->evidence.reorder_interval_ms = 0;
                        it->evidence.last_purchase_at = 0;
                        it->evidence.repeat_buyers = 0;
                }
                any_evidence |= cd->has_evidence;
        }
        memcpy(o.incentives, d->inc, sizeof(d->inc));
        o.n_incentives = d->n_inc;
        o.rule = d->rule;
        o.score_kind = d->score_kind       ? d->score_kind
                       : !any_evidence     ? "catalog"
                       : eng->score_count  ? "count"
                       : eng->rank_support ? (eng->score_lift ? "lift+support" : "llr+support")
                       : eng->rank_basket && d->type == XS_OFFER_CROSS_SELL
                           ? (eng->score_lift ? "lift+basket" : "llr+basket")
                       : eng->score_lift ? "lift"
                                         : "llr";
        o.window_ms = p->window_unbounded ? 0 : p->window_size;
        o.cart_value = xs_customer_cart_value(c);
        const struct xs_cat_product *ap =
            d->anchor ? xs_catalog_get(eng->catalog, d->anchor) : NULL;
        memcpy(o.currency, c->currency[0] || !ap ? c->currency : ap->currency, XS_CURRENCY_LEN);
        o.created_at = d->t;
        o.expires_at = d->t + (d->channel == XS_CHANNEL_EMAIL ? p->offer_email_ttl : p->offer_ttl);
        for (size_t i = 0; i < o.n_incentives; i++)
                if (!o.incentives[i].valid_until)
                        o.incentives[i].valid_until = o.expires_at;
        o.control = in_control(eng, c);

        if (c->offers_today < UINT16_MAX)
                c->offers_today++;
        if (c->offers_type_today[d->type] < UINT16_MAX)
                c->offers_type_today[d->type]++;
        pending_add(eng, c, &o);
        recent_add(eng, c, &o, o.anchor_product_id ? d->anchor : 0);
        if (o.control) {
                eng->st.offers_withheld_control++;
                eng->st.control_offers[o.type][o.stage]++;
                return 1;
        }
        eng->st.offers[o.type][o.stage]++;
        if (eng->sink.offer)
                eng->sink.offer(eng->sink.opaque, &o);
        return 1;
}

static void incentive(struct draft *d, enum xs_incentive_kind kind, int32_t percent,
                      int64_t threshold, int64_t amount, const char *currency, int64_t valid_until)
{
        if (d->n_inc == XS_OFFER_MAX_INCENTIVES)
                return;
        struct xs_incentive *in = &d->inc[d->n_inc++];
        memset(in, 0, sizeof(*in));
        in->kind = kind;
        in->percent = percent;
        in->threshold = threshold;
        in->amount = amount;
        if (currency)
                memcpy(in->currency, currency, XS_CURRENCY_LEN);
        in->valid_until = valid_until;
}

/* The priciest of products (ties: first). 0 if none. */
static uint32_t priciest(struct xs_engine *eng, const uint32_t *ids, size_t n)
{
        uint32_t best = 0;
        int64_t best_price = -2;
        for (size_t i = 0; i < n; i++) {
                const struct xs_cat_product *pr = xs_catalog_get(eng->catalog, ids[i]);
                int64_t price = pr ? pr->price : -1;
                if (price > best_price) {
                        best = ids[i];
                        best_price = price;
                }
        }
        return best;
}

/* ---- the moments -------------------------------------------------------------------- */

/* An add-on upsell is an offer of its own kind: when the best candidate (the catalog's first
 * listed upgrade target that passed) is an add-on, the offer carries only add-ons and its rule
 * says so; otherwise only upgrades. An offer never mixes "a better one instead" with "this on
 * top". Keeps the order of cands. Returns the rule. */
static const char *upsell_kind(struct xs_cand_set *cands, const char *rule)
{
        static const char *const addon_rules[][2] = {
            {"cart_upsell", "cart_addon_upsell"},
            {"post_purchase_upsell", "post_purchase_addon_upsell"},
            {"value_realized_upsell", "value_realized_addon_upsell"},
        };
        if (!cands->n)
                return rule;
        int addon = cands->c[0].addon;
        size_t keep = 0;
        for (size_t i = 0; i < cands->n; i++)
                if (cands->c[i].addon == addon)
                        cands->c[keep++] = cands->c[i];
        cands->n = keep;
        if (addon)
                for (size_t i = 0; i < sizeof(addon_rules) / sizeof(addon_rules[0]); i++)
                        if (!strcmp(rule, addon_rules[i][0]))
                                return addon_rules[i][1];
        return rule;
}

/* ladder 0: explicit targets and add-ons only (after the purchase of a durable good) */
static void upsell(struct xs_engine *eng, struct xs_customer *c, uint32_t anchor, int ladder,
                   int64_t t, const char *trigger, const char *rule, int64_t basis_value,
                   int with_shipping)
{
        const struct xs_params *p = eng->p;
        struct xs_cand_set cands = {0};
        xs_cand_grades(eng, c, anchor, 1, ladder, t, &cands);
        xs_cand_rank(eng, &cands, 1);
        rule = upsell_kind(&cands, rule);
        struct draft d = {.type = XS_OFFER_UPSELL,
                          .channel = XS_CHANNEL_ONSITE,
                          .rule = rule,
                          .trigger_event_id = trigger,
                          .anchor = anchor,
                          .t = t};
        const struct xs_cat_product *a = xs_catalog_get(eng->catalog, anchor);
        const char *cur = c->currency[0] ? c->currency : (a ? a->currency : NULL);
        if (p->upgrade_percent > 0 && basis_value >= p->upgrade_min_cart && basis_value > 0)
                incentive(&d, XS_INC_PERCENT_OFF, (int32_t)p->upgrade_percent, p->upgrade_min_cart,
                          0, cur, 0);
        if (with_shipping && cands.n && a && p->free_shipping_threshold > 0 &&
            basis_value < p->free_shipping_threshold) {
                /* an add-on comes on top of the anchor; an upgrade replaces it */
                int64_t upgraded = xs_money_add(
                    cands.c[0].addon ? basis_value : basis_value - a->price, cands.c[0].price);
                if (upgraded >= p->free_shipping_threshold)
                        incentive(&d, XS_INC_FREE_SHIPPING, 0, p->free_shipping_threshold,
                                  p->free_shipping_threshold - basis_value, cur, 0);
        }
        offer_send(eng, c, &d, &cands);
}

static void downsell(struct xs_engine *eng, struct xs_customer *c, uint32_t anchor, int64_t t,
                     const char *trigger, const char *rule, enum xs_channel channel)
{
        struct xs_cand_set cands = {0};
        xs_cand_grades(eng, c, anchor, 0, 1, t, &cands);
        xs_cand_rank(eng, &cands, 1);
        struct draft d = {.type = XS_OFFER_DOWNSELL,
                          .channel = channel,
                          .rule = rule,
                          .trigger_event_id = trigger,
                          .anchor = anchor,
                          .t = t};
        offer_send(eng, c, &d, &cands);
}

/* The LEAD e-mail: one DOWNSELL of a cheaper grade of a recently viewed product, of another
 * product than every earlier LEAD e-mail of this lead period (and than any live e-mail offer).
 * The anchor is the priciest viewed product that has such a grade (ties: the first viewed);
 * the viewed products are tried in that order, all of them if need be (at most the recent
 * views a customer keeps: cooc.max_recent_views or journey.undecided_min_products). An e-mail
 * that counted (sent or withheld for the control group) is remembered in c->lead_products. */
static void lead_downsell(struct xs_engine *eng, struct xs_customer *c, int64_t due)
{
        /* the previous anchor's place in the order (price descending, then position) */
        int64_t last_price = INT64_MAX;
        long last_pos = -1;
        size_t n_tried = 0;
        int had_candidates = 0;
        for (;;) {
                uint32_t anchor = 0;
                int64_t best_price = -2;
                long best_pos = -1;
                for (uint16_t i = 0; i < c->n_views; i++) {
                        uint32_t id = c->views[i].product;
                        const struct xs_cat_product *pr = xs_catalog_get(eng->catalog, id);
                        int64_t price = pr ? pr->price : -1;
                        int after = price < last_price || (price == last_price && i > last_pos);
                        if (after && price > best_price) {
                                anchor = id;
                                best_price = price;
                                best_pos = i;
                        }
                }
                if (!anchor)
                        break;
                if (!n_tried++)
                        c->lead_last_offer = due; /* a week starts when there is a view */
                last_price = best_price;
                last_pos = best_pos;
                /* enough of the best to hold one that drop_repeated keeps, if any exists */
                size_t excluded = c->n_lead + (size_t)c->n_pending * XS_OFFER_MAX_ITEMS;
                struct xs_cand_set cands = {.cap = excluded + 1 < XS_CAND_MAX ? excluded + 1
                                                                              : XS_CAND_MAX};
                xs_cand_grades(eng, c, anchor, 0, 1, due, &cands);
                xs_cand_rank(eng, &cands, 1);
                had_candidates |= cands.n > 0;
                drop_repeated(c, due, 1, &cands);
                if (!cands.n)
                        continue;
                /* room for the product first: no e-mail that the series could not count */
                if (XS_RESERVE(c->lead_products, c->cap_lead, c->n_lead + 1u) != 0)
                        return;
                struct draft d = {.type = XS_OFFER_DOWNSELL,
                                  .channel = XS_CHANNEL_EMAIL,
                                  .rule = "lead_downsell",
                                  .trigger_event_id = c->subscribe_event_id,
                                  .anchor = anchor,
                                  .t = due};
                if (offer_send(eng, c, &d, &cands))
                        c->lead_products[c->n_lead++] = cands.c[0].id;
                return;
        }
        if (had_candidates)
                eng->st.offers_suppressed_repeat++; /* every grade was e-mailed already */
        else
                eng->st.offers_no_candidate++;
}

/* Buy again (PRODUCT.md §2 REORDER DUE): one e-mail of c's products whose learned re-order
 * time falls within offer.email_ttl of t (overdue by at most that, or coming due while the
 * e-mail is valid) and not handled yet (after c->reorder_at), past every guardrail at t (so
 * never one bought within guard.bought_horizon), closest to t first. All of them are handled
 * then, offered or not: c->reorder_at moves to t + offer.email_ttl and the REORDER timer to the
 * next re-order time after it, so a customer gets at most one buy-again e-mail per
 * offer.email_ttl and a product one per purchase of it. Returns 1 if an offer counted. */
static int buy_again(struct xs_engine *eng, struct xs_customer *c, int64_t t, const char *trigger,
                     const char *rule, enum xs_stage moment)
{
        const struct xs_params *p = eng->p;
        if (p->reorder_window <= 0)
                return 0;
        int64_t ttl = p->offer_email_ttl;
        int64_t from = c->reorder_at > t - ttl ? c->reorder_at : t - ttl;
        struct xs_reorder_item due[XS_CAND_MAX];
        size_t n = xs_reorder_due(eng, c, from, t + ttl, t, due, XS_CAND_MAX);
        if (!n)
                return 0;
        struct xs_cand_set cands = {0};
        for (size_t i = 0; i < n && cands.n < (size_t)p->offer_max_items; i++) {
                if (!xs_cand_guard_ok(eng, c, 0, due[i].product, t)) {
                        eng->st.candidates_filtered++;
                        continue;
                }
                struct xs_cand *cd = &cands.c[cands.n++];
                memset(cd, 0, sizeof(*cd));
                cd->id = due[i].product;
                cd->name = xs_intern_str(eng->products, cd->id);
                /* days from the re-order time: the nearer, the higher */
                int64_t off = due[i].due > t ? due[i].due - t : t - due[i].due;
                cd->score = -(double)off / (double)XS_DAY_MS;
                cd->has_evidence = 1;
                cd->ev.reorder_interval_ms = due[i].interval;
                cd->ev.last_purchase_at = due[i].last;
                cd->ev.repeat_buyers = due[i].buyers;
        }
        c->reorder_at = t + ttl;
        xs_journey_reorder_arm(eng, c, t);
        struct draft d = {.type = XS_OFFER_BUY_AGAIN,
                          .channel = XS_CHANNEL_EMAIL,
                          .rule = rule,
                          .trigger_event_id = trigger,
                          .t = t,
                          .moment = 1 + (int)moment,
                          .score_kind = "reorder"};
        return offer_send(eng, c, &d, &cands);
}

/* 1 when a better grade of a product of category makes sense after a purchase: the category
 * is re-bought (xs_reorder_category: upsell.rebuy_min_share of its upsell.rebuy_min_buyers or
 * more buyers in reorder.window bought in it again). A skip is counted by its reason. */
static int rebought(struct xs_engine *eng, uint32_t category, int64_t t)
{
        const struct xs_params *p = eng->p;
        if (p->rebuy_min_share <= 0)
                return 1;
        int64_t repeat = 0;
        int64_t buyers = xs_reorder_category(eng, category, t, &repeat);
        if (buyers < p->rebuy_min_buyers) {
                eng->st.upsell_ladder_skipped_few_buyers++;
                return 0;
        }
        if ((double)repeat < p->rebuy_min_share * (double)buyers) {
                eng->st.upsell_ladder_skipped_not_rebought++;
                return 0;
        }
        return 1;
}

/* Post-purchase upsell (issue 9 item 10): a pricier copy of a durable good just bought is not
 * an upsell anyone takes. Of the order's offer.max_anchors priciest items (priciest first, ties
 * by position), the first that has explicit upgrade targets (add-ons among them) or whose
 * category is re-bought (rebought) is the anchor; its explicit targets, then, only when its
 * category is re-bought, its category's ladder (a better grade for the next purchase). An order
 * of durable goods with no explicit targets gets no upsell: their complements come by e-mail
 * (post_purchase_email_cross_sell). */
static void post_purchase_upsell(struct xs_engine *eng, struct xs_customer *c,
                                 const struct xs_event *ev, const uint32_t *items, size_t n,
                                 int64_t order_value)
{
        int64_t last_price = INT64_MAX;
        long last_pos = -1;
        for (int64_t tried = 0; tried < eng->p->offer_max_anchors; tried++) {
                /* the next priciest after the previous anchor (price descending, then position) */
                long best = -1;
                int64_t best_price = -2;
                for (size_t i = 0; i < n; i++) {
                        const struct xs_cat_product *pr = xs_catalog_get(eng->catalog, items[i]);
                        int64_t price = pr ? pr->price : -1;
                        int after =
                            price < last_price || (price == last_price && (long)i > last_pos);
                        if (after && price > best_price) {
                                best = (long)i;
                                best_price = price;
                        }
                }
                if (best < 0)
                        return;
                last_price = best_price;
                last_pos = best;
                const struct xs_cat_product *a = xs_catalog_get(eng->catalog, items[best]);
                if (!a)
                        continue;
                int ladder = a->category && rebought(eng, a->category, ev->event_time);
                if (!ladder && !a->n_up)
                        continue;
                upsell(eng, c, items[best], ladder, ev->event_time, ev->event_id,
                       "post_purchase_upsell", order_value, 0);
                return;
        }
}

static void checkout(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev)
{
        const struct xs_params *p = eng->p;
        uint32_t anchors[XS_CART_MAX];
        size_t n = 0;
        for (uint16_t i = 0; i < c->n_cart; i++)
                anchors[n++] = c->cart[i].product;
        if (!n)
                return;
        int64_t value = xs_customer_cart_value(c);
        int64_t gap = p->free_shipping_threshold - value;
        const char *cur = c->currency;
        struct draft d = {.type = XS_OFFER_CROSS_SELL,
                          .channel = XS_CHANNEL_ONSITE,
                          .trigger_event_id = ev->event_id,
                          .anchor = priciest(eng, anchors, n),
                          .t = ev->event_time};
        if (p->free_shipping_threshold > 0 && gap > 0 && gap <= p->free_shipping_gap) {
                /* the gap filler: a complement whose price lifts the cart over the threshold */
                struct xs_cand_set fill = {.cap = 1}; /* only the best fills the gap */
                xs_cand_complements(eng, c, anchors, n, ev->event_time, gap, &fill);
                xs_cand_rank(eng, &fill, 0);
                if (fill.n) {
                        fill.n = 1;
                        d.rule = "free_shipping_gap_filler";
                        incentive(&d, XS_INC_FREE_SHIPPING, 0, p->free_shipping_threshold, gap, cur,
                                  0);
                        offer_send(eng, c, &d, &fill);
                        return;
                }
        }
        struct xs_cand_set cands = {0};
        xs_cand_complements(eng, c, anchors, n, ev->event_time, 0, &cands);
        xs_cand_rank(eng, &cands, 0);
        d.rule = "checkout_cross_sell";
        if (p->bundle_percent > 0)
                incentive(&d, XS_INC_BUNDLE_DISCOUNT, (int32_t)p->bundle_percent, 0, 0, cur, 0);
        offer_send(eng, c, &d, &cands);
}

static void purchase(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                     const uint32_t *items, size_t n)
{
        const struct xs_params *p = eng->p;
        if (!n)
                return;
        int64_t order_value = 0;
        for (size_t i = 0; i < ev->n_items; i++)
                if (ev->items[i].unit_price > 0)
                        order_value =
                            xs_money_add(order_value, xs_money_mul(ev->items[i].unit_price,
                                                                   ev->items[i].quantity));
        uint32_t anchor = priciest(eng, items, n);
        c->onboarding_offered = 0;
        post_purchase_upsell(eng, c, ev, items, n, order_value);
        struct xs_cand_set cands = {0};
        xs_cand_complements(eng, c, items, n, ev->event_time, 0, &cands);
        xs_cand_rank(eng, &cands, 0);
        struct draft d = {.type = XS_OFFER_CROSS_SELL,
                          .channel = XS_CHANNEL_EMAIL,
                          .rule = "post_purchase_email_cross_sell",
                          .trigger_event_id = ev->event_id,
                          .anchor = anchor,
                          .t = ev->event_time};
        if (p->coupon_percent > 0)
                incentive(&d, XS_INC_NEXT_PURCHASE_COUPON, (int32_t)p->coupon_percent, 0, 0,
                          c->currency, ev->event_time + p->coupon_valid);
        offer_send(eng, c, &d, &cands);
        /* the post-purchase e-mail also carries the re-orders due: an offer of its own with the
         * same trigger, which the e-mail downstream puts beside the complements */
        buy_again(eng, c, ev->event_time, ev->event_id, "post_purchase_email_buy_again",
                  XS_STAGE_PURCHASED);
}

static uint32_t last_purchased(const struct xs_customer *c)
{
        return c->n_hist ? c->hist[c->n_hist - 1].product : 0;
}

void xs_policy_on_event(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                        const uint32_t *items, size_t n)
{
        const struct xs_params *p = eng->p;
        int64_t t = ev->event_time;
        int onboarding = c->has_purchased && !c->value_realized && t < c->onboarding_until;
        switch (ev->type) {
        case XS_EV_PRODUCT_VIEW:
                if (c->stage == XS_STAGE_ONBOARDING && !c->onboarding_offered &&
                    t - c->last_purchase_at <= p->onboarding_complement_horizon) {
                        /* short-lived complements of what was just bought */
                        uint32_t bought[64] = {0};
                        size_t nb = 0;
                        for (uint16_t i = 0; i < c->n_hist && nb < 64; i++)
                                if (c->hist[i].t == c->last_purchase_at)
                                        bought[nb++] = c->hist[i].product;
                        struct xs_cand_set cands = {0};
                        xs_cand_complements(eng, c, bought, nb, t, 0, &cands);
                        xs_cand_rank(eng, &cands, 0);
                        struct draft d = {.type = XS_OFFER_CROSS_SELL,
                                          .channel = XS_CHANNEL_ONSITE,
                                          .rule = "onboarding_complement",
                                          .trigger_event_id = ev->event_id,
                                          .anchor = priciest(eng, bought, nb),
                                          .t = t};
                        if (offer_send(eng, c, &d, &cands))
                                c->onboarding_offered = 1;
                } else if (c->stage == XS_STAGE_BROWSING && p->browsing_offers && n) {
                        struct xs_cand_set cands = {0};
                        xs_cand_complements(eng, c, items, 1, t, 0, &cands);
                        xs_cand_rank(eng, &cands, 0);
                        struct draft d = {.type = XS_OFFER_CROSS_SELL,
                                          .channel = XS_CHANNEL_ONSITE,
                                          .rule = "browsing_cross_sell",
                                          .trigger_event_id = ev->event_id,
                                          .anchor = items[0],
                                          .t = t};
                        offer_send(eng, c, &d, &cands);
                }
                break;
        case XS_EV_ADD_TO_CART:
                if (!n)
                        break;
                if (onboarding) {
                        eng->st.offers_suppressed_onboarding++;
                        break;
                }
                upsell(eng, c, priciest(eng, items, n), 1, t, ev->event_id, "cart_upsell",
                       xs_customer_cart_value(c), 1);
                break;
        case XS_EV_CHECKOUT_START:
                checkout(eng, c, ev);
                break;
        case XS_EV_PURCHASE:
                xs_customer_lead_reset(c); /* the answer: the lead period is over */
                purchase(eng, c, ev, items, n);
                break;
        case XS_EV_USAGE_MILESTONE:
        case XS_EV_REFERRAL:
                if (c->stage == XS_STAGE_VALUE_REALIZED) {
                        uint32_t anchor = n ? items[0] : last_purchased(c);
                        if (anchor)
                                upsell(eng, c, anchor, 1, t, ev->event_id, "value_realized_upsell",
                                       0, 0);
                }
                break;
        default:
                break;
        }
}

void xs_policy_on_timer(struct xs_engine *eng, struct xs_customer *c, enum xs_timer_kind kind,
                        int64_t due)
{
        const struct xs_params *p = eng->p;
        switch (kind) {
        case XS_TIMER_CART: {
                if (!c->n_cart || c->stage != XS_STAGE_CART)
                        return;
                xs_journey_set_stage(eng, c, XS_STAGE_CART_ABANDONED, due, NULL, "cart_timeout");
                uint32_t ids[XS_CART_MAX];
                for (uint16_t i = 0; i < c->n_cart; i++)
                        ids[i] = c->cart[i].product;
                downsell(eng, c, priciest(eng, ids, c->n_cart), due, c->cart_event_id,
                         "cart_abandoned_downsell",
                         c->email_ok && c->subscribed ? XS_CHANNEL_EMAIL : XS_CHANNEL_ONSITE);
                return;
        }
        case XS_TIMER_ONBOARDING:
                if (c->stage == XS_STAGE_ONBOARDING)
                        xs_journey_set_stage(eng, c, XS_STAGE_BROWSING, due, NULL,
                                             "onboarding_end");
                return;
        case XS_TIMER_LEAD: {
                if (!c->subscribed || c->has_purchased || !c->email_ok || c->lead_done)
                        return;
                xs_journey_set_stage(eng, c, XS_STAGE_LEAD, due, NULL, "subscribed_no_purchase");
                if (c->n_lead >= p->lead_max_emails) {
                        /* journey.lead_max_emails e-mails and no purchase since the first (a
                         * purchase would have ended the period): the series stops, the timer is
                         * not re-armed; the customer stays a LEAD */
                        c->lead_done = 1;
                        eng->st.lead_stopped++;
                        return;
                }
                if (!c->lead_last_offer || due - c->lead_last_offer >= p->lead_interval)
                        lead_downsell(eng, c, due);
                xs_journey_timer_arm(eng, c, XS_TIMER_LEAD, due + p->lead_interval);
                return;
        }
        case XS_TIMER_REORDER:
                if (c->stage == XS_STAGE_BROWSING || c->stage == XS_STAGE_ONBOARDING ||
                    c->stage == XS_STAGE_PURCHASED)
                        xs_journey_set_stage(eng, c, XS_STAGE_REORDER_DUE, due, NULL,
                                             "reorder_due");
                if (!buy_again(eng, c, due, NULL, "reorder_due_buy_again", XS_STAGE_REORDER_DUE))
                        xs_journey_reorder_arm(eng, c, due);
                return;
        default:
                return;
        }
}

void xs_policy_attribute(struct xs_engine *eng, struct xs_customer *c, const struct xs_event *ev,
                         const uint32_t *items, size_t n)
{
        int64_t t = ev->event_time;
        uint16_t keep = 0;
        for (uint16_t i = 0; i < c->n_pending; i++) {
                struct xs_pending *pd = &c->pending[i];
                if (t > pending_end(pd))
                        continue; /* attribution and lifetime over: forget it */
                if (t < pd->created_at || t > pd->attribution_until) {
                        /* a late purchase made before the offer did not come from it; after
                         * the attribution window the offer only guards against repeats */
                        c->pending[keep++] = *pd;
                        continue;
                }
                uint32_t hit = 0;
                for (size_t j = 0; j < n && !hit; j++)
                        for (uint8_t k = 0; k < pd->n && !hit; k++)
                                if (pd->products[k] == items[j])
                                        hit = items[j];
                if (!hit) {
                        c->pending[keep++] = *pd;
                        continue;
                }
                struct xs_outcome o = {.offer_id = pd->offer_id,
                                       .customer_id = c->id,
                                       .type = (enum xs_offer_type)pd->type,
                                       .stage = (enum xs_stage)pd->stage,
                                       .product_id = xs_intern_str(eng->products, hit),
                                       .order_id = ev->order_id,
                                       .purchase_event_id = ev->event_id,
                                       .offer_created_at = pd->created_at,
                                       .converted_at = t,
                                       .control = pd->control};
                eng->st.outcomes++;
                if (pd->control)
                        eng->st.control_conversions[pd->type][pd->stage]++;
                else
                        eng->st.conversions[pd->type][pd->stage]++;
                if (eng->sink.outcome)
                        eng->sink.outcome(eng->sink.opaque, &o);
                /* converted offers are done: dropped from the pending list */
        }
        c->n_pending = keep;
}
