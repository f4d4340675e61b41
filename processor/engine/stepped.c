/*
 * Stepped visibility (issue 11, see xsell/engine.h): the co-occurrence increments of each input
 * partition are staged by pane, sealed by the caller when that partition's event time has left
 * a pane behind, and folded into the visible window only when the step passes the pane's end.
 *
 * The stage of a partition is a window of its own (window.c, one pane long, never queried):
 * sealing advances it, its close hook hands each closed pane out with external ids, and its
 * panes expire one pane later. Sealed panes wait in a list ordered by (pane start, partition)
 * with interned ids until the step folds them into the engine's window, entry by entry in the
 * order they were staged: the window then creates its pairs, applies cooc.max_pairs and lists
 * neighbours in an order that depends on the input alone. A stage can also leave with its
 * partition as bytes and be taken up by the partition's next owner (the customers changelog).
 *
 * One file: a partition's stage is one structure, staged, sealed, exported, imported and folded
 * through one private representation (the stage window, its learned products by pane, the
 * delta export); split, each part would only expose the others' internals.
 *
 * Bounds: a stage holds at most the panes between its partition's sealed point and its event
 * time (window.allowed_lateness plus one pane); the sealed list at most the panes between the
 * slowest partition and the others. Both are in the engine's memory (xs_stepped_bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/engine_ctx.h"
#include "engine/journey.h"
#include "engine/policy.h"
#include "engine/stepped.h"
#include "engine/window.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/le.h"

#define XS_MAX_PARTS 65536u

struct sp_entry {
        uint32_t a, b; /* b == 0: an occurrence row */
        int32_t n[XS_REL_COUNT];
};

/* A product learned in a pane: staged (strings owned) and sealed (interned id). */
struct learned {
        int64_t pane;
        char *id, *category, *brand, *label;
        int64_t price, price_at;
        char currency[XS_CURRENCY_LEN];
        UT_hash_handle hh; /* by (pane, id): the key is key[] */
        size_t klen;
        char key[];
};

struct sealed_pane {
        uint32_t part;
        int64_t start, end;
        int64_t tx[XS_REL_COUNT];
        struct sp_entry *e;
        size_t n;
        struct xs_pane_product *prod; /* strings owned */
        size_t n_prod;
        struct sealed_pane *next;
};

struct stage_part {
        struct xs_window *w;
        int dirty;               /* changed since its last xs_engine_stage_export */
        struct learned *learned; /* by (pane, product), in learning order */
        int64_t added_upto;      /* the newest end of a pane added for it (repeats are older) */
};

struct xs_stepped {
        struct stage_part *parts;
        uint32_t n_parts;
        struct sealed_pane *sealed; /* by (start, part) */
        uint64_t sealed_bytes;
        /* during xs_engine_seal: where the stage's close hook sends panes */
        void (*cb)(void *opaque, uint32_t part, const struct xs_pane_delta *d);
        void *opaque;
        uint32_t sealing;
        int oom;
        struct xs_engine *eng;
};

static int64_t pane_floor(const struct xs_engine *eng, int64_t t)
{
        return xs_floor_div(t, eng->p->window_pane) * eng->p->window_pane;
}

static void learned_free(struct learned *l)
{
        free(l->id);
        free(l->category);
        free(l->brand);
        free(l->label);
        free(l);
}

/* Drops the learned products of panes before pane_end. */
static void learned_clear(struct stage_part *sp, int64_t pane_end)
{
        struct learned *l, *tmp;
        HASH_ITER(hh, sp->learned, l, tmp)
        {
                if (l->pane < pane_end) {
                        HASH_DEL(sp->learned, l);
                        learned_free(l);
                }
        }
}

static void products_free(struct xs_pane_product *pr, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free((char *)pr[i].id);
                free((char *)pr[i].category);
                free((char *)pr[i].brand);
                free((char *)pr[i].category_label);
        }
        free(pr);
}

static void sealed_free(struct sealed_pane *sp)
{
        free(sp->e);
        products_free(sp->prod, sp->n_prod);
        free(sp);
}

void xs_stepped_destroy(struct xs_engine *eng)
{
        struct xs_stepped *s = eng->stepped;
        if (!s)
                return;
        for (uint32_t i = 0; i < s->n_parts; i++) {
                xs_window_destroy(s->parts[i].w);
                learned_clear(&s->parts[i], INT64_MAX);
        }
        free(s->parts);
        while (s->sealed) {
                struct sealed_pane *sp = s->sealed;
                s->sealed = sp->next;
                sealed_free(sp);
        }
        free(s);
        eng->stepped = NULL;
}

