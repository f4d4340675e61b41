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
 * engine offered, skipping the anchor, the trigger event's items, the customer's cart and
 * what the customer bought within guard.bought_horizon.
 *
 * Every UPSELL and DOWNSELL item of both engines is also checked against the catalog rules
 * (same finest category or an explicit target, within the price ratios; an explicit add-on
 * upgrade at any price); the share that complies must be 1.
 *
 * Bounds: one pass over the file (two with a fractional --split, to find the time span);
 * memory grows with the distinct customers and products and the evaluation-period offers,
 * which is what the command reports on. Nothing here reads the clock except progress lines.
 *
 * This file is the command: options, the reading loop that feeds both engines, and the report
 * (markdown tables or JSON, and the offers file); what is kept and scored along the way is
 * evaluate.c's.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/evaluate.h"
#include "io/text.h"
#include "util/conf_int.h"
#include "util/intern.h"

/* ---- report ------------------------------------------------------------------------- */

static double ratio(uint64_t a, uint64_t b)
{
        return b ? (double)a / (double)b : 0.0;
}

static const char *const param_keys[] = {"cooc.score",
                                         "cooc.rank",
                                         "cooc.min_support",
                                         "cooc.min_score",
                                         "window.size",
                                         "window.pane",
                                         "attribution.window",
                                         "weight.view",
                                         "weight.cart",
                                         "weight.purchase",
                                         "offer.max_items",
                                         "upsell.min_ratio",
                                         "upsell.max_ratio",
                                         "downsell.min_ratio",
                                         "downsell.max_ratio",
                                         "caps.per_day",
                                         "caps.per_type_per_day",
                                         "guard.bought_horizon",
                                         "control.share",
                                         NULL};

static void row_name(int row, char *buf, size_t size)
{
        if (row == EV_ROWS)
                snprintf(buf, size, "total");
        else
                snprintf(buf, size, "%s / %s",
                         xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)),
                         xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)));
}

static uint64_t rules_total(const struct evaluate *ev, int field)
{
        uint64_t n = 0;
        for (int w = 0; w < EV_N; w++)
                for (int t = 0; t < XS_OFFER_COUNT; t++)
                        n += field == 0 ? ev->e[w].rules[t].items : ev->e[w].rules[t].compliant;
        return n;
}

