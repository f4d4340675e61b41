/*
 * Pane deltas on the wire (xsell/engine.h): the byte string a sealed pane of one input
 * partition travels as on the internal panes topic. Decoding checks every length against the
 * buffer before it copies anything and makes one allocation (tests/fuzz/fuzz_pane_delta.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xsell/engine.h"
#include "xsell/event.h"

/* The largest count one entry of a pane delta may carry (a decoded one beyond is refused). */
#define XS_PANE_COUNT_MAX (1 << 24)

/* ---- the wire format ----------------------------------------------------------------- */

/* "XSP1", start, end (i64), tx (i64 x relations), entries (u32), then per entry: a (u16 length,
 * bytes), b (u16 length, 0 = an occurrence row, bytes), counts (i32 x relations); products
 * (u32), then per product: id, category, brand, label (u16 length, bytes; 0 = not given),
 * price (i64), price_at (i64), currency (4 bytes). Little endian. */
#define MAGIC "XSP1"

static void put_u(unsigned char **p, uint64_t v, int bytes)
{
        for (int i = 0; i < bytes; i++)
                *(*p)++ = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u(const unsigned char **p, int bytes)
{
        uint64_t v = 0;
        for (int i = 0; i < bytes; i++)
                v |= (uint64_t)(*(*p)++) << (8 * i);
        return v;
}

unsigned char *xs_pane_delta_encode(const struct xs_pane_delta *d, size_t *len)
{
        size_t n = 4 + 16 + 8 * XS_REL_COUNT + 4;
        for (size_t i = 0; i < d->n_entries; i++) {
                size_t la = strlen(d->entries[i].a),
                       lb = d->entries[i].b ? strlen(d->entries[i].b) : 0;
                if (la == 0 || la > 65535 || lb > 65535)
                        return NULL;
                n += 4 + la + lb + 4 * XS_REL_COUNT;
        }
        n += 4;
        for (size_t i = 0; i < d->n_products; i++) {
                const struct xs_pane_product *pr = &d->products[i];
                const char *f[4] = {pr->id, pr->category, pr->brand, pr->category_label};
                for (int k = 0; k < 4; k++) {
                        size_t l = f[k] ? strlen(f[k]) : 0;
                        if ((k == 0 && l == 0) || l > 65535)
                                return NULL;
                        n += 2 + l;
                }
                n += 16 + XS_CURRENCY_LEN;
        }
        unsigned char *buf = malloc(n), *p = buf;
        if (!buf)
                return NULL;
        memcpy(p, MAGIC, 4);
        p += 4;
        put_u(&p, (uint64_t)d->pane_start, 8);
        put_u(&p, (uint64_t)d->pane_end, 8);
        for (int r = 0; r < XS_REL_COUNT; r++)
                put_u(&p, (uint64_t)d->tx[r], 8);
        put_u(&p, d->n_entries, 4);
        for (size_t i = 0; i < d->n_entries; i++) {
                const struct xs_pane_entry *e = &d->entries[i];
                size_t la = strlen(e->a), lb = e->b ? strlen(e->b) : 0;
                put_u(&p, la, 2);
                memcpy(p, e->a, la);
                p += la;
                put_u(&p, lb, 2);
                memcpy(p, e->b ? e->b : "", lb);
                p += lb;
                for (int r = 0; r < XS_REL_COUNT; r++)
                        put_u(&p, (uint32_t)e->rel[r], 4);
        }
        put_u(&p, d->n_products, 4);
        for (size_t i = 0; i < d->n_products; i++) {
                const struct xs_pane_product *pr = &d->products[i];
                const char *f[4] = {pr->id, pr->category, pr->brand, pr->category_label};
                for (int k = 0; k < 4; k++) {
                        size_t l = f[k] ? strlen(f[k]) : 0;
                        put_u(&p, l, 2);
                        memcpy(p, f[k] ? f[k] : "", l);
                        p += l;
                }
                put_u(&p, (uint64_t)pr->price, 8);
                put_u(&p, (uint64_t)pr->price_at, 8);
                memcpy(p, pr->currency, XS_CURRENCY_LEN);
                p += XS_CURRENCY_LEN;
        }
        *len = n;
        return buf;
}

/* A length-prefixed string at *q within end: checks it (no NUL inside; not empty when
 * required), adds its bytes + 1 to *strings and skips it. 0, or -1 when malformed. */
static int skip_str(const unsigned char **q, const unsigned char *end, int required,
                    size_t *strings)
{
        if (end - *q < 2)
                return -1;
        size_t l = (size_t)get_u(q, 2);
        if ((required && l == 0) || (size_t)(end - *q) < l || memchr(*q, 0, l))
                return -1;
        *q += l;
        *strings += l + 1;
        return 0;
}

/* Copies a string checked by skip_str to *s as a C string (NULL when empty and not required). */
static const char *take_str(const unsigned char **p, char **s, int required)
{
        size_t l = (size_t)get_u(p, 2);
        char *out = *s;
        memcpy(out, *p, l);
        out[l] = '\0';
        *p += l;
        *s += l + 1;
        return required || l ? out : NULL;
}

/* Decoding copies each id into a NUL-terminated string: one allocation for the entries, the
 * products and their strings together (freed with free((void *)d->entries)). */
int xs_pane_delta_decode(const unsigned char *buf, size_t len, struct xs_pane_delta *d)
{
        memset(d, 0, sizeof(*d));
        const size_t head = 4 + 16 + 8 * XS_REL_COUNT + 4;
        if (len < head || memcmp(buf, MAGIC, 4) != 0)
                return -1;
        const unsigned char *p = buf + 4, *end = buf + len;
        d->pane_start = (int64_t)get_u(&p, 8);
        d->pane_end = (int64_t)get_u(&p, 8);
        for (int r = 0; r < XS_REL_COUNT; r++)
                d->tx[r] = (int64_t)get_u(&p, 8);
        uint64_t n = get_u(&p, 4);
        /* panes lie in event time (1970 to 9999, XS_MAX_TIME): their arithmetic cannot overflow */
        if (d->pane_start < 0 || d->pane_end <= d->pane_start || d->pane_end > 2 * XS_MAX_TIME ||
            n > (len - head) / (4 + 1 + 4 * XS_REL_COUNT))
                return -1;
        for (int r = 0; r < XS_REL_COUNT; r++)
                if (d->tx[r] > XS_PANE_COUNT_MAX || d->tx[r] < -XS_PANE_COUNT_MAX)
                        return -1;
        /* sizes: a first pass checks the lengths against the bytes */
        size_t strings = 0;
        const unsigned char *q = p;
        for (uint64_t i = 0; i < n; i++) {
                for (int k = 0; k < 2; k++)
                        if (skip_str(&q, end, k == 0, &strings) != 0)
                                return -1;
                if ((size_t)(end - q) < 4 * XS_REL_COUNT)
                        return -1;
                /* a pane's count of one pair in one partition: far below what sums of many
                 * panes may reach in the window's 32-bit cells */
                for (int r = 0; r < XS_REL_COUNT; r++) {
                        const unsigned char *c = q + 4 * r;
                        int32_t v = (int32_t)(uint32_t)get_u(&c, 4);
                        if (v > XS_PANE_COUNT_MAX || v < -XS_PANE_COUNT_MAX)
                                return -1;
                }
                q += 4 * XS_REL_COUNT;
        }
        if (end - q < 4)
                return -1;
        uint64_t np = get_u(&q, 4);
        if (np > (size_t)(end - q) / (8 + 16 + XS_CURRENCY_LEN))
                return -1;
        for (uint64_t i = 0; i < np; i++) {
                for (int k = 0; k < 4; k++)
                        if (skip_str(&q, end, k == 0, &strings) != 0)
                                return -1;
                if ((size_t)(end - q) < 16 + XS_CURRENCY_LEN)
                        return -1;
                q += 16 + XS_CURRENCY_LEN;
        }
        if (q != end)
                return -1;
        struct xs_pane_entry *entries =
            malloc(n * sizeof(*entries) + np * sizeof(struct xs_pane_product) + strings + 1);
        if (!entries)
                return -1;
        struct xs_pane_product *prods = (struct xs_pane_product *)(entries + n);
        char *s = (char *)(prods + np);
        for (uint64_t i = 0; i < n; i++) {
                struct xs_pane_entry *e = &entries[i];
                e->a = take_str(&p, &s, 1);
                e->b = take_str(&p, &s, 0);
                for (int r = 0; r < XS_REL_COUNT; r++)
                        e->rel[r] = (int32_t)(uint32_t)get_u(&p, 4);
        }
        p += 4; /* the product count, read above */
        for (uint64_t i = 0; i < np; i++) {
                struct xs_pane_product *pr = &prods[i];
                const char **f[4] = {&pr->id, &pr->category, &pr->brand, &pr->category_label};
                for (int k = 0; k < 4; k++)
                        *f[k] = take_str(&p, &s, k == 0);
                pr->price = (int64_t)get_u(&p, 8);
                pr->price_at = (int64_t)get_u(&p, 8);
                memcpy(pr->currency, p, XS_CURRENCY_LEN);
                pr->currency[XS_CURRENCY_LEN - 1] = '\0';
                p += XS_CURRENCY_LEN;
        }
        d->entries = entries;
        d->n_entries = (size_t)n;
        d->products = np ? prods : NULL;
        d->n_products = (size_t)np;
        d->n_orders = d->tx[XS_REL_ORDER];
        return 0;
}
