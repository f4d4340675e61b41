/*
 * The synthetic event generator (gen.h).
 *
 * Model, per the public data sets (REES46: ~97% views, carts rare, direct purchases exist,
 * popularity very skewed; Online Retail / Groceries: multi-item baskets with real
 * co-occurrence):
 * - catalog: categories with a base price, 4 grades (0.55x, 1x, 1.6x, 2.6x) and 3-6 brands;
 *   products spread over categories by a Zipf weight; ~15% have explicit upgrade / downgrade
 *   targets (next grade up / down in the category); ~4% out of stock; ~1% retired
 *   (tombstones at the end of the catalog).
 * - complementary categories (smartphone -> case, charger, headphones; notebook -> mouse,
 *   bag; ...): cart add-ons and the next session of a buyer come from them.
 * - sessions arrive as a Poisson process with a daily cycle, for a customer drawn by Zipf
 *   activity; each session follows a plan drawn at its start: browse, undecided (many views in
 *   one category), cart (adds, maybe a removal, checkout in ~38%, purchase in ~82% of those:
 *   ~70% of carts abandoned), direct purchase, or for "lead" customers (6%, never buy)
 *   subscribe. Purchases schedule USAGE_MILESTONE (35%, 3-21 days later) and REFERRAL (8%,
 *   7-40 days); subscriptions an UNSUBSCRIBE (20%); OFFER_DISMISSED after 4% of cart adds;
 *   FORGET ends 0.05% of sessions.
 *
 * Everything pending is a task in one binary heap ordered by (time, sequence), so events come
 * out in non-decreasing time and ties are broken by creation order: the output depends only on
 * the configuration. One RNG (xoshiro256**) is drawn from in heap order.
 *
 * One file: the catalog, the sessions and the follow-ups are one model drawn from one RNG
 * stream in one order over one struct xs_gen (the output of a seed is that order of draws);
 * splitting it would expose the struct and the RNG to other files without making any part
 * simpler.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/gen.h"
#include "io/text.h"

#define START_MS        1709251200000LL /* 2024-03-01 00:00:00 UTC */
#define N_GRADES        4
#define EVENTS_PER_SESS 3.4 /* measured average, used to set the arrival rate */
#define MAX_SESSIONS    (1u << 20)

/* ---- random numbers ---- */

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

struct rng {
        uint64_t s[4];
};

static uint64_t rng_u64(struct rng *r)
{
        uint64_t *s = r->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

static double rng_unit(struct rng *r) /* [0, 1) */
{
        return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
        return n ? (uint32_t)(rng_u64(r) % n) : 0;
}

static int rng_chance(struct rng *r, double p)
{
        return rng_unit(r) < p;
}

static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi) /* [lo, hi] */
{
        return lo + (int64_t)(rng_u64(r) % (uint64_t)(hi - lo + 1));
}

/* Exponential with the given mean, in ms, at least lo. */
static int64_t rng_exp_ms(struct rng *r, double mean_ms, int64_t lo)
{
        double v = -mean_ms * log(1.0 - rng_unit(r));
        if (v > 1e12)
                v = 1e12;
        return lo + (int64_t)v;
}

/* Zipf by a cumulative weight table: index < n. */
static uint32_t zipf_pick(struct rng *r, const double *cum, uint32_t n)
{
        double u = rng_unit(r) * cum[n - 1];
        uint32_t lo = 0, hi = n - 1;
        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (cum[mid] > u)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return lo;
}

static void zipf_fill(double *cum, uint32_t n, double s)
{
        double acc = 0;
        for (uint32_t i = 0; i < n; i++) {
                acc += 1.0 / pow((double)(i + 1), s);
                cum[i] = acc;
        }
}

/* ---- catalog model ---- */

struct cat_def {
        const char *name;
        int64_t base; /* cents, grade 1 */
        const char *complements[3];
};