void xs_engine_set_stepped(struct xs_engine *eng, int on)
{
        if (!on) {
                xs_stepped_destroy(eng);
                eng->ingest = eng->window;
                return;
        }
        if (eng->stepped)
                return;
        eng->stepped = calloc(1, sizeof(*eng->stepped));
        if (eng->stepped)
                eng->stepped->eng = eng;
        eng->ingest = NULL; /* set per partition by xs_stepped_tag */
        eng->external_clock = 1;
}

int64_t xs_engine_step_at(const struct xs_engine *eng)
{
        return eng->stepped ? eng->watermark : INT64_MIN;
}

/* ---- the stage ----------------------------------------------------------------------- */

struct export_ctx {
        struct xs_engine *eng;
        struct xs_pane_entry *entries;
        size_t n, cap;
        int oom;
};

static void export_entry(void *opaque, uint32_t a, uint32_t b, const int32_t n[XS_REL_COUNT])
{
        struct export_ctx *ctx = opaque;
        int any = 0;
        for (int r = 0; r < XS_REL_COUNT; r++)
                any |= n[r] != 0;
        if (ctx->oom || !any)
                return;
        if (ctx->n == ctx->cap) {
                size_t cap = ctx->cap ? ctx->cap * 2 : 256;
                struct xs_pane_entry *e = realloc(ctx->entries, cap * sizeof(*e));
                if (!e) {
                        ctx->oom = 1;
                        return;
                }
                ctx->entries = e;
                ctx->cap = cap;
        }
        struct xs_pane_entry *e = &ctx->entries[ctx->n++];
        e->a = xs_intern_str(ctx->eng->products, a);
        e->b = b ? xs_intern_str(ctx->eng->products, b) : NULL;
        memcpy(e->rel, n, sizeof(e->rel));
}

/* The delta of pane, of partition part's stage: its entries (ctx->entries) and learned products
 * (*prod) are malloc'd, for the caller to free. Returns -1 out of memory. */
static int stage_delta(struct xs_stepped *s, uint32_t part, const struct xs_window_pane *pane,
                       struct export_ctx *ctx, struct xs_pane_product **prod,
                       struct xs_pane_delta *d)
{
        *ctx = (struct export_ctx){.eng = s->eng};
        *prod = NULL;
        xs_window_pane_foreach(pane, export_entry, ctx);
        *d = (struct xs_pane_delta){.pane_start = xs_window_pane_start(pane),
                                    .pane_end = xs_window_pane_end(pane),
                                    .n_entries = ctx->n,
                                    .entries = ctx->entries,
                                    .n_orders = xs_window_pane_orders(pane)};
        for (int r = 0; r < XS_REL_COUNT; r++)
                d->tx[r] = xs_window_pane_tx(pane, (enum xs_relation)r);
        /* the products learned in the pane, in learning order */
        struct stage_part *sp = &s->parts[part];
        size_t n_prod = 0;
        struct learned *l;
        for (l = sp->learned; l; l = l->hh.next)
                n_prod += l->pane == d->pane_start;
        if (n_prod && !(*prod = calloc(n_prod, sizeof(**prod))))
                ctx->oom = 1;
        n_prod = 0;
        for (l = sp->learned; *prod && l; l = l->hh.next) {
                if (l->pane != d->pane_start)
                        continue;
                (*prod)[n_prod] = (struct xs_pane_product){
                    l->id, l->category, l->brand, l->label, l->price, l->price_at, {0}};
                memcpy((*prod)[n_prod++].currency, l->currency, XS_CURRENCY_LEN);
        }
        d->products = *prod;
        d->n_products = n_prod;
        return ctx->oom ? -1 : 0;
}

static void stage_close(void *opaque, const struct xs_window_pane *pane)
{
        struct xs_stepped *s = opaque;
        struct export_ctx ctx;
        struct xs_pane_product *prod;
        struct xs_pane_delta d;
        int oom = stage_delta(s, s->sealing, pane, &ctx, &prod, &d) != 0;
        int any = d.n_entries > 0 || d.n_products > 0; /* transactions alone count too */
        for (int r = 0; r < XS_REL_COUNT; r++)
                any |= d.tx[r] != 0;
        if (oom)
                s->oom = 1;
        else if (any && s->cb) {
                s->eng->st.panes_sealed++;
                s->cb(s->opaque, s->sealing, &d);
        }
        free(prod);
        free(ctx.entries);
}

