/*
 * The in-process measurements of `xsell bench` (bench_engine.c): the engine's throughput,
 * latency and memory on pre-encoded events, and memory under caps on an adversarial stream.
 * Each returns the exit status of the command (0, 1 failure, 2 configuration) and prints its
 * figure lines on stdout.
 */
#ifndef XS_CLI_BENCH_ENGINE_H
#define XS_CLI_BENCH_ENGINE_H

#include "cli/bench.h"

/* `xsell bench engine`: o->events defaults to 1,000,000 (set in *o). */
int xs_bench_engine(struct bopts *o);
/* `xsell bench memory`: o->events defaults to 4,000,000 (set in *o). */
int xs_bench_memory(struct bopts *o);
/* `xsell bench restore`: o->events (default 3,000,000) through an engine that lists its changes,
 * then every changed customer exported (one commit's changelog records) and imported into a
 * fresh engine: bytes per customer, export and import time, memory. */
int xs_bench_restore(struct bopts *o);

#endif
