/*
 * Test fixture for engine tests: an engine with a small catalog (phones with a price ladder,
 * cases and chargers as complements), helpers that send events, and a sink that records what
 * the engine produced.
 */
#ifndef XS_ENGINE_FIXTURE_H
#define XS_ENGINE_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsell/xsell.h"

#define T0     1700000000000LL /* 2023-11-14 22:13:20 UTC */
#define MIN_MS 60000LL
#define HOUR   3600000LL
#define DAY    86400000LL

struct cap_offer {
        char offer_id[XS_OFFER_ID_LEN];
        char customer[64], rule[64], anchor[64], trigger[64];
        enum xs_offer_type type;
        enum xs_stage stage;
        enum xs_channel channel;
        size_t n;
        char items[XS_OFFER_MAX_ITEMS][64];
        int64_t prices[XS_OFFER_MAX_ITEMS];
        struct xs_evidence ev[XS_OFFER_MAX_ITEMS];
        double score[XS_OFFER_MAX_ITEMS];
        char category[XS_OFFER_MAX_ITEMS][32], category_label[XS_OFFER_MAX_ITEMS][32];
        char addon[XS_OFFER_MAX_ITEMS][32]; /* "" when not an add-on */
        size_t n_inc;
        struct xs_incentive inc[XS_OFFER_MAX_INCENTIVES];
        int64_t created_at, expires_at, cart_value;
        char score_kind[16];
};

struct cap_signal {
        char customer[64];
        enum xs_stage from, to;
        char reason[64];
        int64_t t;
};

struct capture {
        struct cap_offer offers[4096];
        size_t n_offers;
        struct cap_signal signals[4096];
        size_t n_signals;
        struct xs_outcome outcomes[256];
        char outcome_offer[256][XS_OFFER_ID_LEN];
        char outcome_product[256][64];
        size_t n_outcomes;
};

static struct capture cap;
static int event_seq;

static void cap_offer_cb(void *opaque, const struct xs_offer *o)
{
        (void)opaque;
        if (cap.n_offers == sizeof(cap.offers) / sizeof(cap.offers[0]))
                return;
        struct cap_offer *c = &cap.offers[cap.n_offers++];
        memset(c, 0, sizeof(*c));
        memcpy(c->offer_id, o->offer_id, sizeof(c->offer_id));
        snprintf(c->customer, sizeof(c->customer), "%s", o->customer_id);
        snprintf(c->rule, sizeof(c->rule), "%s", o->rule);
        snprintf(c->anchor, sizeof(c->anchor), "%s",
                 o->anchor_product_id ? o->anchor_product_id : "");
        snprintf(c->trigger, sizeof(c->trigger), "%s", o->trigger_event_id);
        snprintf(c->score_kind, sizeof(c->score_kind), "%s", o->score_kind);
        c->type = o->type;
        c->stage = o->stage;
        c->channel = o->channel;
        c->n = o->n_items;
        for (size_t i = 0; i < o->n_items; i++) {
                snprintf(c->items[i], sizeof(c->items[i]), "%s", o->items[i].product_id);
                c->prices[i] = o->items[i].price;
                c->ev[i] = o->items[i].evidence;
                c->score[i] = o->items[i].score;
                snprintf(c->category[i], sizeof(c->category[i]), "%s",
                         o->items[i].category ? o->items[i].category : "");
                snprintf(c->category_label[i], sizeof(c->category_label[i]), "%s",
                         o->items[i].category_label ? o->items[i].category_label : "");
                snprintf(c->addon[i], sizeof(c->addon[i]), "%s",
                         o->items[i].addon ? o->items[i].addon : "");
        }
        c->n_inc = o->n_incentives;
        memcpy(c->inc, o->incentives, sizeof(c->inc));
        c->created_at = o->created_at;
        c->expires_at = o->expires_at;
        c->cart_value = o->cart_value;
}

static void cap_signal_cb(void *opaque, const struct xs_signal *s)
{
        (void)opaque;
        if (cap.n_signals == sizeof(cap.signals) / sizeof(cap.signals[0]))
                return;
        struct cap_signal *c = &cap.signals[cap.n_signals++];
        snprintf(c->customer, sizeof(c->customer), "%s", s->customer_id);
        c->from = s->from;
        c->to = s->to;
        snprintf(c->reason, sizeof(c->reason), "%s", s->reason);
        c->t = s->event_time;
}

static void cap_outcome_cb(void *opaque, const struct xs_outcome *o)
{
        (void)opaque;
        if (cap.n_outcomes == 256)
                return;
        cap.outcomes[cap.n_outcomes] = *o;
        snprintf(cap.outcome_offer[cap.n_outcomes], XS_OFFER_ID_LEN, "%s", o->offer_id);
        snprintf(cap.outcome_product[cap.n_outcomes], 64, "%s", o->product_id);
        cap.n_outcomes++;
}

struct fx_product {
        const char *id, *category, *brand;
        int64_t price;
        int in_stock;
};

/* phones: a ladder around p100 (100.00); cases and chargers are complements of phones */
static const struct fx_product fx_catalog[] = {
    {"p030", "phone", "acme", 3000, 1},  {"p070", "phone", "acme", 7000, 1},
    {"p085", "phone", "zed", 8500, 1},   {"p100", "phone", "acme", 10000, 1},
    {"p150", "phone", "acme", 15000, 1}, {"p180", "phone", "zed", 18000, 1},
    {"p250", "phone", "acme", 25000, 1}, {"case1", "case", "acme", 1500, 1},
    {"case2", "case", "zed", 2500, 1},   {"chg1", "charger", "acme", 2000, 1},
    {"cable", "charger", "zed", 900, 1}, {"mug", "kitchen", "home", 1200, 1},
    {"pan", "kitchen", "home", 3500, 1}, {"oos", "case", "acme", 1800, 0},
};

