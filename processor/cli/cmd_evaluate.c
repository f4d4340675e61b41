/*
 * `xsell evaluate`: offer quality on a recorded dataset (PRODUCT.md §5, §6).
 *
 * The events are replayed in time order through two engines: the configured one, and the same
 * configuration with cooc.score=count (the raw weighted pair count, no significance). Event
 * time is split into a learning period and an evaluation period. Offers made in the learning
 * period only build state (caps, journeys); every offer made in the evaluation period is
 * recorded and scored by this command itself, from the PURCHASE events that follow it:
 *
 *   hit@1   the customer bought the rank-1 product within attribution.window of created_at
 *   hit@3   ... any of the products at ranks 1..3
 *   coverage  evaluation-period customers (and orders) that received an offer
 *   conversion  the engine's own attribution (its outcomes: what xs_engine_stats counts)
 *
 * A third ranking, global popularity, is computed for the same offer moments as the engine:
 * the most purchased products over the last window.size (counts kept here), as many as the
 * engine offered, skipping the trigger event's items and whatever the engine's own guardrails
 * refuse for that customer at that moment (xs_cand_guard_ok: the anchor, unknown or out of
 * stock, the cart, bought within guard.bought_horizon by the exact rule). The count engine runs
 * the same code, so all three rankings are held to one guard.
 *
 * The protocol table (first in the report) gives per moment (stage) and offer type, for the
 * engine, popularity and the count engine: offers, customers with an offer, coverage, hit@1
 * and hit@3 with 95% percentile intervals from --bootstrap resamples of the customers with an
 * offer (customers, not offers, are the independent unit), and the hit@3 ratios engine /
 * popularity and engine / count with paired intervals (the same resamples). The evaluation
 * protocol on Online Retail is `-f retail --split 2011-09-01` (BENCHMARKS.md).
 *
 * Every UPSELL and DOWNSELL item of both engines is also checked against the catalog rules
 * (same finest category or an explicit target, within the price ratios; an explicit add-on
 * upgrade at any price); the share that complies must be 1.
 *
 * Bounds: one pass over the file (two with a fractional --split, to find the time span);
 * memory grows with the distinct customers and products and the evaluation-period offers,
 * which is what the command reports on. Nothing here reads the clock except progress lines.
 *
 * This file is the command: options and the reading loop that feeds both engines; what is kept
 * and scored along the way is evaluate.c's, the report (markdown tables or JSON, and the offers
 * file) evaluate_report.c's.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/evaluate.h"
#include "cli/evaluate_report.h"
#include "engine/stepper.h"
#include "io/text.h"
#include "util/conf_int.h"
#include "util/intern.h"

/* ---- the command -------------------------------------------------------------------- */

static void usage(FILE *f)
{
        fprintf(f,
                "usage: xsell evaluate [options] EVENTS\n"
                "Offer quality: replays EVENTS in time order, learns until --split, then scores\n"
                "every offer against what the customer bought within attribution.window, next\n"
                "to two baselines on the same stream: global popularity over window.size and the\n"
                "same policy ranked by raw co-occurrence count (cooc.score=count).\n\n"
                "  -f, --events-format FMT  events format: auto, avro, jsonl, rees46, retail,\n"
                "                        groceries (default auto)\n"
                "  -c, --catalog FILE    catalog (jsonl or avro), loaded before the events\n"
                "      --split S         where evaluation starts: a fraction of the time span\n"
                "                        (0 < S < 1, default 0.7) or a UTC time\n"
                "                        (\"2011-08-01\", \"2011-08-01 12:00:00\")\n"
                "                        The protocol of BENCHMARKS.md on Online Retail:\n"
                "                        -f retail --split 2011-09-01 (learn until September,\n"
                "                        evaluate September and October)\n"
                "      --bootstrap N     resamples of the customers for the 95%% intervals\n"
                "                        (default 1000; 0: no intervals)\n"
                "      --format FMT      report: text (default; markdown tables) or json\n"
                "  -o, --offers FILE     every evaluated offer as a JSON line (ranking, items,\n"
                "                        popularity items, hits)\n"
                "      --rules-verbose   print every upsell/downsell item that breaks the rules\n"
                "  -q, --quiet           no progress on stderr\n"
                "  -F, --config FILE     properties file (key=value)\n"
                "  -X key=value          configuration (both engines); the command's default\n"
                "                        is control.share=0, so that every customer is scored\n"
                "  -h, --help            this help\n");
}