static const struct cat_def cat_defs[] = {
    {"electronics.smartphone",
     30000,
     {"accessories.phone_case", "electronics.charger", "electronics.audio.headphone"}},
    {"accessories.phone_case", 1500, {"electronics.charger"}},
    {"electronics.charger", 2000, {"accessories.phone_case"}},
    {"electronics.audio.headphone", 8000, {"electronics.charger"}},
    {"computers.notebook",
     80000,
     {"computers.peripherals.mouse", "accessories.bag", "electronics.audio.headphone"}},
    {"computers.peripherals.mouse", 2500, {"computers.peripherals.keyboard"}},
    {"accessories.bag", 4000, {"computers.peripherals.mouse"}},
    {"computers.peripherals.keyboard", 5000, {"computers.peripherals.mouse"}},
    {"electronics.video.tv",
     60000,
     {"electronics.audio.soundbar", "furniture.living_room.tv_stand"}},
    {"electronics.audio.soundbar", 25000, {"furniture.living_room.tv_stand"}},
    {"furniture.living_room.tv_stand", 15000, {"electronics.audio.soundbar"}},
    {"appliances.kitchen.coffee_machine",
     20000,
     {"food.coffee_beans", "appliances.kitchen.descaler"}},
    {"food.coffee_beans", 1200, {"appliances.kitchen.descaler"}},
    {"appliances.kitchen.descaler", 900, {"food.coffee_beans"}},
    {"sport.bicycle", 50000, {"sport.helmet", "sport.bike_lock"}},
    {"sport.helmet", 6000, {"sport.bike_lock"}},
    {"sport.bike_lock", 3000, {"sport.helmet"}},
    {"electronics.camera.photo", 45000, {"electronics.memory_card", "accessories.camera_bag"}},
    {"electronics.memory_card", 2500, {"accessories.camera_bag"}},
    {"accessories.camera_bag", 4500, {"electronics.memory_card"}},
    {"apparel.shoes.running", 9000, {"apparel.socks"}},
    {"apparel.socks", 1000, {"apparel.shoes.running"}},
    {"kids.toys.console", 35000, {"kids.toys.game"}},
    {"kids.toys.game", 5000, {"kids.toys.console"}},
};
#define N_CAT_DEFS (sizeof(cat_defs) / sizeof(cat_defs[0]))

static const char *const brand_names[] = {
    "samsung", "apple",    "xiaomi", "huawei",  "lenovo",   "hp",    "asus",   "acer",
    "sony",    "lg",       "bosch",  "philips", "delonghi", "nike",  "adidas", "canon",
    "nikon",   "logitech", "jbl",    "anker",   "trek",     "giant", "lego",   "nintendo",
};
#define N_BRANDS (sizeof(brand_names) / sizeof(brand_names[0]))

static const int grade_pct[N_GRADES] = {55, 100, 160, 260};
/* Sessions per hour of day (UTC), relative. */
static const double hour_weight[24] = {3,  2,  1,  1,  1,  2,  4,  6,  8,  9, 10, 10,
                                       10, 10, 10, 10, 10, 11, 12, 13, 12, 9, 6,  4};

struct gcat {
        char *name;
        char id[24]; /* REES46-style numeric category_id */
        int64_t base;
        uint32_t complements[3];
        uint32_t n_complements;
        const char *brands[6];
        uint32_t n_brands;
        uint32_t first, count; /* slice of gen->cat_products / gen->prod_cum */
};

struct gprod {
        char id[12];
        uint32_t cat;
        uint8_t grade;
        uint8_t in_stock;
        uint8_t retired;
        const char *brand;
        int64_t price;
        const char *upgrade;   /* or NULL */
        const char *downgrade; /* or NULL */
};

/* ---- tasks and sessions ---- */

enum task_kind { T_ARRIVAL, T_SESSION, T_MILESTONE, T_REFERRAL, T_UNSUBSCRIBE };

struct task {
        int64_t t;
        uint64_t seq;
        uint32_t kind;
        uint32_t a; /* session slot or customer */
        uint32_t b; /* product */
};

enum plan { P_BROWSE, P_UNDECIDED, P_CART, P_DIRECT, P_LEAD };
enum phase {
        PH_VIEW,
        PH_CVIEW, /* view of a complementary product before adding it */
        PH_ADD,
        PH_DISMISS,
        PH_REMOVE,
        PH_CHECKOUT,
        PH_PURCHASE,
        PH_SUBSCRIBE,
        PH_FORGET,
        PH_DONE
};

struct session {
        uint32_t customer;
        uint64_t number;
        uint32_t cat;
        uint32_t last_view;
        uint8_t plan, phase;
        uint16_t views_left;
        uint8_t adds_left, will_remove, will_checkout, will_buy;
        uint8_t n_cart;
        uint32_t cart[XS_GEN_MAX_CART];
        int32_t qty[XS_GEN_MAX_CART];
        char sid[40];
        uint32_t next_free;
};

#define CUST_LEAD       1u
#define CUST_SUBSCRIBED 2u