/* ---- the window's own closed panes (xs_engine_set_pane_hook) -------------------------- */

void xs_engine_set_pane_hook(struct xs_engine *eng,
                             void (*cb)(void *opaque, const struct xs_pane_delta *delta),
                             void *opaque)
{
        eng->pane_hook = cb;
        eng->pane_opaque = opaque;
}

void xs_stepped_on_pane_close(void *opaque, const struct xs_window_pane *pane)
{
        struct xs_engine *eng = opaque;
        if (!eng->pane_hook)
                return;
        struct export_ctx ctx = {.eng = eng};
        xs_window_pane_foreach(pane, export_entry, &ctx);
        struct xs_pane_delta d = {.pane_start = xs_window_pane_start(pane),
                                  .pane_end = xs_window_pane_end(pane),
                                  .n_entries = ctx.n,
                                  .entries = ctx.entries,
                                  .n_orders = xs_window_pane_orders(pane)};
        for (int r = 0; r < XS_REL_COUNT; r++)
                d.tx[r] = xs_window_pane_tx(pane, (enum xs_relation)r);
        if (!ctx.oom)
                eng->pane_hook(eng->pane_opaque, &d);
        free(ctx.entries);
}

static struct stage_part *stage_get(struct xs_engine *eng, uint32_t part)
{
        struct xs_stepped *s = eng->stepped;
        if (!s || part >= XS_MAX_PARTS)
                return NULL;
        if (part >= s->n_parts) {
                uint32_t n = part + 1;
                struct stage_part *np = realloc(s->parts, n * sizeof(*np));
                if (!np)
                        return NULL;
                for (uint32_t i = s->n_parts; i < n; i++)
                        np[i] = (struct stage_part){.w = NULL, .added_upto = INT64_MIN};
                s->parts = np;
                s->n_parts = n;
        }
        struct stage_part *sp = &s->parts[part];
        if (!sp->w) {
                const struct xs_params *p = eng->p;
                struct xs_window_params wp = {.pane_ms = p->window_pane,
                                              .window_ms = p->window_pane,
                                              .expiry_batch = 1u << 30,
                                              .max_draining = 1,
                                              .max_pairs = (size_t)p->max_pairs,
                                              .initial_buckets = 1024};
                sp->w = xs_window_new(&wp);
                if (!sp->w)
                        return NULL;
                xs_window_set_close_hook(sp->w, stage_close, s);
        }
        return sp;
}

int xs_stepped_tag(struct xs_engine *eng, uint32_t part)
{
        struct stage_part *sp = stage_get(eng, part);
        if (sp)
                sp->dirty = 1; /* an event of part is about to be staged */
        eng->ingest = sp ? sp->w : NULL;
        return sp ? 0 : -1;
}

static char *dup_opt(const char *x)
{
        return x && *x ? strdup(x) : NULL;
}

/* 1 when the price of x replaces that of have: have has none, or x is later, or at the same time
 * higher, or the same with a greater currency code (an order of the content alone). */
static int price_after(const struct xs_pane_product *x, const struct xs_pane_product *have)
{
        if (x->price < 0)
                return 0;
        if (have->price < 0 || x->price_at != have->price_at)
                return have->price < 0 || x->price_at > have->price_at;
        if (x->price != have->price)
                return x->price > have->price;
        return strncmp(x->currency, have->currency, XS_CURRENCY_LEN) > 0;
}

/* *have becomes a copy of x when x is given and less than *have (or *have is not given).
 * Returns -1 out of memory. */
static int least(char **have, const char *x)
{
        if (!x || !*x || (*have && strcmp(x, *have) >= 0))
                return 0;
        char *c = strdup(x);
        if (!c)
                return -1;
        free(*have);
        *have = c;
        return 0;
}

/* The learned product (pane, id) of stage sp, made now if it is not there (*fresh = 1: key
 * and id set, no price). NULL out of memory; id is at most 1024 bytes. */
