/*
 * `xsell replay`: recorded events (and optionally a catalog) through the engine, offers,
 * signals and outcomes out, a summary at the end. The same input gives byte-identical output:
 * nothing here reads the clock except the progress line on stderr.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "util/conf_int.h"

struct replay {
        struct xs_writer *offers, *signals, *outcomes;
        FILE *text; /* --offers-format text */
        FILE *dead;
        xs_err_t write_err;
        uint64_t n_offers;
};

static void print_money(FILE *f, int64_t minor, const char *cur)
{
        fprintf(f, "%" PRId64 ".%02" PRId64 "%s%s", minor / 100, (minor < 0 ? -minor : minor) % 100,
                cur && *cur ? " " : "", cur ? cur : "");
}

/* One human-readable paragraph per offer: what, to whom, when, and why. */
static void offer_text(FILE *f, const struct xs_offer *o)
{
        fprintf(f, "%-10s to %s at %s via %s (rule %s, offer %s)\n", xs_offer_type_name(o->type),
                o->customer_id, xs_stage_name(o->stage), xs_channel_name(o->channel), o->rule,
                o->offer_id);
        if (o->anchor_product_id)
                fprintf(f, "    anchor %s, trigger event %s, cart ", o->anchor_product_id,
                        o->trigger_event_id);
        print_money(f, o->cart_value, o->currency);
        fprintf(f, "\n");
        for (size_t i = 0; i < o->n_items; i++) {
                const struct xs_offer_item *it = &o->items[i];
                const struct xs_evidence *e = &it->evidence;
                fprintf(f, "    %zu. %s [%s] ", i + 1, it->product_id,
                        it->category ? it->category : "-");
                print_money(f, it->price, o->currency);
                int together = 0;
                for (int r = 0; r < XS_REL_COUNT; r++)
                        together |= e->rel[r] != 0;
                if (!together)
                        fprintf(f, "  catalog ladder: never seen together in the window yet\n");
                else
                        fprintf(f,
                                "  score %.2f (llr %+.2f, lift %.2f); together: order %d, "
                                "customer %d, cart %d, view %d, view-buy %d\n",
                                it->score, e->llr, e->lift, e->rel[XS_REL_ORDER],
                                e->rel[XS_REL_CUSTOMER], e->rel[XS_REL_CART], e->rel[XS_REL_VIEW],
                                e->rel[XS_REL_VIEW_BUY]);
        }
        for (size_t i = 0; i < o->n_incentives; i++) {
                const struct xs_incentive *in = &o->incentives[i];
                fprintf(f, "    incentive %s", xs_incentive_kind_name(in->kind));
                if (in->percent)
                        fprintf(f, " %d%%", in->percent);
                if (in->threshold) {
                        fprintf(f, " threshold ");
                        print_money(f, in->threshold, in->currency);
                }
                if (in->amount) {
                        fprintf(f, " gap ");
                        print_money(f, in->amount, in->currency);
                }
                fprintf(f, "\n");
        }
}

static void on_offer(void *opaque, const struct xs_offer *o)
{
        struct replay *r = opaque;
        r->n_offers++;
        if (r->text)
                offer_text(r->text, o);
        else if (r->offers && xs_writer_offer(r->offers, o) != XS_OK)
                r->write_err = XS_ERR_IO;
}

static void on_signal(void *opaque, const struct xs_signal *s)
{
        struct replay *r = opaque;
        if (r->signals && xs_writer_signal(r->signals, s) != XS_OK)
                r->write_err = XS_ERR_IO;
}

static void on_outcome(void *opaque, const struct xs_outcome *o)
{
        struct replay *r = opaque;
        if (r->outcomes && xs_writer_outcome(r->outcomes, o) != XS_OK)
                r->write_err = XS_ERR_IO;
}

static void dead_letter(void *opaque, const char *source, uint64_t position, xs_err_t err,
                        const char *stage, const char *why)
{
        struct replay *r = opaque;
        if (!r->dead)
                return;
        fprintf(r->dead, "{\"source\":");
        xs_cli_json_string(r->dead, source);
        fprintf(r->dead,
                ",\"position\":%" PRIu64 ",\"stage\":\"%s\",\"error\":\"%s\",\"reason\":", position,
                stage, xs_err_name(err));
        xs_cli_json_string(r->dead, why);
        fprintf(r->dead, "}\n");
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: xsell replay [options] EVENTS\n"
                "Replays recorded events through the offer engine and writes the offers.\n\n"
                "  -f, --format FMT          events format: auto, avro, jsonl, rees46, retail,\n"
                "                            groceries (default auto)\n"
                "  -c, --catalog FILE        catalog (jsonl or avro), loaded before the events\n"
                "  -o, --offers FILE         offers output (default -: stdout)\n"
                "      --offers-format FMT   jsonl (default), avro, or text (human-readable,\n"
                "                            with the evidence behind each offer)\n"
                "      --signals FILE        journey signals (stage transitions), jsonl/avro\n"
                "      --outcomes FILE       offer outcomes (conversions), jsonl/avro\n"
                "      --output-format FMT   format of --signals/--outcomes: jsonl or avro\n"
                "      --dead-letter FILE    rejected records as JSON lines, with the reason\n"
                "      --drain DURATION      after the last event, move event time on by this\n"
                "                            much (fires e.g. cart-abandonment timers); default 0\n"
                "      --summary FILE        where the summary goes (default stderr; - stdout)\n"
                "      --summary-format FMT  text (default) or json\n"
                "      --max-events N        stop after N event records\n"
                "  -q, --quiet               no progress and no summary\n"
                "  -F, --config FILE         properties file (key=value)\n"
                "  -X key=value              set a configuration key (see xsell config --list)\n"
                "  -h, --help                this help\n"
                "Precedence: defaults < -F files < XSELL_* environment < -X.\n");
}