static int parse_split(const char *s, double *frac, int64_t *t)
{
        char *end;
        double d = strtod(s, &end);
        if (*end == '\0' && end != s && d > 0.0 && d < 1.0) {
                *frac = d;
                return 0;
        }
        char buf[32];
        size_t n = strlen(s);
        if (n >= sizeof(buf))
                return -1;
        memcpy(buf, s, n + 1);
        if (n && buf[n - 1] == 'Z')
                buf[--n] = '\0';
        if (n == 10) {
                memcpy(buf + 10, " 00:00:00", 10);
                n = 19;
        }
        if (n > 10 && buf[10] == 'T')
                buf[10] = ' ';
        if (xs_io_parse_utc(buf, n, t) != 0)
                return -1;
        *frac = -1;
        return 0;
}

/* First pass for a fractional split: the span of event times in the file. */
static int time_span(const char *path, enum xs_format fmt, int64_t *lo, int64_t *hi)
{
        char err[512];
        struct xs_reader *rd = xs_reader_open(path, fmt, XS_KIND_EVENT, err, sizeof(err));
        if (!rd) {
                fprintf(stderr, "xsell evaluate: %s\n", err);
                return -1;
        }
        *lo = INT64_MAX;
        *hi = INT64_MIN;
        for (;;) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t e = xs_reader_next(rd, &rec, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        fprintf(stderr, "xsell evaluate: %s\n", err);
                        xs_reader_close(rd);
                        return -1;
                }
                if (e != XS_OK)
                        continue;
                if (eof)
                        break;
                if (rec.ev.event_time < *lo)
                        *lo = rec.ev.event_time;
                if (rec.ev.event_time > *hi)
                        *hi = rec.ev.event_time;
        }
        xs_reader_close(rd);
        if (*lo > *hi) {
                fprintf(stderr, "xsell evaluate: %s: no events\n", path);
                return -1;
        }
        return 0;
}