static struct learned *learned_get(struct stage_part *sp, int64_t pane, const char *id, int *fresh)
{
        size_t idl = strlen(id), klen = 8 + idl;
        char key[8 + 1024];
        memcpy(key, &pane, 8);
        memcpy(key + 8, id, idl);
        struct learned *l;
        HASH_FIND(hh, sp->learned, key, klen, l);
        *fresh = !l;
        if (l)
                return l;
        l = calloc(1, sizeof(*l) + klen);
        if (!l || !(l->id = strdup(id))) {
                free(l);
                return NULL;
        }
        l->pane = pane;
        l->price = -1;
        l->klen = klen;
        memcpy(l->key, key, klen);
        HASH_ADD(hh, sp->learned, key, klen, l);
        return l;
}

int xs_stepped_learn(struct xs_engine *eng, int64_t t, const struct xs_line_item *li,
                     const char *currency)
{
        struct xs_stepped *s = eng->stepped;
        if (!s || eng->tag >= s->n_parts)
                return -1;
        if ((!li->category || !*li->category) && li->unit_price < 0)
                return 0;
        struct stage_part *sp = &s->parts[eng->tag];
        if (strlen(li->product_id) > 1024)
                return 0; /* event.max_id_bytes keeps ids far shorter */
        int fresh;
        struct learned *l = learned_get(sp, pane_floor(eng, t), li->product_id, &fresh);
        if (!l)
                return -1;
        /* the pane must exist in the stage even if the event adds no count (a usage milestone,
         * a lone view), or it would never close and its products be lost */
        if (fresh && sp->w && xs_window_add_transactions(sp->w, t, XS_REL_ORDER, 0) != 0) {
                HASH_DEL(sp->learned, l);
                learned_free(l);
                return -1;
        }
        /* merged by content (xs_pane_delta): labels the least given, the price of the latest
         * time (at a tie the highest), so that the pane's products do not depend on how its
         * events were split over partitions (merge_products does the same across them) */
        if (least(&l->category, li->category) || least(&l->brand, li->brand) ||
            least(&l->label, li->category_label))
                return -1;
        if (li->unit_price >= 0) {
                struct xs_pane_product x = {.price = li->unit_price, .price_at = t};
                if (currency && *currency)
                        memcpy(x.currency, currency, XS_CURRENCY_LEN);
                x.currency[XS_CURRENCY_LEN - 1] = '\0';
                struct xs_pane_product have = {.price = l->price, .price_at = l->price_at};
                memcpy(have.currency, l->currency, XS_CURRENCY_LEN);
                if (price_after(&x, &have)) {
                        l->price = x.price;
                        l->price_at = t;
                        memcpy(l->currency, x.currency, XS_CURRENCY_LEN);
                }
        }
        return 0;
}

int xs_engine_seal(struct xs_engine *eng, uint32_t part, int64_t upto,
                   void (*cb)(void *opaque, uint32_t part, const struct xs_pane_delta *d),
                   void *opaque)
{
        struct xs_stepped *s = eng->stepped;
        struct stage_part *sp = stage_get(eng, part);
        if (!s || !sp)
                return -1;
        s->cb = cb;
        s->opaque = opaque;
        s->sealing = part;
        s->oom = 0;
        int64_t to = pane_floor(eng, upto);
        uint64_t epoch = xs_window_epoch(sp->w);
        xs_window_advance(sp->w, to);
        xs_window_drain_all(sp->w);
        if (xs_window_epoch(sp->w) != epoch)
                sp->dirty = 1; /* panes left the stage */
        learned_clear(sp, to);
        s->cb = NULL;
        return s->oom ? -1 : 0;
}

/* ---- a stage moving with its partition (the customers changelog) ------------------------
 *
 * "XSG1", panes (u32), then per open pane: length (u32) and its delta (xs_pane_delta_encode),
 * oldest first. Little endian. Importing adds each pane's entries to an empty stage in the
 * order they were staged, which is the order the pane's delta lists them in when it is sealed:
 * a stage exported, imported elsewhere and staged on seals to exactly the delta an uninterrupted
 * one would have. */
#define STAGE_MAGIC "XSG1"

struct stage_out {
        struct xs_stepped *s;
        uint32_t part;
        unsigned char *buf;
        size_t len;
        uint32_t n;
        int oom;
};

static void stage_out_pane(void *opaque, const struct xs_window_pane *pane)
{
        struct stage_out *o = opaque;
        struct export_ctx ctx;
        struct xs_pane_product *prod;
        struct xs_pane_delta d;
        if (o->oom)
                return;
        size_t dl = 0;
        unsigned char *db = NULL, *nb = NULL;
        if (stage_delta(o->s, o->part, pane, &ctx, &prod, &d) != 0 ||
            !(db = xs_pane_delta_encode(&d, &dl)) || dl > UINT32_MAX ||
            !(nb = realloc(o->buf, o->len + 4 + dl))) {
                o->oom = 1;
        } else {
                o->buf = nb;
                xs_le_put(o->buf + o->len, dl, 4);
                memcpy(o->buf + o->len + 4, db, dl);
                o->len += 4 + dl;
                o->n++;
        }
        free(db);
        free(prod);
        free(ctx.entries);
}

