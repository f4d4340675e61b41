/*
 * xsell: streaming cross-sell, upsell and downsell offers from customer events.
 * This file only dispatches subcommands; each lives in cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"

#ifndef XS_VERSION
#define XS_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
        fprintf(f,
                "xsell %s: cross-sell, upsell and downsell offers from customer events\n\n"
                "usage: xsell COMMAND [options]\n\n"
                "commands:\n"
                "  replay     replay recorded events (Avro, JSON lines, REES46/Online Retail/\n"
                "             Groceries CSV) through the engine; offers, signals, outcomes out\n"
                "  pairs      top related products with counts and scores\n"
                "  evaluate   offer quality: hit rates, coverage, conversion vs two baselines\n"
                "  generate   seeded synthetic events and catalog modelled on real data\n"
                "  run        the processor on Kafka (needs kafka.bootstrap.servers)\n"
                "  demo       embedded broker, events loaded, processed end to end (no Kafka)\n"
                "  produce    load any supported file into a topic (wire format)\n"
                "  mock-broker  an embedded broker on loopback for tests\n"
                "  bench      throughput, latency and memory benchmarks (BENCHMARKS.md)\n"
                "  config     list configuration keys, or show the effective configuration\n"
                "  help       this text;  xsell COMMAND --help for a command's options\n",
                XS_VERSION);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        const char *cmd = argv[1];
        if (!strcmp(cmd, "replay"))
                return xs_cmd_replay(argc - 1, argv + 1);
        if (!strcmp(cmd, "pairs"))
                return xs_cmd_pairs(argc - 1, argv + 1);
        if (!strcmp(cmd, "evaluate"))
                return xs_cmd_evaluate(argc - 1, argv + 1);
        if (!strcmp(cmd, "generate"))
                return xs_cmd_generate(argc - 1, argv + 1);
        if (!strcmp(cmd, "config"))
                return xs_cmd_config(argc - 1, argv + 1);
        if (!strcmp(cmd, "run"))
                return xs_cmd_run(argc - 1, argv + 1);
        if (!strcmp(cmd, "demo"))
                return xs_cmd_demo(argc - 1, argv + 1);
        if (!strcmp(cmd, "produce"))
                return xs_cmd_produce(argc - 1, argv + 1);
        if (!strcmp(cmd, "mock-broker"))
                return xs_cmd_mock_broker(argc - 1, argv + 1);
        if (!strcmp(cmd, "bench"))
                return xs_cmd_bench(argc - 1, argv + 1);
        if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
                usage(stdout);
                return 0;
        }
        if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
                printf("xsell %s\n", XS_VERSION);
                return 0;
        }
        fprintf(stderr, "xsell: unknown command \"%s\"\n\n", cmd);
        usage(stderr);
        return 2;
}