int xs_cmd_evaluate(int argc, char **argv)
{
        static const struct option opts[] = {{"events-format", required_argument, 0, 'f'},
                                             {"catalog", required_argument, 0, 'c'},
                                             {"split", required_argument, 0, 1},
                                             {"format", required_argument, 0, 2},
                                             {"rules-verbose", no_argument, 0, 3},
                                             {"offers", required_argument, 0, 'o'},
                                             {"catalog-format", required_argument, 0, 4},
                                             {"bootstrap", required_argument, 0, 5},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"config", required_argument, 0, 'F'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
        static const char *const extra[] = {"control.share=0", NULL};
        struct xs_cli_conf cc = {0};
        const char *catalog = NULL, *offers_path = NULL;
        int fmt = XS_FMT_AUTO, cat_fmt = XS_FMT_AUTO, quiet = 0, json = 0, verbose_rules = 0;
        int resamples = 1000;
        double frac = 0.7;
        int64_t split_t = 0;
        int opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "f:c:o:qF:X:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'f':
                        if (xs_cli_format_opt("evaluate", optarg, &fmt) != 0)
                                return 2;
                        break;
                case 4:
                        if (xs_cli_format_opt("evaluate", optarg, &cat_fmt) != 0)
                                return 2;
                        break;
                case 'c':
                        catalog = optarg;
                        break;
                case 'o':
                        offers_path = optarg;
                        break;
                case 1:
                        if (parse_split(optarg, &frac, &split_t) != 0) {
                                fprintf(stderr,
                                        "xsell evaluate: --split: a fraction in (0, 1) or a UTC "
                                        "time such as 2011-08-01 or \"2011-08-01 12:00:00\"\n");
                                return 2;
                        }
                        break;
                case 2:
                        if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                                fprintf(stderr, "xsell evaluate: output format: text or json\n");
                                return 2;
                        }
                        json = !strcmp(optarg, "json");
                        break;
                case 3:
                        verbose_rules = 1;
                        break;
                case 5: {
                        char *end;
                        long n = strtol(optarg, &end, 10);
                        if (*end || end == optarg || n < 0 || n > 100000) {
                                fprintf(stderr, "xsell evaluate: --bootstrap: 0 to 100000\n");
                                return 2;
                        }
                        resamples = (int)n;
                        break;
                }
                case 'q':
                        quiet = 1;
                        break;
                case 'F':
                case 'X':
                        if (xs_cli_conf_opt(&cc, opt, optarg) != 0)
                                return 2;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                return 2;
        }
        const char *path = argv[optind];
        char err[512];
        struct xs_conf *conf = xs_cli_conf_build(&cc, extra);
        if (!conf)
                return 2;
        struct xs_conf *conf_count = xs_conf_dup(conf);
        if (!conf_count ||
            xs_conf_set(conf_count, "cooc.score", "count", err, sizeof(err)) != XS_OK) {
                fprintf(stderr, "xsell evaluate: %s\n", conf_count ? err : "out of memory");
                xs_conf_destroy(conf);
                xs_conf_destroy(conf_count);
                return 2;
        }
        int rc = 1;
        struct ev_report_row *rep = NULL;
        struct ev_boot_row *boot = NULL;
        struct xs_reader *rd = NULL;
        struct xs_stepper *steppers[EV_N] = {0};
        struct evaluate *ev = calloc(1, sizeof(*ev));
        if (!ev) {
                fprintf(stderr, "xsell evaluate: out of memory\n");
                goto out;
        }
        ev->p = xs_conf_params(conf);
        ev->verbose_rules = verbose_rules;
        ev->resamples = resamples;
        ev->customers = xs_intern_new();
        ev->products = xs_intern_new();
        if (!ev->customers || !ev->products) {
                fprintf(stderr, "xsell evaluate: out of memory\n");
                goto out;
        }
        if (time_span(path, (enum xs_format)fmt, &ev->t_min, &ev->t_max) != 0)
                goto out;
        ev->split =
            frac > 0 ? ev->t_min + (int64_t)((double)(ev->t_max - ev->t_min) * frac) : split_t;
        for (int w = 0; w < EV_N; w++) {
                struct ev_engine *ee = &ev->e[w];
                ee->ev = ev;
                ee->which = w;
                struct xs_sink sink = {xs_evaluate_on_offer, NULL, xs_evaluate_on_outcome, ee};
                ee->eng = xs_engine_new(w ? conf_count : conf, &sink, err, sizeof(err));
                if (!ee->eng) {
                        fprintf(stderr, "xsell evaluate: %s\n", err);
                        goto out;
                }
                if (catalog && xs_cli_load_catalog(ee->eng, catalog, (enum xs_format)cat_fmt, NULL,
                                                   NULL, quiet || w) != 0)
                        goto out;
                /* window.visibility=sealed: panes visible once sealed, as `xsell run` and
                 * `xsell replay` see the stream */
                if (!strcmp(ev->p->window_visibility, "sealed") &&
                    !(steppers[w] = xs_stepper_new(ee->eng, NULL, NULL)))
                        goto nomem;
        }
        rd = xs_reader_open(path, (enum xs_format)fmt, XS_KIND_EVENT, err, sizeof(err));
        if (!rd) {
                fprintf(stderr, "xsell evaluate: %s\n", err);
                goto out;
        }
        double start = xs_cli_now(), last_progress = start;
        uint64_t records = 0;
        int64_t max_t = INT64_MIN;
        for (;;) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t e = xs_reader_next(rd, &rec, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        fprintf(stderr, "xsell evaluate: %s\n", err);
                        goto out;
                }
                if (e != XS_OK)
                        continue;
                if (eof)
                        break;
                records++;
                const struct xs_event *x = &rec.ev;
                ev->seq++;
                ev->cur = x;
                ev->n_cur_items = 0;
                if (!xs_evaluate_customer(ev, x->customer_id, &ev->cur_cust))
                        goto nomem;
                for (size_t i = 0; i < x->n_items && ev->n_cur_items < 1024; i++) {
                        uint32_t id = xs_evaluate_product(ev, x->items[i].product_id);
                        if (id && !xs_evaluate_in_items(ev->cur_items, ev->n_cur_items, id))
                                ev->cur_items[ev->n_cur_items++] = id;
                }
                xs_err_t ea = steppers[0] ? xs_stepper_process_one(steppers[0], x, err, sizeof(err))
                                          : xs_engine_process(ev->e[0].eng, x, err, sizeof(err));
                xs_err_t eb = steppers[1] ? xs_stepper_process_one(steppers[1], x, err, sizeof(err))
                                          : xs_engine_process(ev->e[1].eng, x, err, sizeof(err));
                if (ea == XS_ERR_NOMEM || eb == XS_ERR_NOMEM || ev->nomem)
                        goto nomem;
                if (ea == XS_OK) {
                        if (x->event_time > max_t)
                                max_t = x->event_time;
                        if (x->event_time >= ev->split)
                                ev->events_eval++;
                        else
                                ev->events_learn++;
                        xs_evaluate_observe(ev, x);
                }
                ev->cur = NULL;
                if (!quiet && (records & 4095) == 0) {
                        double now = xs_cli_now();
                        if (now - last_progress >= 1.0) {
                                fprintf(stderr,
                                        "xsell evaluate: %" PRIu64 " records  %zu offers  %.0f "
                                        "records/s\n",
                                        records, ev->e[0].n_offers,
                                        (double)records / (now - start));
                                last_progress = now;
                        }
                }
        }
        /* end of input: what is due by the last event time fires, nothing later (an offer past
         * the end could not be scored) */
        if (max_t != INT64_MIN)
                for (int w = 0; w < EV_N; w++) {
                        if (steppers[w])
                                xs_stepper_finish(steppers[w], max_t);
                        else
                                xs_engine_advance(ev->e[w].eng, max_t + ev->p->allowed_lateness);
                }
        if (ev->nomem)
                goto nomem;
        rep = calloc(EV_ROWS + 1, sizeof(*rep));
        boot = calloc(EV_ROWS + 1, sizeof(*boot));
        if (!rep || !boot || xs_evaluate_build_report(ev, rep) != 0 ||
            xs_evaluate_bootstrap(ev, resamples, boot) != 0)
                goto nomem;
        if (json)
                xs_evaluate_report_json(stdout, ev, conf, path, rep, boot);
        else
                xs_evaluate_report_text(stdout, ev, conf, path, rep, boot);
        rc = fflush(stdout) == 0 ? 0 : 1;
        if (offers_path && xs_evaluate_write_offers(ev, offers_path) != 0)
                rc = 1;
        goto out;
nomem:
        fprintf(stderr, "xsell evaluate: out of memory\n");
out:
        xs_reader_close(rd);
        if (ev) {
                for (int w = 0; w < EV_N; w++) {
                        xs_stepper_destroy(steppers[w]);
                        xs_engine_destroy(ev->e[w].eng);
                        free(ev->e[w].offers);
                }
                for (size_t i = 0; i < ev->cap_cust; i++) {
                        free(ev->cust[i].pend);
                }
                free(ev->cust);
                free(ev->pq);
                free(ev->pop_count);
                xs_intern_destroy(ev->customers);
                xs_intern_destroy(ev->products);
                free(ev);
        }
        free(rep);
        free(boot);
        xs_conf_destroy(conf_count);
        xs_conf_destroy(conf);
        return rc;
}