int xs_engine_stage_dirty(const struct xs_engine *eng, uint32_t part)
{
        const struct xs_stepped *s = eng->stepped;
        return s && part < s->n_parts && s->parts[part].dirty;
}

int xs_engine_stage_export(struct xs_engine *eng, uint32_t part, unsigned char **buf, size_t *len)
{
        struct xs_stepped *s = eng->stepped;
        *buf = NULL;
        *len = 0;
        if (!s)
                return -1;
        struct stage_out o = {.s = s, .part = part, .buf = malloc(8), .len = 8};
        if (!o.buf)
                return -1;
        memcpy(o.buf, STAGE_MAGIC, 4);
        if (part < s->n_parts && s->parts[part].w)
                xs_window_foreach_open(s->parts[part].w, stage_out_pane, &o);
        if (o.oom) {
                free(o.buf);
                return -1;
        }
        xs_le_put(o.buf + 4, o.n, 4);
        if (part < s->n_parts)
                s->parts[part].dirty = 0;
        *buf = o.buf;
        *len = o.len;
        return 0;
}

void xs_engine_stage_drop(struct xs_engine *eng, uint32_t part)
{
        struct xs_stepped *s = eng->stepped;
        if (!s || part >= s->n_parts)
                return;
        struct stage_part *sp = &s->parts[part];
        xs_window_destroy(sp->w);
        sp->w = NULL;
        learned_clear(sp, INT64_MAX);
        sp->dirty = 0;
        if (eng->tag == part)
                eng->ingest = NULL; /* the next xs_engine_set_tag makes a new stage */
}

static uint32_t intern(struct xs_engine *eng, const char *id);

/* One pane delta into stage sp. 0, 1 when an id found the catalog full (the entry is left out,
 * counted), -1 out of memory. */
static int stage_add(struct xs_engine *eng, struct stage_part *sp, const struct xs_pane_delta *d)
{
        int64_t t = d->pane_start;
        int capped = 0;
        if (xs_window_add_transactions(sp->w, t, XS_REL_ORDER, 0) != 0) /* the pane itself */
                return -1;
        for (int r = 0; r < XS_REL_COUNT; r++) {
                if (d->tx[r] < INT32_MIN || d->tx[r] > INT32_MAX)
                        return 1; /* not from a stage: one pane's count stays far below */
                if (d->tx[r] && xs_window_add_transactions(sp->w, t, (enum xs_relation)r,
                                                           (int32_t)d->tx[r]) < 0)
                        return -1;
        }
        for (size_t i = 0; i < d->n_entries; i++) {
                const struct xs_pane_entry *e = &d->entries[i];
                uint32_t a = intern(eng, e->a), b = e->b ? intern(eng, e->b) : 0;
                if (!a || (e->b && !b) || a == b) {
                        eng->st.catalog_cap_hits += !a || (e->b && !b);
                        capped = 1;
                        continue;
                }
                for (int r = 0; r < XS_REL_COUNT; r++) {
                        if (!e->rel[r])
                                continue;
                        int rc =
                            b ? xs_window_add_pair(sp->w, t, a, b, (enum xs_relation)r, e->rel[r])
                              : xs_window_add_occurrence(sp->w, t, a, (enum xs_relation)r,
                                                         e->rel[r]);
                        if (rc < 0)
                                return -1;
                }
        }
        for (size_t i = 0; i < d->n_products; i++) {
                const struct xs_pane_product *pr = &d->products[i];
                int fresh;
                if (strlen(pr->id) > 1024)
                        continue;
                struct learned *l = learned_get(sp, t, pr->id, &fresh);
                if (!l)
                        return -1;
                if (!fresh)
                        continue; /* listed twice: the first stands */
                l->category = dup_opt(pr->category);
                l->brand = dup_opt(pr->brand);
                l->label = dup_opt(pr->category_label);
                l->price = pr->price;
                l->price_at = pr->price_at;
                memcpy(l->currency, pr->currency, XS_CURRENCY_LEN);
                if ((pr->category && !l->category) || (pr->brand && !l->brand) ||
                    (pr->category_label && !l->label))
                        return -1; /* the caller drops the stage, l with it */
        }
        return capped;
}

