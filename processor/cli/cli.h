/*
 * Helpers shared by the subcommands: configuration from -F/-X/environment in the documented
 * precedence, progress lines on stderr, and the summary of a run.
 */
#ifndef XS_CLI_H
#define XS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "xsell/xsell.h"

/* Collected -F files and -X settings, applied in order by xs_cli_conf_build(). */
struct xs_cli_conf {
        const char *files[16];
        int n_files;
        const char *sets[256];
        int n_sets;
};

/* Records -F FILE; returns -1 (message printed) when too many. */
int xs_cli_conf_file(struct xs_cli_conf *cc, const char *path);
/* Records -X key=value; returns -1 (message printed) when malformed or too many. */
int xs_cli_conf_set(struct xs_cli_conf *cc, const char *kv);
/* The shared -F FILE / -X key=value options: opt is 'F' or 'X'. Returns 0, or -1 with the
 * message printed. */
int xs_cli_conf_opt(struct xs_cli_conf *cc, int opt, const char *arg);
/* An input format option (xs_format_parse) into *fmt; -1 with "xsell CMD: unknown format"
 * printed (cmd NULL: "xsell: ...") when arg names none. */
int xs_cli_format_opt(const char *cmd, const char *arg, int *fmt);
/* Writes s to f as a JSON string (quotes, backslash and control characters escaped). */
void xs_cli_json_string(FILE *f, const char *s);
/* defaults < files < environment < -X. Returns a new conf (caller destroys), or NULL with the
 * error printed to stderr as "xsell: ...". extra: settings applied before the files (command
 * defaults such as pairs' unbounded window), may be NULL. */
struct xs_conf *xs_cli_conf_build(const struct xs_cli_conf *cc, const char *const *extra);

/* Loads a catalog file into eng: upserts and tombstones. Records that cannot be read or are
 * rejected go to bad (may be NULL) with their position, the stage ("catalog_read" or
 * "catalog") and the reason. Returns 0, or -1 when the file cannot be opened or read (message
 * printed). Prints a one-line count unless quiet. */
typedef void(xs_cli_bad_cb)(void *opaque, const char *source, uint64_t position, xs_err_t err,
                            const char *stage, const char *why);
int xs_cli_load_catalog(struct xs_engine *eng, const char *path, enum xs_format fmt,
                        xs_cli_bad_cb *bad, void *opaque, int quiet);

/* Wall-clock seconds (progress and rates only, never engine logic). */
double xs_cli_now(void);

/* Prints the run summary (events, rejections, offers by type and stage, conversions) to f, as
 * text or, with json != 0, one JSON object. */
void xs_cli_summary(FILE *f, const struct xs_stats *st, const char *source, uint64_t records,
                    uint64_t read_errors, double seconds, int json);

#endif
