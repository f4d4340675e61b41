/*
 * `xsell bench`: repeatable measurements of throughput, latency and memory (BENCHMARKS.md).
 *
 *   engine   pre-generated, pre-encoded events through the engine (bench_engine.c)
 *   memory   an adversarial stream under caps: RSS and allocator samples (bench_engine.c)
 *   e2e      the embedded broker: a raw consumer vs `xsell run` (bench_broker.c)
 *   latency  open loop at a set rate into the embedded broker: offer latency (bench_broker.c)
 *
 * Timing is wall-clock and only printed, never asserted. Each figure is one line on stdout:
 * "bench <what> key=value ...".
 *
 * This file is the command: the options every subcommand shares (struct bopts, bench.h) and
 * the choice of subcommand; each measurement prints its own figure lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/bench_broker.h"
#include "cli/bench_engine.h"
#include "cli/cli.h"
#include "cli/cmd.h"

static const char *arg_val(int argc, char **argv, int *i)
{
        if (*i + 1 >= argc) {
                fprintf(stderr, "xsell bench: %s needs a value\n", argv[*i]);
                return NULL;
        }
        return argv[++*i];
}

static int parse_num(const char *opt, const char *s, double *out)
{
        char *end;
        if (!s)
                return -1;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || v < 0) {
                fprintf(stderr, "xsell bench: %s: \"%s\" is not a non-negative number\n", opt, s);
                return -1;
        }
        *out = v;
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: xsell bench SUBCOMMAND [options]    (one line per figure on stdout)\n"
                "  engine    pre-generated, pre-encoded events through the engine\n"
                "  memory    adversarial stream under caps: RSS and allocator samples\n"
                "  restore   customers changelog: export and import of every customer\n"
                "  e2e       embedded broker: raw consumer vs xsell run (and exactly_once)\n"
                "  latency   open loop at --rate into the embedded broker; offer latency\n"
                "options:\n"
                "  --events N        events measured (engine default 1000000)\n"
                "  --warmup N        events processed before the measured ones (default 0)\n"
                "  --customers N     generator customers (default 10000)\n"
                "  --products N      generator products (default 20000)\n"
                "  --days N          days the generated events span (default 14)\n"
                "  --seed N          generator seed (default 1)\n"
                "  --window DUR      window.size (default 7d); --pane DUR window.pane\n"
                "                    (default: 1h, or window/12 for windows under 12h)\n"
                "  --mode M          engine: full (decode+engine+encode, default), engine,\n"
                "                    decode\n"
                "  --latency         engine: also per-event time percentiles (adds clock reads)\n"
                "  --rate R          latency: events per second offered (open loop)\n"
                "  --seconds S       latency: duration (default 20)\n"
                "  --eos-only        e2e: skip the at-least-once run\n"
                "  -X key=value      engine configuration (also kafka.* for e2e/latency)\n"
                "  -q                no progress on stderr\n");
}

static int parse_opts(int argc, char **argv, struct bopts *o)
{
        memset(o, 0, sizeof(*o));
        o->events = 0;
        o->customers = 10000;
        o->products = 20000;
        o->days = 14;
        o->seed = 1;
        o->window = "7d";
        o->mode = "full";
        o->seconds = 20;
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i];
                double v = 0;
                if (!strcmp(a, "--latency")) {
                        o->latency = 1;
                } else if (!strcmp(a, "-q")) {
                        o->quiet = 1;
                } else if (!strcmp(a, "--eos-only")) {
                        o->eos_only = 1;
                } else if (!strcmp(a, "-X")) {
                        const char *s = arg_val(argc, argv, &i);
                        if (!s || xs_cli_conf_set(&o->cc, s) != 0)
                                return -1;
                } else if (!strcmp(a, "--window")) {
                        if (!(o->window = arg_val(argc, argv, &i)))
                                return -1;
                } else if (!strcmp(a, "--pane")) {
                        if (!(o->pane = arg_val(argc, argv, &i)))
                                return -1;
                } else if (!strcmp(a, "--mode")) {
                        if (!(o->mode = arg_val(argc, argv, &i)))
                                return -1;
                        if (strcmp(o->mode, "full") && strcmp(o->mode, "engine") &&
                            strcmp(o->mode, "decode")) {
                                fprintf(stderr, "xsell bench: --mode full, engine or decode\n");
                                return -1;
                        }
                } else if (!strcmp(a, "--events") || !strcmp(a, "--warmup") ||
                           !strcmp(a, "--customers") || !strcmp(a, "--products") ||
                           !strcmp(a, "--days") || !strcmp(a, "--seed") || !strcmp(a, "--rate") ||
                           !strcmp(a, "--seconds")) {
                        if (parse_num(a, arg_val(argc, argv, &i), &v) != 0)
                                return -1;
                        if (!strcmp(a, "--events"))
                                o->events = (uint64_t)v;
                        else if (!strcmp(a, "--warmup"))
                                o->warmup = (uint64_t)v;
                        else if (!strcmp(a, "--customers"))
                                o->customers = (uint32_t)v;
                        else if (!strcmp(a, "--products"))
                                o->products = (uint32_t)v;
                        else if (!strcmp(a, "--days"))
                                o->days = (uint32_t)v;
                        else if (!strcmp(a, "--seed"))
                                o->seed = (uint64_t)v;
                        else if (!strcmp(a, "--rate"))
                                o->rate = v;
                        else
                                o->seconds = v;
                } else {
                        fprintf(stderr, "xsell bench: unknown option \"%s\"\n", a);
                        return -1;
                }
        }
        return 0;
}

int xs_cmd_bench(int argc, char **argv)
{
        struct bopts o;
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (parse_opts(argc, argv, &o) != 0)
                return 2;
        const char *sub = argv[1];
        if (!strcmp(sub, "engine"))
                return xs_bench_engine(&o);
        if (!strcmp(sub, "memory"))
                return xs_bench_memory(&o);
        if (!strcmp(sub, "restore"))
                return xs_bench_restore(&o);
        if (!strcmp(sub, "e2e"))
                return xs_bench_e2e(&o);
        if (!strcmp(sub, "latency"))
                return xs_bench_latency(&o);
        fprintf(stderr, "xsell bench: unknown subcommand \"%s\"\n\n", sub);
        usage(stderr);
        return 2;
}
