/*
 * The measurements of `xsell bench` on the embedded mock cluster (bench_broker.c): end-to-end
 * throughput of `xsell run` against a raw consumer, and offer latency under an open-loop load.
 * Each returns the exit status of the command (0, 1 failure, 2 configuration) and prints its
 * figure lines on stdout.
 */
#ifndef XS_CLI_BENCH_BROKER_H
#define XS_CLI_BENCH_BROKER_H

#include "cli/bench.h"

/* `xsell bench e2e`: o->events defaults to 300,000 (set in *o). */
int xs_bench_e2e(struct bopts *o);
/* `xsell bench latency`: needs o->rate > 0; pane 1s unless given, window 1m in place of the
 * default 7d (set in *o). */
int xs_bench_latency(struct bopts *o);

#endif