int xs_cmd_replay(int argc, char **argv)
{
        static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                             {"catalog", required_argument, 0, 'c'},
                                             {"offers", required_argument, 0, 'o'},
                                             {"offers-format", required_argument, 0, 1},
                                             {"signals", required_argument, 0, 2},
                                             {"outcomes", required_argument, 0, 3},
                                             {"output-format", required_argument, 0, 4},
                                             {"dead-letter", required_argument, 0, 5},
                                             {"drain", required_argument, 0, 6},
                                             {"summary", required_argument, 0, 7},
                                             {"summary-format", required_argument, 0, 8},
                                             {"max-events", required_argument, 0, 9},
                                             {"catalog-format", required_argument, 0, 10},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"config", required_argument, 0, 'F'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
        struct xs_cli_conf cc = {0};
        const char *catalog = NULL, *offers_path = "-", *signals_path = NULL, *outcomes_path = NULL,
                   *dead_path = NULL, *summary_path = NULL;
        const char *offers_fmt = "jsonl", *out_fmt = "jsonl";
        int fmt = XS_FMT_AUTO, cat_fmt = XS_FMT_AUTO, quiet = 0, summary_json = 0;
        int64_t drain = 0;
        uint64_t max_events = UINT64_MAX;
        int opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "f:c:o:qF:X:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'f':
                        if (xs_cli_format_opt("replay", optarg, &fmt) != 0)
                                return 2;
                        break;
                case 10:
                        if (xs_cli_format_opt("replay", optarg, &cat_fmt) != 0)
                                return 2;
                        break;
                case 'c':
                        catalog = optarg;
                        break;
                case 'o':
                        offers_path = optarg;
                        break;
                case 1:
                        offers_fmt = optarg;
                        break;
                case 2:
                        signals_path = optarg;
                        break;
                case 3:
                        outcomes_path = optarg;
                        break;
                case 4:
                        out_fmt = optarg;
                        break;
                case 5:
                        dead_path = optarg;
                        break;
                case 6:
                        /* at most 3660 days: the end of input plus drain stays a valid time */
                        if (xs_parse_duration(optarg, &drain) != 0 || drain < 0 ||
                            drain > 3660 * XS_DAY_MS) {
                                fprintf(stderr,
                                        "xsell replay: --drain: bad duration \"%s\" (0..3660d)\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 7:
                        summary_path = optarg;
                        break;
                case 8:
                        if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                                fprintf(stderr, "xsell replay: --summary-format: text or json\n");
                                return 2;
                        }
                        summary_json = !strcmp(optarg, "json");
                        break;
                case 9:
                        max_events = strtoull(optarg, NULL, 10);
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
        const char *events_path = argv[optind];
        int offers_text = !strcmp(offers_fmt, "text");
        int ofmt = offers_text ? XS_FMT_JSONL : xs_format_parse(offers_fmt);
        int sfmt = xs_format_parse(out_fmt);
        if ((ofmt != XS_FMT_JSONL && ofmt != XS_FMT_AVRO) ||
            (sfmt != XS_FMT_JSONL && sfmt != XS_FMT_AVRO)) {
                fprintf(stderr, "xsell replay: output formats are jsonl, avro (offers: text)\n");
                return 2;
        }
        struct xs_conf *conf = xs_cli_conf_build(&cc, NULL);
        if (!conf)
                return 2;
        int64_t lateness = xs_conf_params(conf)->allowed_lateness;

        char err[512];
        int rc = 1;
        struct replay r = {0};
        struct xs_engine *eng = NULL;
        struct xs_reader *rd = NULL;
        FILE *summary = stderr;
        if (offers_text) {
                r.text = !strcmp(offers_path, "-") ? stdout : fopen(offers_path, "w");
                if (!r.text) {
                        fprintf(stderr, "xsell replay: %s: cannot open\n", offers_path);
                        goto out;
                }
        } else if (!(r.offers =
                         xs_writer_open(offers_path, ofmt, XS_KIND_OFFER, err, sizeof(err)))) {
                fprintf(stderr, "xsell replay: offers: %s\n", err);
                goto out;
        }
        if (signals_path &&
            !(r.signals = xs_writer_open(signals_path, sfmt, XS_KIND_SIGNAL, err, sizeof(err)))) {
                fprintf(stderr, "xsell replay: signals: %s\n", err);
                goto out;
        }
        if (outcomes_path && !(r.outcomes = xs_writer_open(outcomes_path, sfmt, XS_KIND_OUTCOME,
                                                           err, sizeof(err)))) {
                fprintf(stderr, "xsell replay: outcomes: %s\n", err);
                goto out;
        }
        if (dead_path && !(r.dead = !strcmp(dead_path, "-") ? stdout : fopen(dead_path, "w"))) {
                fprintf(stderr, "xsell replay: %s: cannot open\n", dead_path);
                goto out;
        }
        if (summary_path &&
            !(summary = !strcmp(summary_path, "-") ? stdout : fopen(summary_path, "w"))) {
                fprintf(stderr, "xsell replay: %s: cannot open\n", summary_path);
                summary = stderr;
                goto out;
        }
        struct xs_sink sink = {on_offer, on_signal, on_outcome, &r};
        eng = xs_engine_new(conf, &sink, err, sizeof(err));
        if (!eng) {
                fprintf(stderr, "xsell replay: %s\n", err);
                goto out;
        }
        if (catalog &&
            xs_cli_load_catalog(eng, catalog, (enum xs_format)cat_fmt, dead_letter, &r, quiet) != 0)
                goto out;
        rd = xs_reader_open(events_path, (enum xs_format)fmt, XS_KIND_EVENT, err, sizeof(err));
        if (!rd) {
                fprintf(stderr, "xsell replay: %s\n", err);
                goto out;
        }
        double start = xs_cli_now(), last_progress = start;
        uint64_t records = 0, read_errors = 0;
        int64_t max_t = INT64_MIN;
        while (records < max_events) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t e = xs_reader_next(rd, &rec, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        fprintf(stderr, "xsell replay: %s\n", err);
                        goto out;
                }
                if (e != XS_OK) {
                        read_errors++;
                        dead_letter(&r, events_path, rec.position, e, "read", err);
                        continue;
                }
                if (eof)
                        break;
                records++;
                e = xs_engine_process(eng, &rec.ev, err, sizeof(err));
                if (e == XS_OK && rec.ev.event_time > max_t)
                        max_t = rec.ev.event_time; /* accepted events only: 1..XS_MAX_TIME */
                if (e == XS_ERR_NOMEM) {
                        fprintf(stderr, "xsell replay: %s\n", err);
                        goto out;
                }
                if (e != XS_OK)
                        dead_letter(&r, events_path, rec.position, e, "contract", err);
                if (r.write_err) {
                        fprintf(stderr, "xsell replay: writing output failed\n");
                        goto out;
                }
                if (!quiet && (records & 4095) == 0) {
                        double now = xs_cli_now();
                        if (now - last_progress >= 1.0) {
                                uint64_t total = xs_reader_bytes_total(rd);
                                uint64_t done = xs_reader_bytes_read(rd);
                                if (total)
                                        fprintf(stderr,
                                                "xsell replay: %5.1f%%  %" PRIu64
                                                " records  %" PRIu64 " offers  %.0f records/s\n",
                                                100.0 * (double)done / (double)total, records,
                                                r.n_offers, (double)records / (now - start));
                                else
                                        fprintf(stderr,
                                                "xsell replay: %" PRIu64 " records  %" PRIu64
                                                " offers  %.0f records/s\n",
                                                records, r.n_offers,
                                                (double)records / (now - start));
                                last_progress = now;
                        }
                }
        }
        /* end of input: no event can be late any more; move the watermark to the last event
         * time (plus --drain) so what is due by then fires */
        if (max_t != INT64_MIN)
                xs_engine_advance(eng, max_t + lateness + drain);
        if (r.write_err) {
                fprintf(stderr, "xsell replay: writing output failed\n");
                goto out;
        }
        if (!quiet || summary_path) {
                struct xs_stats st;
                xs_engine_stats(eng, &st);
                xs_cli_summary(summary, &st, events_path, records, read_errors,
                               xs_cli_now() - start, summary_json);
        }
        rc = 0;
out:
        xs_reader_close(rd);
        xs_engine_destroy(eng);
        if (xs_writer_close(r.offers, err, sizeof(err)) != XS_OK && rc == 0) {
                fprintf(stderr, "xsell replay: offers: %s\n", err);
                rc = 1;
        }
        if (xs_writer_close(r.signals, err, sizeof(err)) != XS_OK && rc == 0) {
                fprintf(stderr, "xsell replay: signals: %s\n", err);
                rc = 1;
        }
        if (xs_writer_close(r.outcomes, err, sizeof(err)) != XS_OK && rc == 0) {
                fprintf(stderr, "xsell replay: outcomes: %s\n", err);
                rc = 1;
        }
        if (r.text && r.text != stdout && fclose(r.text) != 0 && rc == 0)
                rc = 1;
        if (r.text == stdout && fflush(stdout) != 0 && rc == 0)
                rc = 1;
        if (r.dead && r.dead != stdout)
                fclose(r.dead);
        if (summary != stderr && summary != stdout)
                fclose(summary);
        xs_conf_destroy(conf);
        return rc;
}