struct xs_gen {
        struct xs_gen_conf conf;
        struct rng rng;
        uint32_t n_cats;
        struct gcat *cats;
        double *cat_cum;
        struct gprod *prods;
        uint32_t *cat_products; /* product indexes grouped by category */
        double *prod_cum;       /* per-category cumulative Zipf weights, same layout */
        size_t n_retired;
        uint32_t *retired;
        double *cust_cum;
        uint8_t *cust_flags;
        int32_t *cust_last_cat; /* category of the last purchase, -1 none */
        struct task *heap;
        size_t n_heap, cap_heap;
        uint64_t seq;
        struct session *sessions;
        uint32_t n_sessions_alloc, free_session; /* free list through next_free, UINT32_MAX end */
        double arrival_rate_max;                 /* sessions per ms at the busiest hour */
        uint64_t n_sessions, n_orders, n_events, dropped;
        uint64_t per_type[XS_EV_COUNT];
        /* the current event */
        char event_id[32], customer_id[16], order_id[24], offer_id[40];
        struct xs_line_item items[XS_GEN_MAX_CART];
        uint32_t item_prod[XS_GEN_MAX_CART];
};

void xs_gen_conf_defaults(struct xs_gen_conf *conf)
{
        conf->seed = 1;
        conf->customers = 10000;
        conf->products = 2000;
        conf->categories = (uint32_t)N_CAT_DEFS;
        conf->days = 30;
        conf->events = 100000;
}

/* ---- heap ---- */

static int task_less(const struct task *a, const struct task *b)
{
        return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int heap_push(struct xs_gen *g, int64_t t, uint32_t kind, uint32_t a, uint32_t b)
{
        if (g->n_heap == g->cap_heap) {
                size_t cap = g->cap_heap * 2;
                struct task *heap =
                    cap <= XS_GEN_MAX_TASKS ? realloc(g->heap, cap * sizeof(*heap)) : NULL;
                if (!heap) {
                        g->dropped++; /* over the bound: the follow-up is not made */
                        return -1;
                }
                g->heap = heap;
                g->cap_heap = cap;
        }
        struct task tk = {t, g->seq++, kind, a, b};
        size_t i = g->n_heap++;
        while (i > 0) {
                size_t parent = (i - 1) / 2;
                if (!task_less(&tk, &g->heap[parent]))
                        break;
                g->heap[i] = g->heap[parent];
                i = parent;
        }
        g->heap[i] = tk;
        return 0;
}

static struct task heap_pop(struct xs_gen *g)
{
        struct task top = g->heap[0];
        struct task last = g->heap[--g->n_heap];
        size_t i = 0, n = g->n_heap;
        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= n)
                        break;
                if (c + 1 < n && task_less(&g->heap[c + 1], &g->heap[c]))
                        c++;
                if (!task_less(&g->heap[c], &last))
                        break;
                g->heap[i] = g->heap[c];
                i = c;
        }
        if (n)
                g->heap[i] = last;
        return top;
}

/* ---- building ---- */

static uint32_t cat_by_name(const struct xs_gen *g, const char *name)
{
        for (uint32_t i = 0; i < g->n_cats; i++)
                if (strcmp(g->cats[i].name, name) == 0)
                        return i;
        return UINT32_MAX;
}

