/*
 * What the measurements of `xsell bench` share (bench.c): the options of every subcommand, the
 * clocks, percentiles, and the engine configuration and generator a run starts from. The
 * measurements (bench_engine.h, bench_broker.h) call these; nothing here calls them.
 */
#ifndef XS_CLI_BENCH_H
#define XS_CLI_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"

struct xs_gen;

/* Options shared by the subcommands. */
struct bopts {
        uint64_t events, warmup;
        uint32_t customers, products, days;
        uint64_t seed;
        const char *window, *pane, *mode;
        int latency, quiet, eos_only;
        double rate, seconds;
        struct xs_cli_conf cc;
};

/* Monotonic clock in seconds and in nanoseconds (timing only, never engine logic). */
double xs_bench_now_s(void);
int64_t xs_bench_now_ns(void);
/* qsort comparison of int64_t values, ascending. */
int xs_bench_cmp_i64(const void *a, const void *b);
/* Percentile q (0..1) of sorted v[n] (nearest rank); 0 when n is 0. */
int64_t xs_bench_pct(const int64_t *v, size_t n, double q);
/* The engine configuration of o: window and pane first, then the user's -F/-X on top. A new
 * conf (the caller destroys it), or NULL with the error printed. */
struct xs_conf *xs_bench_conf(const struct bopts *o);
/* A generator of events events with o's seed, customers, products and days, into *gen (the
 * caller destroys it). Returns 0, or -1 with the error printed. */
int xs_bench_gen_setup(const struct bopts *o, uint64_t events, struct xs_gen **gen);

#endif
