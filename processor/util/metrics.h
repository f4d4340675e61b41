/*
 * The Prometheus text exposition format (version 0.0.4), written into a growable buffer: metric
 * families (# HELP, # TYPE), samples with escaped label values, and histograms with cumulative
 * buckets, _sum and _count. The writer knows nothing of xsell's metrics; the Kafka runtime
 * (kafka/obs.c) decides what is exposed.
 *
 *   struct xs_prom w = {0};
 *   xs_prom_family(&w, "xsell_records_consumed_total", "counter", "input records consumed");
 *   xs_prom_u64(&w, "xsell_records_consumed_total", (const char *const[]){"topic", t, NULL}, n);
 *
 * Out of memory: the writer stops writing and sets oom; the text written so far stays valid up
 * to its last complete line. Names are the caller's constants and are not checked; label values
 * may be anything (backslash, double quote and newline are escaped).
 */
#ifndef XS_METRICS_H
#define XS_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct xs_prom {
        char *buf; /* NUL-terminated text, owned by the writer */
        size_t len, cap;
        int oom;
};

/* Empties the text (keeps the buffer). */
void xs_prom_reset(struct xs_prom *w);
/* Frees the buffer; w may be reused after it. */
void xs_prom_free(struct xs_prom *w);

/* # HELP and # TYPE lines of a family (type: counter, gauge or histogram). */
void xs_prom_family(struct xs_prom *w, const char *name, const char *type, const char *help);
/* One sample; labels is NULL or a NULL-terminated list name, value, name, value... */
void xs_prom_u64(struct xs_prom *w, const char *name, const char *const *labels, uint64_t value);
void xs_prom_i64(struct xs_prom *w, const char *name, const char *const *labels, int64_t value);
void xs_prom_dbl(struct xs_prom *w, const char *name, const char *const *labels, double value);

/* A histogram over fixed upper bounds (ascending, at most XS_HISTO_MAX); observations above the
 * last bound count only in +Inf. */
#define XS_HISTO_MAX 32
struct xs_histo {
        size_t n;
        double le[XS_HISTO_MAX];
        uint64_t count[XS_HISTO_MAX + 1]; /* per bucket, not cumulative; [n] is +Inf */
        double sum;
        uint64_t total;
};
/* bounds[0..n) ascending; n is cut to XS_HISTO_MAX. */
void xs_histo_init(struct xs_histo *h, const double *bounds, size_t n);
void xs_histo_observe(struct xs_histo *h, double v);
/* The whole family: HELP, TYPE, name_bucket{le} (cumulative, ending with +Inf), name_sum,
 * name_count. */
void xs_prom_histo(struct xs_prom *w, const char *name, const char *help, const struct xs_histo *h);

#endif