static int build_catalog(struct xs_gen *g)
{
        struct rng *r = &g->rng;
        uint32_t nc = g->n_cats, np = g->conf.products;
        g->cats = calloc(nc, sizeof(*g->cats));
        g->cat_cum = calloc(nc, sizeof(*g->cat_cum));
        g->prods = calloc(np, sizeof(*g->prods));
        g->cat_products = calloc(np, sizeof(*g->cat_products));
        g->prod_cum = calloc(np, sizeof(*g->prod_cum));
        g->retired = calloc(np / 50 + 1, sizeof(*g->retired));
        if (!g->cats || !g->cat_cum || !g->prods || !g->cat_products || !g->prod_cum || !g->retired)
                return -1;
        for (uint32_t c = 0; c < nc; c++) {
                struct gcat *gc = &g->cats[c];
                char buf[48];
                if (c < N_CAT_DEFS) {
                        gc->name = strdup(cat_defs[c].name);
                        gc->base = cat_defs[c].base;
                } else {
                        snprintf(buf, sizeof(buf), "generic.category_%u", c);
                        gc->name = strdup(buf);
                        /* log-uniform 5 .. 500 EUR */
                        gc->base = (int64_t)(500.0 * pow(100.0, rng_unit(r)));
                }
                if (!gc->name)
                        return -1;
                snprintf(gc->id, sizeof(gc->id), "%llu",
                         2053013552000000000ull + (unsigned long long)c * 104729ull);
                gc->n_brands = 3 + rng_below(r, 4);
                for (uint32_t b = 0; b < gc->n_brands; b++)
                        gc->brands[b] = brand_names[rng_below(r, (uint32_t)N_BRANDS)];
        }
        for (uint32_t c = 0; c < nc; c++) {
                struct gcat *gc = &g->cats[c];
                if (c < N_CAT_DEFS) {
                        for (int k = 0; k < 3 && cat_defs[c].complements[k]; k++) {
                                uint32_t o = cat_by_name(g, cat_defs[c].complements[k]);
                                if (o != UINT32_MAX)
                                        gc->complements[gc->n_complements++] = o;
                        }
                } else if (nc > 1) {
                        uint32_t n = 1 + rng_below(r, 2);
                        for (uint32_t k = 0; k < n; k++) {
                                uint32_t o = rng_below(r, nc);
                                if (o != c)
                                        gc->complements[gc->n_complements++] = o;
                        }
                }
        }
        /* products to categories: one each first, the rest by category popularity */
        zipf_fill(g->cat_cum, nc, 0.7);
        uint32_t *count = calloc(nc, sizeof(*count));
        uint32_t *assign = calloc(np, sizeof(*assign));
        if (!count || !assign) {
                free(count);
                free(assign);
                return -1;
        }
        for (uint32_t p = 0; p < np; p++) {
                assign[p] = p < nc ? p : zipf_pick(r, g->cat_cum, nc);
                count[assign[p]]++;
        }
        uint32_t off = 0;
        for (uint32_t c = 0; c < nc; c++) {
                g->cats[c].first = off;
                off += count[c];
                count[c] = 0;
        }
        for (uint32_t p = 0; p < np; p++) {
                struct gcat *gc = &g->cats[assign[p]];
                struct gprod *gp = &g->prods[p];
                g->cat_products[gc->first + gc->count++] = p;
                snprintf(gp->id, sizeof(gp->id), "%u", 1000000u + p);
                gp->cat = assign[p];
                gp->grade = (uint8_t)rng_below(r, N_GRADES);
                gp->brand = gc->brands[rng_below(r, gc->n_brands)];
                int64_t cents = gc->base * grade_pct[gp->grade] / 100;
                cents = cents * (90 + rng_below(r, 21)) / 100;
                gp->price = cents < 100 ? 99 : (cents / 100) * 100 - 1; /* x.99 */
                gp->in_stock = !rng_chance(r, 0.04);
                gp->retired = rng_chance(r, 0.01);
                if (gp->retired)
                        g->retired[g->n_retired++] = p;
        }
        free(count);
        free(assign);
        for (uint32_t c = 0; c < nc; c++) {
                struct gcat *gc = &g->cats[c];
                zipf_fill(g->prod_cum + gc->first, gc->count, 1.0);
                /* explicit upgrade / downgrade: the cheapest product of the next grade up, the
                 * dearest of the next grade down */
                for (uint32_t i = 0; i < gc->count; i++) {
                        struct gprod *gp = &g->prods[g->cat_products[gc->first + i]];
                        if (!rng_chance(r, 0.15))
                                continue;
                        const struct gprod *up = NULL, *down = NULL;
                        for (uint32_t j = 0; j < gc->count; j++) {
                                const struct gprod *o = &g->prods[g->cat_products[gc->first + j]];
                                if (o->grade == gp->grade + 1 && (!up || o->price < up->price))
                                        up = o;
                                if (o->grade + 1 == gp->grade && (!down || o->price > down->price))
                                        down = o;
                                if (j > 64)
                                        break; /* bounded work per product */
                        }
                        gp->upgrade = up ? up->id : NULL;
                        gp->downgrade = down ? down->id : NULL;
                }
        }
        return 0;
}

static void schedule_arrival(struct xs_gen *g, int64_t now)
{
        struct rng *r = &g->rng;
        double wmax = 13.0;
        int64_t t = now;
        for (int tries = 0; tries < 1000; tries++) {
                t += rng_exp_ms(r, 1.0 / g->arrival_rate_max, 0);
                int hour = (int)(((t - START_MS) / 3600000) % 24);
                if (rng_chance(r, hour_weight[hour] / wmax))
                        break;
        }
        heap_push(g, t, T_ARRIVAL, 0, 0);
}

