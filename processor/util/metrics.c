/*
 * The Prometheus text exposition format (see metrics.h). Every line is built whole into the
 * buffer; the buffer doubles as needed (a scrape of xsell is some tens of KiB).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/metrics.h"

static int reserve(struct xs_prom *w, size_t more)
{
        if (w->oom)
                return -1;
        if (w->len + more + 1 <= w->cap)
                return 0;
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + more + 1)
                cap *= 2;
        char *b = realloc(w->buf, cap);
        if (!b) {
                w->oom = 1;
                return -1;
        }
        w->buf = b;
        w->cap = cap;
        return 0;
}

static void put(struct xs_prom *w, const char *s, size_t n)
{
        if (reserve(w, n) != 0)
                return;
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        w->buf[w->len] = '\0';
}

static void puts_(struct xs_prom *w, const char *s)
{
        put(w, s, strlen(s));
}

static void printf_(struct xs_prom *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(struct xs_prom *w, const char *fmt, ...)
{
        char tmp[64];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n > 0)
                put(w, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* s with backslash and newline escaped, and double quote too in a label value. */
static void escaped(struct xs_prom *w, const char *s, int quote)
{
        for (const char *p = s; *p; p++) {
                if (*p == '\\')
                        put(w, "\\\\", 2);
                else if (*p == '\n')
                        put(w, "\\n", 2);
                else if (quote && *p == '"')
                        put(w, "\\\"", 2);
                else
                        put(w, p, 1);
        }
}

void xs_prom_reset(struct xs_prom *w)
{
        w->len = 0;
        w->oom = 0;
        if (w->buf)
                w->buf[0] = '\0';
}

void xs_prom_free(struct xs_prom *w)
{
        free(w->buf);
        memset(w, 0, sizeof(*w));
}

void xs_prom_family(struct xs_prom *w, const char *name, const char *type, const char *help)
{
        puts_(w, "# HELP ");
        puts_(w, name);
        puts_(w, " ");
        escaped(w, help, 0);
        puts_(w, "\n# TYPE ");
        puts_(w, name);
        puts_(w, " ");
        puts_(w, type);
        puts_(w, "\n");
}

static void head(struct xs_prom *w, const char *name, const char *const *labels)
{
        puts_(w, name);
        if (!labels || !labels[0])
                return;
        puts_(w, "{");
        for (const char *const *l = labels; l[0] && l[1]; l += 2) {
                if (l != labels)
                        puts_(w, ",");
                puts_(w, l[0]);
                puts_(w, "=\"");
                escaped(w, l[1], 1);
                puts_(w, "\"");
        }
        puts_(w, "}");
}

void xs_prom_u64(struct xs_prom *w, const char *name, const char *const *labels, uint64_t value)
{
        head(w, name, labels);
        printf_(w, " %" PRIu64 "\n", value);
}

void xs_prom_i64(struct xs_prom *w, const char *name, const char *const *labels, int64_t value)
{
        head(w, name, labels);
        printf_(w, " %" PRId64 "\n", value);
}

static void dbl_text(struct xs_prom *w, double v)
{
        if (isnan(v))
                puts_(w, "NaN");
        else if (isinf(v))
                puts_(w, v > 0 ? "+Inf" : "-Inf");
        else
                printf_(w, "%.17g", v);
}

void xs_prom_dbl(struct xs_prom *w, const char *name, const char *const *labels, double value)
{
        head(w, name, labels);
        puts_(w, " ");
        dbl_text(w, value);
        puts_(w, "\n");
}

void xs_histo_init(struct xs_histo *h, const double *bounds, size_t n)
{
        memset(h, 0, sizeof(*h));
        h->n = n < XS_HISTO_MAX ? n : XS_HISTO_MAX;
        memcpy(h->le, bounds, h->n * sizeof(*bounds));
}

void xs_histo_observe(struct xs_histo *h, double v)
{
        size_t i = 0;
        while (i < h->n && v > h->le[i])
                i++;
        h->count[i]++;
        h->sum += v;
        h->total++;
}

void xs_prom_histo(struct xs_prom *w, const char *name, const char *help, const struct xs_histo *h)
{
        char sample[256], le[64];
        xs_prom_family(w, name, "histogram", help);
        snprintf(sample, sizeof(sample), "%s_bucket", name);
        uint64_t cum = 0;
        for (size_t i = 0; i <= h->n; i++) {
                cum += h->count[i];
                if (i < h->n)
                        snprintf(le, sizeof(le), "%g", h->le[i]);
                else
                        snprintf(le, sizeof(le), "+Inf");
                xs_prom_u64(w, sample, (const char *const[]){"le", le, NULL}, cum);
        }
        snprintf(sample, sizeof(sample), "%s_sum", name);
        xs_prom_dbl(w, sample, NULL, h->sum);
        snprintf(sample, sizeof(sample), "%s_count", name);
        xs_prom_u64(w, sample, NULL, h->total);
}
