/*
 * The report of `xsell evaluate` (evaluate_report.c): markdown or JSON of what evaluate.c
 * measured, and every evaluated offer as a JSON line. cmd_evaluate.c calls these once, after
 * the replay.
 */
#ifndef XS_CLI_EVALUATE_REPORT_H
#define XS_CLI_EVALUATE_REPORT_H

#include <stdio.h>

#include "cli/evaluate.h"

struct xs_conf;

/* The report of ev read from source, with the parameters of conf: rep[0..EV_ROWS] from
 * xs_evaluate_build_report, boot[0..EV_ROWS] from xs_evaluate_bootstrap. */
void xs_evaluate_report_text(FILE *f, struct evaluate *ev, const struct xs_conf *conf,
                             const char *source, const struct ev_report_row *rep,
                             const struct ev_boot_row *boot);
void xs_evaluate_report_json(FILE *f, struct evaluate *ev, const struct xs_conf *conf,
                             const char *source, const struct ev_report_row *rep,
                             const struct ev_boot_row *boot);
/* Every evaluated offer of ev to path ("-": stdout) as a JSON line. Returns 0, or -1 (said on
 * stderr) when it cannot be written. */
int xs_evaluate_write_offers(struct evaluate *ev, const char *path);

#endif