struct xs_gen *xs_gen_new(const struct xs_gen_conf *conf, char *errstr, size_t errstr_size)
{
        if (conf->customers < 1 || conf->customers > 10000000 || conf->products < 1 ||
            conf->products > 10000000 || conf->categories < 1 || conf->categories > 1000 ||
            conf->days < 1 || conf->days > 3650) {
                snprintf(errstr, errstr_size,
                         "generate: customers and products must be 1..10000000, categories "
                         "1..1000, days 1..3650");
                return NULL;
        }
        struct xs_gen *g = calloc(1, sizeof(*g));
        if (!g)
                goto nomem;
        g->conf = *conf;
        g->n_cats = conf->categories < conf->products ? conf->categories : conf->products;
        uint64_t x = conf->seed;
        for (int i = 0; i < 4; i++)
                g->rng.s[i] = splitmix64(&x);
        if (build_catalog(g) != 0)
                goto nomem;
        uint32_t nc = conf->customers;
        g->cust_cum = calloc(nc, sizeof(*g->cust_cum));
        g->cust_flags = calloc(nc, sizeof(*g->cust_flags));
        g->cust_last_cat = malloc(nc * sizeof(*g->cust_last_cat));
        g->cap_heap = 1024;
        g->heap = malloc(g->cap_heap * sizeof(*g->heap));
        if (!g->cust_cum || !g->cust_flags || !g->cust_last_cat || !g->heap)
                goto nomem;
        zipf_fill(g->cust_cum, nc, 0.6);
        for (uint32_t c = 0; c < nc; c++) {
                g->cust_last_cat[c] = -1;
                if (rng_chance(&g->rng, 0.06))
                        g->cust_flags[c] |= CUST_LEAD;
        }
        g->free_session = UINT32_MAX;
        /* sessions per ms at the busiest hour, so that the events span about conf->days */
        double mean_w = 0;
        for (int h = 0; h < 24; h++)
                mean_w += hour_weight[h] / 24.0;
        double sessions = (double)conf->events / EVENTS_PER_SESS;
        double rate = sessions / ((double)conf->days * 86400000.0);
        g->arrival_rate_max = rate * 13.0 / mean_w;
        if (g->arrival_rate_max <= 0)
                g->arrival_rate_max = 1e-9;
        schedule_arrival(g, START_MS);
        return g;
nomem:
        snprintf(errstr, errstr_size, "generate: out of memory");
        xs_gen_destroy(g);
        return NULL;
}

void xs_gen_destroy(struct xs_gen *g)
{
        if (!g)
                return;
        for (uint32_t c = 0; g->cats && c < g->n_cats; c++)
                free(g->cats[c].name);
        free(g->cats);
        free(g->cat_cum);
        free(g->prods);
        free(g->cat_products);
        free(g->prod_cum);
        free(g->retired);
        free(g->cust_cum);
        free(g->cust_flags);
        free(g->cust_last_cat);
        free(g->heap);
        free(g->sessions);
        free(g);
}

size_t xs_gen_catalog_size(const struct xs_gen *g)
{
        return g->conf.products + g->n_retired;
}

void xs_gen_catalog_record(const struct xs_gen *g, size_t i, struct xs_product *p, int *tombstone)
{
        const struct gprod *gp;
        memset(p, 0, sizeof(*p));
        *tombstone = i >= g->conf.products;
        gp = &g->prods[*tombstone ? g->retired[i - g->conf.products] : i];
        p->product_id = gp->id;
        p->category = g->cats[gp->cat].name;
        p->brand = gp->brand;
        p->price = gp->price;
        strcpy(p->currency, "EUR");
        p->in_stock = gp->in_stock;
        p->upgrades = gp->upgrade ? &gp->upgrade : NULL;
        p->n_upgrades = gp->upgrade ? 1 : 0;
        p->downgrades = gp->downgrade ? &gp->downgrade : NULL;
        p->n_downgrades = gp->downgrade ? 1 : 0;
}

uint64_t xs_gen_count(const struct xs_gen *g, int type)
{
        if (type < 0 || type >= XS_EV_COUNT)
                return g->n_events;
        return g->per_type[type];
}

/* ---- sessions ---- */

static uint32_t pick_product(struct xs_gen *g, uint32_t cat)
{
        const struct gcat *gc = &g->cats[cat];
        return g->cat_products[gc->first + zipf_pick(&g->rng, g->prod_cum + gc->first, gc->count)];
}

static uint32_t pick_complement_cat(struct xs_gen *g, uint32_t cat)
{
        const struct gcat *gc = &g->cats[cat];
        if (gc->n_complements == 0)
                return zipf_pick(&g->rng, g->cat_cum, g->n_cats);
        return gc->complements[rng_below(&g->rng, gc->n_complements)];
}

static uint32_t session_alloc(struct xs_gen *g)
{
        if (g->free_session != UINT32_MAX) {
                uint32_t s = g->free_session;
                g->free_session = g->sessions[s].next_free;
                return s;
        }
        if (g->n_sessions_alloc == MAX_SESSIONS)
                return UINT32_MAX;
        uint32_t n = g->n_sessions_alloc;
        if ((n & (n - 1)) == 0) { /* grow at powers of two */
                struct session *s = realloc(g->sessions, (n ? 2 * n : 64) * sizeof(*g->sessions));
                if (!s)
                        return UINT32_MAX;
                g->sessions = s;
        }
        return g->n_sessions_alloc++;
}