static void report_text(FILE *f, struct evaluate *ev, const struct xs_conf *conf,
                        const char *source, const struct ev_report_row *rep)
{
        char a[32], b[32], c[32];
        xs_io_format_utc(ev->t_min, a, sizeof(a));
        xs_io_format_utc(ev->split, b, sizeof(b));
        xs_io_format_utc(ev->t_max, c, sizeof(c));
        fprintf(f, "### %s\n\n", source);
        fprintf(f,
                "Learning %s .. %s (%" PRIu64 " events), evaluation %s .. %s (%" PRIu64
                " events, %" PRIu64 " customers, %" PRIu64 " orders).\n\n",
                a, b, ev->events_learn, b, c, ev->events_eval, ev->customers_eval, ev->orders_eval);
        fprintf(f, "Parameters:");
        for (const char *const *k = param_keys; *k; k++) {
                char v[64];
                if (xs_conf_get(conf, *k, v, sizeof(v)) == XS_OK)
                        fprintf(f, " `%s=%s`", *k, v);
        }
        fprintf(f, "\n\n");
        fprintf(f, "| type / stage | offers | hit@1 | hit@3 | customers | conv. | "
                   "pop. hit@1 | pop. hit@3 | count: offers | hit@1 | hit@3 | customers | conv. "
                   "|\n");
        fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->r[0].offers && !rr->r[1].offers && row != EV_ROWS)
                        continue;
                char name[64];
                row_name(row, name, sizeof(name));
                const struct ev_row *x = &rr->r[EV_ENGINE], *y = &rr->r[EV_COUNT_BASELINE];
                fprintf(f,
                        "| %s%s%s | %" PRIu64
                        " | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %" PRIu64
                        " | %.3f | %.3f | %.3f | %.3f |\n",
                        row == EV_ROWS ? "**" : "", name, row == EV_ROWS ? "**" : "", x->offers,
                        ratio(x->hit1, x->offers), ratio(x->hit3, x->offers),
                        ratio(rr->cust[EV_ENGINE], ev->customers_eval), ratio(x->conv, x->offers),
                        ratio(x->pop_hit1, x->offers), ratio(x->pop_hit3, x->offers), y->offers,
                        ratio(y->hit1, y->offers), ratio(y->hit3, y->offers),
                        ratio(rr->cust[EV_COUNT_BASELINE], ev->customers_eval),
                        ratio(y->conv, y->offers));
        }
        fprintf(f,
                "\nSame moments (offers both engines made, by customer, trigger, rule, time):\n\n");
        fprintf(f, "| type / stage | moments | engine hit@1 | engine hit@3 | count hit@1 | "
                   "count hit@3 |\n|---|---:|---:|---:|---:|---:|\n");
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->matched && row != EV_ROWS)
                        continue;
                char name[64];
                row_name(row, name, sizeof(name));
                fprintf(f, "| %s | %" PRIu64 " | %.3f | %.3f | %.3f | %.3f |\n", name, rr->matched,
                        ratio(rr->m_hit1[0], rr->matched), ratio(rr->m_hit3[0], rr->matched),
                        ratio(rr->m_hit1[1], rr->matched), ratio(rr->m_hit3[1], rr->matched));
        }
        const struct ev_row *tot = &rep[EV_ROWS].r[EV_ENGINE];
        fprintf(f,
                "\nOrders with an offer: engine %.3f, count %.3f of %" PRIu64
                ". Offers whose attribution window runs past the end of the data: %.3f.\n",
                ratio(ev->e[0].orders_offered, ev->orders_eval),
                ratio(ev->e[1].orders_offered, ev->orders_eval), ev->orders_eval,
                ratio(tot->censored, tot->offers));
        uint64_t items = rules_total(ev, 0), comp = rules_total(ev, 1);
        fprintf(f,
                "Upsell/downsell rule compliance (both engines, both periods): %" PRIu64
                " of %" PRIu64 " items (%.1f%%).\n\n",
                comp, items, items ? 100.0 * ratio(comp, items) : 100.0);
}

static void json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

static void json_figures(FILE *f, const struct ev_row *x, uint64_t cust, uint64_t customers,
                         int with_pop)
{
        fprintf(f,
                "{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64 ",\"hit3\":%" PRIu64
                ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f,\"customers\":%" PRIu64
                ",\"coverage\":%.6f,\"conversions\":%" PRIu64 ",\"conversion_rate\":%.6f"
                ",\"censored\":%" PRIu64 "}",
                x->offers, x->hit1, x->hit3, ratio(x->hit1, x->offers), ratio(x->hit3, x->offers),
                cust, ratio(cust, customers), x->conv, ratio(x->conv, x->offers), x->censored);
        if (with_pop)
                fprintf(f,
                        ",\"popularity\":{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64
                        ",\"hit3\":%" PRIu64 ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f}",
                        x->offers, x->pop_hit1, x->pop_hit3, ratio(x->pop_hit1, x->offers),
                        ratio(x->pop_hit3, x->offers));
}