static const struct fx_product *fx_find(const char *id)
{
        for (size_t i = 0; i < sizeof(fx_catalog) / sizeof(fx_catalog[0]); i++)
                if (!strcmp(fx_catalog[i].id, id))
                        return &fx_catalog[i];
        return NULL;
}

static struct xs_engine *fx_engine(const char *const *settings)
{
        char err[256];
        struct xs_conf *conf = xs_conf_new();
        /* no control group unless a test asks: offers must be visible */
        xs_conf_set(conf, "control.share", "0", err, sizeof(err));
        /* no bound on event time ahead of the stream unless a test asks: the tests' sparse
         * streams of one or two customers jump months in one step */
        xs_conf_set(conf, "event.max_ahead", "0", err, sizeof(err));
        for (; settings && *settings; settings++) {
                char key[128];
                const char *eq = strchr(*settings, '=');
                snprintf(key, sizeof(key), "%.*s", (int)(eq - *settings), *settings);
                if (xs_conf_set(conf, key, eq + 1, err, sizeof(err)) != XS_OK) {
                        fprintf(stderr, "fixture: %s\n", err);
                        abort();
                }
        }
        struct xs_sink sink = {cap_offer_cb, cap_signal_cb, cap_outcome_cb, NULL};
        struct xs_engine *eng = xs_engine_new(conf, &sink, err, sizeof(err));
        xs_conf_destroy(conf);
        if (!eng) {
                fprintf(stderr, "fixture: %s\n", err);
                abort();
        }
        for (size_t i = 0; i < sizeof(fx_catalog) / sizeof(fx_catalog[0]); i++) {
                struct xs_product p = {.product_id = fx_catalog[i].id,
                                       .category = fx_catalog[i].category,
                                       .brand = fx_catalog[i].brand,
                                       .price = fx_catalog[i].price,
                                       .currency = "EUR",
                                       .in_stock = fx_catalog[i].in_stock};
                xs_engine_catalog_put(eng, &p, err, sizeof(err));
        }
        memset(&cap, 0, sizeof(cap));
        return eng;
}

/* Sends one event; items are product ids (NULL-terminated varargs), priced from the catalog.
 * Returns the engine's result. */
static xs_err_t fx_send(struct xs_engine *eng, enum xs_event_type type, const char *customer,
                        int64_t t, const char *order, ...)
{
        struct xs_line_item items[64];
        size_t n = 0;
        va_list ap;
        va_start(ap, order);
        const char *id;
        while ((id = va_arg(ap, const char *)) != NULL && n < 64) {
                const struct fx_product *p = fx_find(id);
                items[n].product_id = id;
                items[n].quantity = 1;
                items[n].unit_price = p ? p->price : 500;
                items[n].category = NULL;
                items[n].brand = NULL;
                items[n].category_label = NULL;
                n++;
        }
        va_end(ap);
        char eid[32];
        snprintf(eid, sizeof(eid), "e%d", ++event_seq);
        struct xs_event ev = {.event_id = eid,
                              .customer_id = customer,
                              .session_id = "s",
                              .event_time = t,
                              .type = type,
                              .items = items,
                              .n_items = n,
                              .currency = "EUR",
                              .order_id = order};
        char err[256];
        return xs_engine_process(eng, &ev, err, sizeof(err));
}

/* Trains complements: many orders of phone + case, phone + charger; noise orders of kitchen
 * items so that the pairs are significant. Customers "train<i>", from T0 - 3 days. */
__attribute__((unused)) static void fx_train(struct xs_engine *eng)
{
        char cust[32], order[32];
        int64_t t = T0 - 3 * DAY;
        for (int i = 0; i < 30; i++) {
                snprintf(cust, sizeof(cust), "train%d", i);
                snprintf(order, sizeof(order), "o%d", i);
                const char *phone = i % 2 ? "p100" : "p150";
                if (i % 3 == 0)
                        fx_send(eng, XS_EV_PURCHASE, cust, t, order, phone, "case1", "chg1", NULL);
                else if (i % 3 == 1)
                        fx_send(eng, XS_EV_PURCHASE, cust, t, order, phone, "case1", NULL);
                else
                        fx_send(eng, XS_EV_PURCHASE, cust, t, order, phone, "chg1", NULL);
                t += MIN_MS;
                snprintf(cust, sizeof(cust), "kitchen%d", i);
                snprintf(order, sizeof(order), "k%d", i);
                fx_send(eng, XS_EV_PURCHASE, cust, t, order, "mug", "pan", NULL);
                t += MIN_MS;
        }
        memset(&cap, 0, sizeof(cap));
}

__attribute__((unused)) static size_t fx_count(enum xs_offer_type type, const char *customer)
{
        size_t n = 0;
        for (size_t i = 0; i < cap.n_offers; i++)
                if (cap.offers[i].type == type &&
                    (!customer || !strcmp(cap.offers[i].customer, customer)))
                        n++;
        return n;
}

__attribute__((unused)) static const struct cap_offer *fx_last(const char *customer)
{
        for (size_t i = cap.n_offers; i-- > 0;)
                if (!customer || !strcmp(cap.offers[i].customer, customer))
                        return &cap.offers[i];
        return NULL;
}

__attribute__((unused)) static int fx_has_item(const struct cap_offer *o, const char *id)
{
        for (size_t i = 0; i < o->n; i++)
                if (!strcmp(o->items[i], id))
                        return 1;
        return 0;
}

#endif