static void session_free(struct xs_gen *g, uint32_t s)
{
        g->sessions[s].next_free = g->free_session;
        g->free_session = s;
}

static void start_session(struct xs_gen *g, int64_t now)
{
        struct rng *r = &g->rng;
        uint32_t cust = zipf_pick(r, g->cust_cum, g->conf.customers);
        /* the rank order of activity is scattered over customer ids */
        cust = (uint32_t)(((uint64_t)cust * 2654435761u + 12345u) % g->conf.customers);
        uint32_t slot = session_alloc(g);
        if (slot == UINT32_MAX) {
                g->dropped++;
                return;
        }
        struct session *s = &g->sessions[slot];
        memset(s, 0, sizeof(*s));
        s->customer = cust;
        s->number = g->n_sessions++;
        uint64_t x = g->conf.seed ^ (s->number * 0x9e3779b97f4a7c15ull);
        uint64_t a = splitmix64(&x), b = splitmix64(&x);
        snprintf(s->sid, sizeof(s->sid), "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
                 (unsigned)(a >> 16) & 0xffffu, (unsigned)a & 0xfffu,
                 (unsigned)((b >> 48) & 0x3fffu) | 0x8000u,
                 (unsigned long long)(b & 0xffffffffffffull));
        int32_t last = g->cust_last_cat[cust];
        if (last >= 0 && rng_chance(r, 0.35))
                s->cat = pick_complement_cat(g, (uint32_t)last);
        else
                s->cat = zipf_pick(r, g->cat_cum, g->n_cats);
        int lead = g->cust_flags[cust] & CUST_LEAD;
        double u = rng_unit(r);
        if (lead) {
                s->plan = (g->cust_flags[cust] & CUST_SUBSCRIBED) ? P_BROWSE : P_LEAD;
                s->views_left = (uint16_t)(1 + rng_below(r, 3));
        } else if (u < 0.08) {
                s->plan = P_UNDECIDED;
                s->views_left = (uint16_t)(5 + rng_below(r, 6));
        } else if (u < 0.13) {
                s->plan = P_CART;
                s->views_left = (uint16_t)(1 + rng_below(r, 4));
                s->adds_left =
                    (uint8_t)(1 + (rng_chance(r, 0.55) ? 1 : 0) + (rng_chance(r, 0.2) ? 1 : 0));
                s->will_remove = (uint8_t)rng_chance(r, 0.15);
                s->will_checkout = (uint8_t)rng_chance(r, 0.38);
                s->will_buy = (uint8_t)(s->will_checkout && rng_chance(r, 0.82));
        } else if (u < 0.14) {
                s->plan = P_DIRECT;
                s->views_left = (uint16_t)(1 + rng_below(r, 2));
        } else {
                s->plan = P_BROWSE;
                s->views_left = (uint16_t)(1 + rng_below(r, 3) + (rng_chance(r, 0.3) ? 2 : 0));
        }
        s->phase = PH_VIEW;
        heap_push(g, now, T_SESSION, slot, 0);
}

static void item_of(struct xs_gen *g, size_t i, uint32_t p, int32_t qty)
{
        const struct gprod *gp = &g->prods[p];
        g->items[i].product_id = gp->id;
        g->items[i].quantity = qty;
        g->items[i].unit_price = gp->price;
        g->items[i].category = g->cats[gp->cat].name;
        g->items[i].brand = gp->brand;
        g->item_prod[i] = p;
}

/* What follows a cart add (or the dismissal after one). */
static enum phase after_add(const struct session *s)
{
        if (s->adds_left > 0 && s->n_cart < XS_GEN_MAX_CART)
                return PH_CVIEW;
        if (s->will_remove)
                return PH_REMOVE;
        if (s->will_checkout)
                return PH_CHECKOUT;
        return PH_DONE;
}

/* Emits the session's next event into g's current event; returns the delay to the next step
 * or -1 when the session is over. */