static void report_json(FILE *f, struct evaluate *ev, const struct xs_conf *conf,
                        const char *source, const struct ev_report_row *rep)
{
        char a[32], b[32], c[32];
        xs_io_format_utc(ev->t_min, a, sizeof(a));
        xs_io_format_utc(ev->split, b, sizeof(b));
        xs_io_format_utc(ev->t_max, c, sizeof(c));
        fprintf(f, "{\"source\":");
        json_string(f, source);
        fprintf(f,
                ",\"start\":\"%s\",\"split\":\"%s\",\"end\":\"%s\",\"split_ms\":%" PRId64
                ",\"events_learning\":%" PRIu64 ",\"events_evaluation\":%" PRIu64
                ",\"customers_evaluation\":%" PRIu64 ",\"orders_evaluation\":%" PRIu64
                ",\"orders_offered\":{\"engine\":%" PRIu64 ",\"count\":%" PRIu64
                "},\"parameters\":{",
                a, b, c, ev->split, ev->events_learn, ev->events_eval, ev->customers_eval,
                ev->orders_eval, ev->e[0].orders_offered, ev->e[1].orders_offered);
        int first = 1;
        for (const char *const *k = param_keys; *k; k++) {
                char v[64];
                if (xs_conf_get(conf, *k, v, sizeof(v)) != XS_OK)
                        continue;
                fprintf(f, "%s\"%s\":", first ? "" : ",", *k);
                json_string(f, v);
                first = 0;
        }
        fprintf(f, "},\"rows\":[");
        first = 1;
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->r[0].offers && !rr->r[1].offers && row != EV_ROWS)
                        continue;
                fprintf(f, "%s{", first ? "" : ",");
                first = 0;
                if (row == EV_ROWS)
                        fprintf(f, "\"type\":\"TOTAL\",\"stage\":\"TOTAL\"");
                else
                        fprintf(f, "\"type\":\"%s\",\"stage\":\"%s\"",
                                xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)),
                                xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)));
                fprintf(f, ",\"engine\":");
                json_figures(f, &rr->r[EV_ENGINE], rr->cust[EV_ENGINE], ev->customers_eval, 0);
                fprintf(f,
                        ",\"popularity\":{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64
                        ",\"hit3\":%" PRIu64 ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f}",
                        rr->r[0].offers, rr->r[0].pop_hit1, rr->r[0].pop_hit3,
                        ratio(rr->r[0].pop_hit1, rr->r[0].offers),
                        ratio(rr->r[0].pop_hit3, rr->r[0].offers));
                fprintf(f, ",\"count\":");
                json_figures(f, &rr->r[EV_COUNT_BASELINE], rr->cust[EV_COUNT_BASELINE],
                             ev->customers_eval, 0);
                fprintf(f,
                        ",\"same_moments\":{\"n\":%" PRIu64 ",\"engine_hit1\":%" PRIu64
                        ",\"engine_hit3\":%" PRIu64 ",\"count_hit1\":%" PRIu64
                        ",\"count_hit3\":%" PRIu64 "}}",
                        rr->matched, rr->m_hit1[0], rr->m_hit3[0], rr->m_hit1[1], rr->m_hit3[1]);
        }
        fprintf(f, "],\"rules\":{");
        for (int w = 0; w < EV_N; w++) {
                fprintf(f, "%s\"%s\":{", w ? "," : "", w ? "count" : "engine");
                for (int t = XS_OFFER_UPSELL; t < XS_OFFER_COUNT; t++) {
                        const struct ev_rules *r = &ev->e[w].rules[t];
                        fprintf(f,
                                "%s\"%s\":{\"items\":%" PRIu64 ",\"compliant\":%" PRIu64
                                ",\"no_anchor\":%" PRIu64 ",\"share\":%.6f}",
                                t == XS_OFFER_UPSELL ? "" : ",",
                                xs_offer_type_name((enum xs_offer_type)t), r->items, r->compliant,
                                r->no_anchor, r->items ? ratio(r->compliant, r->items) : 1.0);
                }
                fprintf(f, "}");
        }
        uint64_t items = rules_total(ev, 0), comp = rules_total(ev, 1);
        fprintf(f, ",\"items\":%" PRIu64 ",\"compliant\":%" PRIu64 ",\"share\":%.6f}}\n", items,
                comp, items ? ratio(comp, items) : 1.0);
}