/* The next pane of a stage's bytes buf[0..len) at *at (moved past it) into *d (free
 * d->entries after). 0, or -1 with err when truncated or malformed. */
static int stage_next(const unsigned char *buf, size_t len, size_t *at, struct xs_pane_delta *d,
                      char *err, size_t err_size)
{
        if (len - *at < 4) {
                snprintf(err, err_size, "%s", "truncated");
                return -1;
        }
        size_t dl = (size_t)xs_le_get(buf + *at, 4);
        *at += 4;
        if (len - *at < dl || xs_pane_delta_decode(buf + *at, dl, d) != 0) {
                snprintf(err, err_size, "%s", "malformed");
                return -1;
        }
        *at += dl;
        return 0;
}

/* Whether part's stage exports to panes that decode again. */
static int stage_exportable(struct xs_engine *eng, uint32_t part)
{
        unsigned char *buf;
        size_t len, at = 8;
        char err[32];
        struct xs_stepped *s = eng->stepped;
        int dirty = s->parts[part].dirty;
        if (xs_engine_stage_export(eng, part, &buf, &len) != 0)
                return 0;
        s->parts[part].dirty = dirty;
        int ok = 1;
        for (uint32_t k = 0, n = (uint32_t)xs_le_get(buf + 4, 4); k < n && ok; k++) {
                struct xs_pane_delta d;
                ok = stage_next(buf, len, &at, &d, err, sizeof(err)) == 0;
                if (ok)
                        free((void *)d.entries);
        }
        free(buf);
        return ok;
}

int xs_engine_stage_import(struct xs_engine *eng, uint32_t part, const unsigned char *buf,
                           size_t len, char *err, size_t err_size)
{
        if (!eng->stepped) {
                snprintf(err, err_size, "%s", "not in stepped mode");
                return -1;
        }
        xs_engine_stage_drop(eng, part);
        if (len < 8 || memcmp(buf, STAGE_MAGIC, 4) != 0) {
                snprintf(err, err_size, "%s", "not a stage (bad magic)");
                return -1;
        }
        struct stage_part *sp = stage_get(eng, part);
        if (!sp) {
                snprintf(err, err_size, "%s", "out of memory");
                return -1;
        }
        uint32_t n = (uint32_t)xs_le_get(buf + 4, 4);
        size_t at = 8;
        int rc = 0;
        for (uint32_t k = 0; k < n && rc >= 0; k++) {
                struct xs_pane_delta d;
                char why[32];
                if (stage_next(buf, len, &at, &d, why, sizeof(why)) != 0) {
                        snprintf(err, err_size, "pane %u of %u: %s", k, n, why);
                        rc = -1;
                        break;
                }
                if (d.pane_end - d.pane_start != eng->p->window_pane ||
                    pane_floor(eng, d.pane_start) != d.pane_start) {
                        snprintf(err, err_size,
                                 "pane %u of %u: [%lld, %lld) is not a pane of window.pane %lld ms "
                                 "(changed since it was written?)",
                                 k, n, (long long)d.pane_start, (long long)d.pane_end,
                                 (long long)eng->p->window_pane);
                        rc = -1;
                } else {
                        int r = stage_add(eng, sp, &d);
                        if (r < 0)
                                snprintf(err, err_size, "%s", "out of memory");
                        rc = r < 0 ? -1 : rc | r;
                }
                free((void *)d.entries);
        }
        if (rc == 0 && at != len) {
                snprintf(err, err_size, "%zu bytes after the last pane", len - at);
                rc = -1;
        }
        if (rc >= 0 && !stage_exportable(eng, part)) {
                /* entries of one key listed apart add up past what a pane delta may carry
                 * (only a stage not written by xsell does that): it could never be sealed */
                snprintf(err, err_size, "%s", "counts beyond what a pane delta may carry");
                rc = -1;
        }
        if (rc < 0)
                xs_engine_stage_drop(eng, part); /* nothing half imported */
        else
                sp->dirty = 0;
        if (eng->tag == part)
                eng->ingest = rc < 0 ? NULL : sp->w;
        return rc < 0 ? -1 : 0;
}

/* ---- sealed panes and the fold ------------------------------------------------------- */