static int64_t session_step(struct xs_gen *g, struct session *s, struct xs_event *ev, int64_t now)
{
        struct rng *r = &g->rng;
        int64_t delay = -1;
        ev->session_id = s->sid;
        switch ((enum phase)s->phase) {
        case PH_VIEW: {
                uint32_t p = pick_product(g, s->cat);
                if (s->plan == P_BROWSE && rng_chance(r, 0.15))
                        p = pick_product(g, zipf_pick(r, g->cat_cum, g->n_cats)); /* wander */
                s->last_view = p;
                ev->type = XS_EV_PRODUCT_VIEW;
                item_of(g, 0, p, 1);
                ev->n_items = 1;
                if (--s->views_left > 0) {
                        delay = rng_exp_ms(r, 40000, 5000);
                        break;
                }
                delay = rng_exp_ms(r, 20000, 3000);
                switch (s->plan) {
                case P_CART:
                        s->phase = PH_ADD;
                        break;
                case P_DIRECT:
                        s->cart[0] = p;
                        s->qty[0] = 1;
                        s->n_cart = 1;
                        s->phase = PH_PURCHASE;
                        break;
                case P_LEAD:
                        s->phase = PH_SUBSCRIBE;
                        break;
                default:
                        if (!(g->cust_flags[s->customer] & CUST_SUBSCRIBED) && rng_chance(r, 0.01))
                                s->phase = PH_SUBSCRIBE;
                        else if (rng_chance(r, 0.0005))
                                s->phase = PH_FORGET;
                        else
                                delay = -1;
                }
                break;
        }
        case PH_CVIEW: {
                uint32_t p = pick_product(g, pick_complement_cat(g, s->cat));
                s->last_view = p;
                ev->type = XS_EV_PRODUCT_VIEW;
                item_of(g, 0, p, 1);
                ev->n_items = 1;
                s->phase = PH_ADD;
                delay = rng_exp_ms(r, 25000, 3000);
                break;
        }
        case PH_ADD: {
                uint32_t p = s->last_view;
                int32_t q = rng_chance(r, 0.1) ? 2 : 1;
                uint8_t i;
                for (i = 0; i < s->n_cart && s->cart[i] != p; i++)
                        ;
                if (i == s->n_cart) {
                        s->cart[i] = p;
                        s->qty[i] = 0;
                        s->n_cart++;
                }
                s->qty[i] += q;
                s->adds_left--;
                ev->type = XS_EV_ADD_TO_CART;
                item_of(g, 0, p, q);
                ev->n_items = 1;
                s->phase = (uint8_t)(rng_chance(r, 0.04) ? PH_DISMISS : after_add(s));
                delay = s->phase == PH_DONE ? -1 : rng_exp_ms(r, 30000, 5000);
                break;
        }
        case PH_DISMISS: {
                uint64_t a = rng_u64(r), b = rng_u64(r);
                snprintf(g->offer_id, sizeof(g->offer_id), "%016llx%016llx", (unsigned long long)a,
                         (unsigned long long)b);
                ev->type = XS_EV_OFFER_DISMISSED;
                ev->offer_id = g->offer_id;
                s->phase = after_add(s);
                delay = s->phase == PH_DONE ? -1 : rng_exp_ms(r, 20000, 2000);
                break;
        }
        case PH_REMOVE: {
                uint8_t i = (uint8_t)rng_below(r, s->n_cart);
                ev->type = XS_EV_REMOVE_FROM_CART;
                item_of(g, 0, s->cart[i], s->qty[i]);
                ev->n_items = 1;
                s->cart[i] = s->cart[s->n_cart - 1];
                s->qty[i] = s->qty[s->n_cart - 1];
                s->n_cart--;
                s->phase = (uint8_t)(s->will_checkout && s->n_cart ? PH_CHECKOUT : PH_DONE);
                delay = s->phase == PH_DONE ? -1 : rng_exp_ms(r, 40000, 5000);
                break;
        }
        case PH_CHECKOUT:
        case PH_PURCHASE: {
                for (uint8_t i = 0; i < s->n_cart; i++)
                        item_of(g, i, s->cart[i], s->qty[i]);
                ev->n_items = s->n_cart;
                strcpy(ev->currency, "EUR");
                if (s->phase == PH_CHECKOUT) {
                        ev->type = XS_EV_CHECKOUT_START;
                        s->phase = s->will_buy ? PH_PURCHASE : PH_DONE;
                        delay = s->will_buy ? rng_exp_ms(r, 90000, 20000) : -1;
                        break;
                }
                ev->type = XS_EV_PURCHASE;
                snprintf(g->order_id, sizeof(g->order_id), "ord-%08llu",
                         (unsigned long long)++g->n_orders);
                ev->order_id = g->order_id;
                uint32_t main = s->cart[0];
                g->cust_last_cat[s->customer] = (int32_t)g->prods[main].cat;
                if (rng_chance(r, 0.35))
                        heap_push(
                            g, now + rng_range(r, 3, 21) * 86400000LL + rng_range(r, 0, 86399999),
                            T_MILESTONE, s->customer, main);
                if (rng_chance(r, 0.08))
                        heap_push(
                            g, now + rng_range(r, 7, 40) * 86400000LL + rng_range(r, 0, 86399999),
                            T_REFERRAL, s->customer, main);
                s->phase = rng_chance(r, 0.0005) ? PH_FORGET : PH_DONE;
                delay = s->phase == PH_DONE ? -1 : rng_exp_ms(r, 60000, 1000);
                break;
        }
        case PH_SUBSCRIBE:
                ev->type = XS_EV_SUBSCRIBE;
                g->cust_flags[s->customer] |= CUST_SUBSCRIBED;
                if (rng_chance(r, 0.2))
                        heap_push(
                            g, now + rng_range(r, 2, 30) * 86400000LL + rng_range(r, 0, 86399999),
                            T_UNSUBSCRIBE, s->customer, 0);
                break;
        case PH_FORGET:
                ev->type = XS_EV_FORGET;
                ev->session_id = NULL;
                g->cust_flags[s->customer] &= (uint8_t)~CUST_SUBSCRIBED;
                g->cust_last_cat[s->customer] = -1;
                break;
        case PH_DONE:
                break;
        }
        snprintf(g->customer_id, sizeof(g->customer_id), "%u", 500000000u + s->customer);
        return delay;
}

