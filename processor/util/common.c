/*
 * Names of the domain enums (the Avro enum symbols) and error classification.
 */
#include <string.h>

#include "xsell/common.h"
#include "xsell/stats.h"

static const char *const err_names[XS_ERR_COUNT] = {
    "OK", "CONF", "INVALID", "DECODE", "NOMEM", "IO", "RETRY", "NOT_FOUND", "FATAL",
};

static const char *const event_type_names[XS_EV_COUNT] = {
    "PRODUCT_VIEW", "ADD_TO_CART",     "REMOVE_FROM_CART", "CHECKOUT_START",
    "PURCHASE",     "SUBSCRIBE",       "UNSUBSCRIBE",      "USAGE_MILESTONE",
    "REFERRAL",     "OFFER_DISMISSED", "FORGET",           "UNKNOWN",
};

static const char *const stage_names[XS_STAGE_COUNT] = {
    "BROWSING",   "UNDECIDED",      "CART",           "CHECKOUT", "PURCHASED",
    "ONBOARDING", "VALUE_REALIZED", "CART_ABANDONED", "LEAD",     "REORDER_DUE",
};

static const char *const offer_type_names[XS_OFFER_COUNT] = {"CROSS_SELL", "UPSELL", "DOWNSELL",
                                                             "BUY_AGAIN"};
static const char *const channel_names[XS_CHANNEL_COUNT] = {"ONSITE", "EMAIL"};
static const char *const incentive_names[XS_INC_COUNT] = {
    "PERCENT_OFF", "FREE_SHIPPING", "BUNDLE_DISCOUNT", "NEXT_PURCHASE_COUPON"};
static const char *const relation_names[XS_REL_COUNT] = {"order", "customer", "cart", "view",
                                                         "view_buy"};

#define NAME_OF(table, v)                                                                          \
        ((unsigned)(v) < sizeof(table) / sizeof(table[0]) ? table[(unsigned)(v)] : "?")

const char *xs_err_name(xs_err_t err)
{
        return NAME_OF(err_names, err);
}

xs_err_action_t xs_err_action(xs_err_t err)
{
        switch (err) {
        case XS_OK:
        case XS_ERR_NOT_FOUND:
                return XS_ACTION_NONE;
        case XS_ERR_RETRY:
        case XS_ERR_IO:
                return XS_ACTION_RETRY;
        case XS_ERR_INVALID:
        case XS_ERR_DECODE:
                return XS_ACTION_DEAD_LETTER;
        default:
                return XS_ACTION_STOP;
        }
}

const char *xs_event_type_name(enum xs_event_type t)
{
        return NAME_OF(event_type_names, t);
}
const char *xs_stage_name(enum xs_stage s)
{
        return NAME_OF(stage_names, s);
}
const char *xs_offer_type_name(enum xs_offer_type t)
{
        return NAME_OF(offer_type_names, t);
}
const char *xs_channel_name(enum xs_channel c)
{
        return NAME_OF(channel_names, c);
}
const char *xs_incentive_kind_name(enum xs_incentive_kind k)
{
        return NAME_OF(incentive_names, k);
}
const char *xs_relation_name(enum xs_relation r)
{
        return NAME_OF(relation_names, r);
}

static int parse_in(const char *const *table, int n, const char *name)
{
        if (!name)
                return -1;
        for (int i = 0; i < n; i++)
                if (strcmp(table[i], name) == 0)
                        return i;
        return -1;
}

int xs_event_type_parse(const char *name)
{
        return parse_in(event_type_names, XS_EV_COUNT, name);
}
int xs_stage_parse(const char *name)
{
        return parse_in(stage_names, XS_STAGE_COUNT, name);
}
int xs_offer_type_parse(const char *name)
{
        return parse_in(offer_type_names, XS_OFFER_COUNT, name);
}

void xs_stats_foreach(const struct xs_stats *st,
                      void (*cb)(void *opaque, const char *name, const char *kind, const char *help,
                                 uint64_t value),
                      void *opaque)
{
#define XS_STATS_VISIT(name, kind, help) cb(opaque, #name, #kind, help, st->name);
        XS_STATS_SCALARS(XS_STATS_VISIT)
#undef XS_STATS_VISIT
}