static uint32_t intern(struct xs_engine *eng, const char *id)
{
        uint32_t x = xs_intern_find(eng->products, id);
        return x ? x : xs_intern_put(eng->products, id, (size_t)eng->p->max_products);
}

/* One learned product into the catalog (catalog.learn_from_events). */
static void learn_one(struct xs_engine *eng, const struct xs_pane_product *pr)
{
        uint32_t id = intern(eng, pr->id);
        if (!id) {
                eng->st.catalog_cap_hits++;
                return;
        }
        struct xs_line_item li = {.product_id = pr->id,
                                  .quantity = 1,
                                  .unit_price = pr->price,
                                  .category = pr->category,
                                  .brand = pr->brand,
                                  .category_label = pr->category_label};
        if (xs_catalog_learn(eng->catalog, id, &li, pr->currency))
                eng->st.catalog_learned++;
}

static void fold_counts(struct xs_engine *eng, const struct sealed_pane *sp, int64_t t)
{
        struct xs_window *w = eng->window;
        for (int r = 0; r < XS_REL_COUNT; r++)
                if (sp->tx[r])
                        xs_window_add_transactions(w, t, (enum xs_relation)r, (int32_t)sp->tx[r]);
        for (size_t i = 0; i < sp->n; i++) {
                const struct sp_entry *e = &sp->e[i];
                for (int r = 0; r < XS_REL_COUNT; r++) {
                        if (!e->n[r])
                                continue;
                        if (e->b)
                                xs_window_add_pair(w, t, e->a, e->b, (enum xs_relation)r, e->n[r]);
                        else
                                xs_window_add_occurrence(w, t, e->a, (enum xs_relation)r, e->n[r]);
                }
        }
        eng->st.panes_folded++;
}

/* A pane on its own (one that came late): its counts and its products. */
static void fold(struct xs_engine *eng, const struct sealed_pane *sp, int64_t t)
{
        fold_counts(eng, sp, t);
        for (size_t i = 0; i < sp->n_prod; i++)
                learn_one(eng, &sp->prod[i]);
}

static int prod_cmp(const void *x, const void *y)
{
        const struct xs_pane_product *a = *(const struct xs_pane_product *const *)x,
                                     *b = *(const struct xs_pane_product *const *)y;
        return strcmp(a->id, b->id);
}

static const char *least_of(const char *have, const char *x)
{
        return x && *x && (!have || strcmp(x, have) < 0) ? x : have;
}

/* The products of the sealed panes [from, to) (one pane, every partition that sealed it),
 * merged by content as xs_stepped_learn merges a pane's (labels the least given, the price of
 * the latest time, at a tie the highest), and learned in product id order: the catalog then
 * does not depend on how the pane's events were split over partitions. */
static void learn_group(struct xs_engine *eng, const struct sealed_pane *from,
                        const struct sealed_pane *to)
{
        size_t n = 0;
        for (const struct sealed_pane *sp = from; sp != to; sp = sp->next)
                n += sp->n_prod;
        if (!n)
                return;
        const struct xs_pane_product **v = malloc(n * sizeof(*v));
        if (!v) { /* out of memory: learned unmerged, in partition order */
                for (const struct sealed_pane *sp = from; sp != to; sp = sp->next)
                        for (size_t i = 0; i < sp->n_prod; i++)
                                learn_one(eng, &sp->prod[i]);
                return;
        }
        n = 0;
        for (const struct sealed_pane *sp = from; sp != to; sp = sp->next)
                for (size_t i = 0; i < sp->n_prod; i++)
                        v[n++] = &sp->prod[i];
        qsort(v, n, sizeof(*v), prod_cmp);
        for (size_t i = 0; i < n;) {
                struct xs_pane_product m = *v[i];
                size_t j = i + 1;
                for (; j < n && !strcmp(v[j]->id, m.id); j++) {
                        const struct xs_pane_product *x = v[j];
                        m.category = least_of(m.category, x->category);
                        m.brand = least_of(m.brand, x->brand);
                        m.category_label = least_of(m.category_label, x->category_label);
                        if (price_after(x, &m)) {
                                m.price = x->price;
                                m.price_at = x->price_at;
                                memcpy(m.currency, x->currency, XS_CURRENCY_LEN);
                        }
                }
                learn_one(eng, &m);
                i = j;
        }
        free(v);
}

static size_t sealed_bytes(const struct sealed_pane *sp)
{
        return sizeof(*sp) + sp->n * sizeof(*sp->e) + sp->n_prod * (sizeof(*sp->prod) + 64);
}