int xs_gen_next(struct xs_gen *g, struct xs_event *ev)
{
        while (g->n_events < g->conf.events && g->n_heap > 0) {
                struct task tk = heap_pop(g);
                memset(ev, 0, sizeof(*ev));
                ev->event_time = tk.t;
                ev->items = g->items;
                ev->event_id = g->event_id;
                ev->customer_id = g->customer_id;
                switch ((enum task_kind)tk.kind) {
                case T_ARRIVAL:
                        start_session(g, tk.t);
                        schedule_arrival(g, tk.t);
                        continue;
                case T_SESSION: {
                        struct session *s = &g->sessions[tk.a];
                        int64_t delay = session_step(g, s, ev, tk.t);
                        if (delay < 0 || heap_push(g, tk.t + delay, T_SESSION, tk.a, 0) != 0)
                                session_free(g, tk.a);
                        break;
                }
                case T_MILESTONE:
                case T_REFERRAL:
                        ev->type = tk.kind == T_MILESTONE ? XS_EV_USAGE_MILESTONE : XS_EV_REFERRAL;
                        item_of(g, 0, tk.b, 1);
                        ev->n_items = 1;
                        strcpy(ev->currency, "EUR");
                        snprintf(g->customer_id, sizeof(g->customer_id), "%u", 500000000u + tk.a);
                        break;
                case T_UNSUBSCRIBE:
                        ev->type = XS_EV_UNSUBSCRIBE;
                        g->cust_flags[tk.a] &= (uint8_t)~CUST_SUBSCRIBED;
                        snprintf(g->customer_id, sizeof(g->customer_id), "%u", 500000000u + tk.a);
                        break;
                }
                if (ev->n_items == 0)
                        ev->items = NULL;
                snprintf(g->event_id, sizeof(g->event_id), "ev-%010llu",
                         (unsigned long long)++g->n_events);
                g->per_type[ev->type]++;
                return 1;
        }
        return 0;
}

/* ---- REES46 CSV ---- */

int xs_gen_write_rees46_header(FILE *f)
{
        return fputs("event_time,event_type,product_id,category_id,category_code,brand,price,"
                     "user_id,user_session\n",
                     f) < 0
                   ? -1
                   : 0;
}

int xs_gen_write_rees46(const struct xs_gen *g, const struct xs_event *ev, FILE *f)
{
        const char *type;
        switch (ev->type) {
        case XS_EV_PRODUCT_VIEW:
                type = "view";
                break;
        case XS_EV_ADD_TO_CART:
                type = "cart";
                break;
        case XS_EV_REMOVE_FROM_CART:
                type = "remove_from_cart";
                break;
        case XS_EV_PURCHASE:
                type = "purchase";
                break;
        default:
                return 0;
        }
        char when[32];
        xs_io_format_utc(ev->event_time, when, sizeof(when));
        for (size_t i = 0; i < ev->n_items && i < XS_GEN_MAX_CART; i++) {
                const struct xs_line_item *li = &ev->items[i];
                const struct gcat *gc = &g->cats[g->prods[g->item_prod[i]].cat];
                /* REES46 has one row per unit bought: quantity is not a column */
                for (int32_t q = 0; q < (li->quantity > 0 ? li->quantity : 1); q++)
                        if (fprintf(f, "%s UTC,%s,%s,%s,%s,%s,%lld.%02lld,%s,%s\n", when, type,
                                    li->product_id, gc->id, li->category,
                                    li->brand ? li->brand : "", (long long)(li->unit_price / 100),
                                    (long long)(li->unit_price % 100), ev->customer_id,
                                    ev->session_id ? ev->session_id : "") < 0)
                                return -1;
        }
        return 0;
}