/* Every evaluated offer as a JSON line: which ranking, whom, what, and what hit. */
static int write_offers(struct evaluate *ev, const char *path)
{
        FILE *f = !strcmp(path, "-") ? stdout : fopen(path, "w");
        if (!f) {
                fprintf(stderr, "xsell evaluate: %s: cannot open\n", path);
                return -1;
        }
        for (int w = 0; w < EV_N; w++)
                for (size_t i = 0; i < ev->e[w].n_offers; i++) {
                        const struct ev_offer *eo = &ev->e[w].offers[i];
                        fprintf(f, "{\"ranking\":\"%s\",\"customer_id\":", w ? "count" : "engine");
                        json_string(f, xs_intern_str(ev->customers, eo->cust));
                        fprintf(f,
                                ",\"type\":\"%s\",\"stage\":\"%s\",\"created_at\":%" PRId64
                                ",\"items\":[",
                                xs_offer_type_name((enum xs_offer_type)eo->type),
                                xs_stage_name((enum xs_stage)eo->stage), eo->created_at);
                        for (uint8_t k = 0; k < eo->n; k++) {
                                fprintf(f, k ? "," : "");
                                json_string(f, xs_intern_str(ev->products, eo->items[k]));
                        }
                        fprintf(f, "],\"anchor\":");
                        if (eo->anchor)
                                json_string(f, xs_intern_str(ev->products, eo->anchor));
                        else
                                fprintf(f, "null");
                        fprintf(f, ",\"hit1\":%s,\"hit3\":%s",
                                eo->flags & F_HIT1 ? "true" : "false",
                                eo->flags & F_HIT3 ? "true" : "false");
                        if (w == EV_ENGINE) {
                                fprintf(f, ",\"popularity\":[");
                                for (uint8_t k = 0; k < eo->pn; k++) {
                                        fprintf(f, k ? "," : "");
                                        json_string(f, xs_intern_str(ev->products, eo->pop[k]));
                                }
                                fprintf(f, "],\"popularity_hit1\":%s,\"popularity_hit3\":%s",
                                        eo->flags & F_POP_HIT1 ? "true" : "false",
                                        eo->flags & F_POP_HIT3 ? "true" : "false");
                        }
                        fprintf(f, "}\n");
                }
        int bad = ferror(f);
        if (f != stdout)
                bad |= fclose(f) != 0;
        if (bad)
                fprintf(stderr, "xsell evaluate: %s: write failed\n", path);
        return bad ? -1 : 0;
}

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
                                             {"quiet", no_argument, 0, 'q'},
                                             {"config", required_argument, 0, 'F'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
        static const char *const extra[] = {"control.share=0", NULL};
        struct xs_cli_conf cc = {0};
        const char *catalog = NULL, *offers_path = NULL;
        int fmt = XS_FMT_AUTO, cat_fmt = XS_FMT_AUTO, quiet = 0, json = 0, verbose_rules = 0;
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
        struct xs_reader *rd = NULL;
        struct evaluate *ev = calloc(1, sizeof(*ev));
        if (!ev) {
                fprintf(stderr, "xsell evaluate: out of memory\n");
                goto out;
        }
        ev->p = xs_conf_params(conf);
        ev->verbose_rules = verbose_rules;
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
                xs_err_t ea = xs_engine_process(ev->e[0].eng, x, err, sizeof(err));
                xs_err_t eb = xs_engine_process(ev->e[1].eng, x, err, sizeof(err));
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
                for (int w = 0; w < EV_N; w++)
                        xs_engine_advance(ev->e[w].eng, max_t + ev->p->allowed_lateness);
        if (ev->nomem)
                goto nomem;
        rep = calloc(EV_ROWS + 1, sizeof(*rep));
        if (!rep || xs_evaluate_build_report(ev, rep) != 0)
                goto nomem;
        if (json)
                report_json(stdout, ev, conf, path, rep);
        else
                report_text(stdout, ev, conf, path, rep);
        rc = fflush(stdout) == 0 ? 0 : 1;
        if (offers_path && write_offers(ev, offers_path) != 0)
                rc = 1;
        goto out;
nomem:
        fprintf(stderr, "xsell evaluate: out of memory\n");
out:
        xs_reader_close(rd);
        if (ev) {
                for (int w = 0; w < EV_N; w++) {
                        xs_engine_destroy(ev->e[w].eng);
                        free(ev->e[w].offers);
                }
                for (size_t i = 0; i < ev->cap_cust; i++) {
                        free(ev->cust[i].pend);
                        free(ev->cust[i].hist);
                }
                free(ev->cust);
                free(ev->pq);
                free(ev->pop_count);
                xs_intern_destroy(ev->customers);
                xs_intern_destroy(ev->products);
                free(ev);
        }
        free(rep);
        xs_conf_destroy(conf_count);
        xs_conf_destroy(conf);
        return rc;
}