void xs_engine_pane_reset(struct xs_engine *eng, uint32_t part)
{
        struct xs_stepped *s = eng->stepped;
        if (s && part < s->n_parts)
                s->parts[part].added_upto = INT64_MIN;
}

int xs_engine_pane_add(struct xs_engine *eng, uint32_t part, const struct xs_pane_delta *d)
{
        struct xs_stepped *s = eng->stepped;
        struct stage_part *st = stage_get(eng, part);
        if (!s || !st)
                return -1;
        if (d->pane_end <= st->added_upto) {
                eng->st.panes_repeated++;
                return 1;
        }
        struct sealed_pane *sp = calloc(1, sizeof(*sp));
        if (!sp)
                return -1;
        sp->part = part;
        sp->start = d->pane_start;
        sp->end = d->pane_end;
        memcpy(sp->tx, d->tx, sizeof(sp->tx));
        sp->e = d->n_entries ? malloc(d->n_entries * sizeof(*sp->e)) : NULL;
        if (d->n_entries && !sp->e) {
                free(sp);
                return -1;
        }
        for (size_t i = 0; i < d->n_entries; i++) {
                const struct xs_pane_entry *in = &d->entries[i];
                struct sp_entry *e = &sp->e[sp->n];
                e->a = intern(eng, in->a);
                e->b = in->b ? intern(eng, in->b) : 0;
                if (!e->a || (in->b && !e->b) || e->a == e->b) {
                        eng->st.memory_products_refused++; /* catalog.max_products bit */
                        continue;
                }
                memcpy(e->n, in->rel, sizeof(e->n));
                sp->n++;
        }
        if (d->n_products && !(sp->prod = calloc(d->n_products, sizeof(*sp->prod)))) {
                sealed_free(sp);
                return -1;
        }
        for (size_t i = 0; i < d->n_products; i++) {
                const struct xs_pane_product *in = &d->products[i];
                struct xs_pane_product *o = &sp->prod[sp->n_prod++];
                o->id = strdup(in->id);
                o->category = dup_opt(in->category);
                o->brand = dup_opt(in->brand);
                o->category_label = dup_opt(in->category_label);
                o->price = in->price;
                o->price_at = in->price_at;
                memcpy(o->currency, in->currency, XS_CURRENCY_LEN);
                if (!o->id || (in->category && *in->category && !o->category) ||
                    (in->brand && *in->brand && !o->brand) ||
                    (in->category_label && *in->category_label && !o->category_label)) {
                        sealed_free(sp);
                        return -1;
                }
        }
        st->added_upto = d->pane_end;
        if (eng->watermark != INT64_MIN && sp->end <= eng->watermark) {
                /* after the step passed it (a partition sealed by idleness came back): into
                 * the pane that is open now, visible at once */
                eng->st.panes_late++;
                fold(eng, sp, eng->watermark);
                sealed_free(sp);
                return 0;
        }
        struct sealed_pane **link = &s->sealed;
        while (*link && ((*link)->start < sp->start ||
                         ((*link)->start == sp->start && (*link)->part <= sp->part)))
                link = &(*link)->next;
        sp->next = *link;
        *link = sp;
        s->sealed_bytes += sealed_bytes(sp);
        return 0;
}

void xs_stepped_fold_to(struct xs_engine *eng, int64_t g)
{
        struct xs_stepped *s = eng->stepped;
        while (s && s->sealed && s->sealed->end <= g) {
                /* one pane of every partition that sealed it (the list is by (start, part)) */
                struct sealed_pane *first = s->sealed, *sp = first;
                while (sp && sp->start == first->start && sp->end <= g) {
                        fold_counts(eng, sp, sp->start);
                        sp = sp->next;
                }
                learn_group(eng, first, sp);
                s->sealed = sp;
                while (first != sp) {
                        struct sealed_pane *next = first->next;
                        s->sealed_bytes -= sealed_bytes(first);
                        sealed_free(first);
                        first = next;
                }
        }
}

uint64_t xs_stepped_bytes(const struct xs_engine *eng)
{
        const struct xs_stepped *s = eng->stepped;
        if (!s)
                return 0;
        uint64_t b = sizeof(*s) + s->n_parts * sizeof(*s->parts) + s->sealed_bytes;
        for (uint32_t i = 0; i < s->n_parts; i++)
                if (s->parts[i].w)
                        b += xs_window_bytes(s->parts[i].w);
        return b;
}
