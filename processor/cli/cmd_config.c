/*
 * `xsell config`: the configuration table as text (--list), as the README's Markdown reference
 * (--markdown), or the effective values after -F/-X/environment (--show), checked.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"

static void list_row(void *opaque, const char *key, const char *type, const char *value,
                     const char *def, const char *range, const char *desc)
{
        int mode = *(int *)opaque;
        if (mode == 0)
                printf("%-40s %-8s default %-10s range %s\n    %s\n", key, type, def, range, desc);
        else if (mode == 1)
                printf("| `%s` | %s | `%s` | %s | %s |\n", key, type, def, range, desc);
        else
                printf("%s=%s\n", key, value);
}

static void kafka_row(void *opaque, const char *key, const char *value)
{
        (void)opaque;
        printf("kafka.%s=%s\n", key, value);
}

int xs_cmd_config(int argc, char **argv)
{
        static const struct option opts[] = {
            {"list", no_argument, 0, 'l'}, {"markdown", no_argument, 0, 'm'},
            {"show", no_argument, 0, 's'}, {"config", required_argument, 0, 'F'},
            {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
        struct xs_cli_conf cc = {0};
        int mode = -1, opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "lmsF:X:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'l':
                        mode = 0;
                        break;
                case 'm':
                        mode = 1;
                        break;
                case 's':
                        mode = 2;
                        break;
                case 'F':
                case 'X':
                        if (xs_cli_conf_opt(&cc, opt, optarg) != 0)
                                return 2;
                        break;
                case 'h':
                default:
                        fprintf(opt == 'h' ? stdout : stderr,
                                "usage: xsell config --list | --markdown | --show [-F FILE] "
                                "[-X key=value]\n"
                                "  --list      every key with its type, default, range and "
                                "meaning\n"
                                "  --markdown  the same as a Markdown table (README reference)\n"
                                "  --show      the effective configuration after defaults < -F "
                                "files < XSELL_* environment < -X, checked\n");
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (mode < 0 || optind != argc) {
                fprintf(stderr, "xsell config: one of --list, --markdown, --show\n");
                return 2;
        }
        struct xs_conf *conf = xs_cli_conf_build(&cc, NULL);
        if (!conf)
                return 2;
        if (mode == 1)
                printf("| key | type | default | range | meaning |\n|---|---|---|---|---|\n");
        xs_conf_foreach(conf, list_row, &mode);
        if (mode == 2)
                xs_conf_kafka_foreach(conf, kafka_row, NULL);
        xs_conf_destroy(conf);
        return 0;
}
