/*
 * The helpers the measurements of `xsell bench` share (bench.h): monotonic clocks, the
 * percentile of sorted samples, the engine configuration from the options, and the seeded
 * generator a run draws its events from. No figure is printed here; errors go to stderr.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/bench.h"
#include "io/gen.h"
#include "util/conf_int.h"
#include "xsell/xsell.h"

double xs_bench_now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int64_t xs_bench_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int xs_bench_cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of sorted v[n] (nearest rank). */
int64_t xs_bench_pct(const int64_t *v, size_t n, double q)
{
        if (!n)
                return 0;
        size_t i = (size_t)ceil(q * (double)n);
        if (i < 1)
                i = 1;
        if (i > n)
                i = n;
        return v[i - 1];
}

/* The engine configuration: window and pane first, then the user's -F/-X on top. */
struct xs_conf *xs_bench_conf(const struct bopts *o)
{
        char pane[32];
        const char *p = o->pane;
        if (!p) {
                struct xs_conf *tmp = xs_conf_new();
                char err[256];
                if (xs_conf_set(tmp, "window.size", o->window, err, sizeof(err)) != XS_OK) {
                        fprintf(stderr, "xsell bench: --window: %s\n", err);
                        xs_conf_destroy(tmp);
                        return NULL;
                }
                int64_t w = xs_conf_params(tmp)->window_size;
                xs_conf_destroy(tmp);
                if (w < 12 * 3600000LL)
                        snprintf(pane, sizeof(pane), "%" PRId64 "ms",
                                 w / 12 < 1000 ? 1000 : w / 12);
                else
                        snprintf(pane, sizeof(pane), "1h");
                p = pane;
        }
        char ws[64], ps[64];
        snprintf(ws, sizeof(ws), "window.size=%s", o->window);
        snprintf(ps, sizeof(ps), "window.pane=%s", p);
        const char *extra[] = {ws, ps, NULL};
        return xs_cli_conf_build(&o->cc, extra);
}

int xs_bench_gen_setup(const struct bopts *o, uint64_t events, struct xs_gen **gen)
{
        char err[512];
        struct xs_gen_conf gc;
        xs_gen_conf_defaults(&gc);
        gc.seed = o->seed;
        gc.customers = o->customers;
        gc.products = o->products;
        gc.days = o->days;
        gc.events = events;
        if (gc.categories > gc.products)
                gc.categories = gc.products;
        *gen = xs_gen_new(&gc, err, sizeof(err));
        if (!*gen) {
                fprintf(stderr, "xsell bench: generator: %s\n", err);
                return -1;
        }
        return 0;
}
