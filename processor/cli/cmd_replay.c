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
#include "engine/stepper.h"
#include "util/conf_int.h"
#include "util/murmur2.h"

struct replay {
        struct xs_writer *offers, *signals, *outcomes;
        FILE *text; /* --offers-format text */
        FILE *dead;
        xs_err_t write_err;
        uint64_t n_offers;
        struct xs_engine *eng;
        const char *events_path;
        int nomem;
};

/* An event held by the stepper until its step, with where it came from. */
struct held_event {
        struct xs_event *ev;
        uint64_t position;
};

static void held_free(void *item)
{
        struct held_event *h = item;
        xs_event_free(h->ev);
        free(h);
}

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

static void process_held(void *opaque, uint32_t part, void *item)
{
        struct replay *r = opaque;
        struct held_event *h = item;
        char err[512];
        xs_engine_set_tag(r->eng, part);
        xs_err_t e = xs_engine_process(r->eng, h->ev, err, sizeof(err));
        if (e == XS_ERR_NOMEM)
                r->nomem = 1;
        else if (e != XS_OK)
                dead_letter(r, r->events_path, h->position, e, "contract", err);
        held_free(h);
}

/* Hands h to the stepper (a late one is counted and freed) and processes what it allows.
 * Returns 0, or -1 out of memory (said). */
static int push_held(struct xs_stepper *st, struct xs_engine *eng, uint32_t part,
                     struct held_event *h)
{
        int pr = xs_stepper_push(st, part, h->ev->event_time, h, sizeof(*h));
        if (pr != 0)
                held_free(h);
        if (pr == 1)
                xs_engine_count_late(eng);
        if (pr < 0) {
                fprintf(stderr, "xsell replay: out of memory\n");
                return -1;
        }
        xs_stepper_run(st);
        return 0;
}

/* --interleave: the events of each partition in their order, the partitions in a random
 * order (seeded), up to XS_INTERLEAVE_AHEAD events read ahead: how a consumer of several
 * partitions may see them. The offers must not change. */
#define XS_INTERLEAVE_AHEAD 4096
struct ahead {
        struct held_event ***q; /* per partition: a ring */
        size_t *head, *n, cap;
        uint32_t parts;
        size_t total;
        uint64_t rng;
};

static uint64_t rng_next(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
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
                "      --partitions N        split the events over N partitions by customer id\n"
                "                            (Kafka's murmur2), as `run` reads a topic of N\n"
                "                            partitions: the same offers (default 1)\n"
                "      --interleave SEED     take the partitions' events in a random order\n"
                "                            (each partition's in its own): a check that the\n"
                "                            offers do not depend on it\n"
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
                                             {"partitions", required_argument, 0, 11},
                                             {"interleave", required_argument, 0, 12},
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
        uint32_t n_parts = 1;
        uint64_t interleave = 0;
        int stepped = 0; /* window.visibility=sealed (issue 11) */
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
                case 11: {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (*end || v < 1 || v > 1024) {
                                fprintf(stderr, "xsell replay: --partitions: 1..1024\n");
                                return 2;
                        }
                        n_parts = (uint32_t)v;
                        break;
                }
                case 12: {
                        char *end;
                        interleave = strtoull(optarg, &end, 10);
                        if (*end || !*optarg) {
                                fprintf(stderr, "xsell replay: --interleave: a number\n");
                                return 2;
                        }
                        interleave = interleave * 2654435761u + 0x9e3779b97f4a7c15ull;
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
        struct xs_stepper *stepper = NULL;
        struct ahead ah = {0};
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
        r.eng = eng;
        r.events_path = events_path;
        stepped = !strcmp(xs_conf_params(conf)->window_visibility, "sealed");
        if (!stepped && (n_parts > 1 || interleave)) {
                fprintf(stderr, "xsell replay: --partitions and --interleave need "
                                "window.visibility=sealed\n");
                rc = 2;
                goto out;
        }
        struct xs_stepper_ops ops = {.process = process_held, .free_item = held_free};
        if (stepped && !(stepper = xs_stepper_new(eng, &ops, &r))) {
                fprintf(stderr, "xsell replay: out of memory\n");
                goto out;
        }
        /* every partition takes part from the start, as a topic's do when `run` is assigned
         * them: one that has delivered nothing yet holds the step back, so that its first
         * events are processed on the same panes whenever they come */
        for (uint32_t i = 0; stepper && i < n_parts; i++)
                if (xs_stepper_add(stepper, i) != 0) {
                        fprintf(stderr, "xsell replay: out of memory\n");
                        goto out;
                }
        if (interleave) {
                ah.parts = n_parts;
                ah.cap = XS_INTERLEAVE_AHEAD + 1;
                ah.rng = interleave;
                ah.q = calloc(n_parts, sizeof(*ah.q));
                ah.head = calloc(n_parts, sizeof(*ah.head));
                ah.n = calloc(n_parts, sizeof(*ah.n));
                if (!ah.q || !ah.head || !ah.n) {
                        fprintf(stderr, "xsell replay: out of memory\n");
                        goto out;
                }
                for (uint32_t i = 0; i < n_parts; i++)
                        if (!(ah.q[i] = calloc(ah.cap, sizeof(**ah.q)))) {
                                fprintf(stderr, "xsell replay: out of memory\n");
                                goto out;
                        }
        }
        rd = xs_reader_open(events_path, (enum xs_format)fmt, XS_KIND_EVENT, err, sizeof(err));
        if (!rd) {
                fprintf(stderr, "xsell replay: %s\n", err);
                goto out;
        }
        double start = xs_cli_now(), last_progress = start;
        uint64_t records = 0, read_errors = 0;
        int64_t max_t = INT64_MIN;
        int input_done = 0;
        while (!input_done || ah.total) {
                /* --interleave: read ahead into the partitions' queues, then hand one event of a
                 * random partition to the stepper */
                if (ah.total && (input_done || ah.total >= XS_INTERLEAVE_AHEAD)) {
                        uint32_t k = (uint32_t)(rng_next(&ah.rng) % ah.parts);
                        while (!ah.n[k])
                                k = (k + 1) % ah.parts;
                        struct held_event *h = ah.q[k][ah.head[k]];
                        ah.head[k] = (ah.head[k] + 1) % ah.cap;
                        ah.n[k]--;
                        ah.total--;
                        if (push_held(stepper, eng, k, h) != 0)
                                goto out;
                        continue;
                }
                if (records >= max_events) {
                        input_done = 1;
                        continue;
                }
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
                if (eof) {
                        input_done = 1;
                        continue;
                }
                records++;
                e = xs_engine_check(eng, &rec.ev, err, sizeof(err));
                if (e == XS_OK && rec.ev.event_time > max_t)
                        max_t = rec.ev.event_time; /* accepted events only: 1..XS_MAX_TIME */
                if (e != XS_OK) {
                        dead_letter(&r, events_path, rec.position, e, "contract", err);
                } else if (!stepped) {
                        e = xs_engine_process(eng, &rec.ev, err, sizeof(err));
                        if (e == XS_ERR_NOMEM)
                                r.nomem = 1;
                        else if (e != XS_OK)
                                dead_letter(&r, events_path, rec.position, e, "contract", err);
                } else {
                        struct held_event *h = malloc(sizeof(*h));
                        if (h && !(h->ev = xs_event_copy(&rec.ev))) {
                                free(h);
                                h = NULL;
                        }
                        if (!h) {
                                fprintf(stderr, "xsell replay: out of memory\n");
                                goto out;
                        }
                        h->position = rec.position;
                        uint32_t part =
                            n_parts > 1 ? xs_murmur2_partition(h->ev->customer_id, n_parts) : 0;
                        if (interleave) {
                                size_t at = (ah.head[part] + ah.n[part]) % ah.cap;
                                ah.q[part][at] = h;
                                ah.n[part]++;
                                ah.total++;
                        } else {
                                if (push_held(stepper, eng, part, h) != 0)
                                        goto out;
                        }
                }
                if (r.nomem) {
                        fprintf(stderr, "xsell replay: out of memory in the engine\n");
                        goto out;
                }
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
        if (stepper)
                xs_stepper_finish(stepper, max_t != INT64_MIN ? max_t + drain : INT64_MIN);
        else if (max_t != INT64_MIN)
                xs_engine_advance(eng, max_t + lateness + drain);
        if (r.nomem) {
                fprintf(stderr, "xsell replay: out of memory in the engine\n");
                goto out;
        }
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
        for (uint32_t i = 0; ah.q && i < ah.parts; i++) {
                for (size_t k = 0; ah.q[i] && ah.n && k < ah.n[i]; k++)
                        held_free(ah.q[i][(ah.head[i] + k) % ah.cap]);
                free(ah.q[i]);
        }
        free(ah.q);
        free(ah.head);
        free(ah.n);
        xs_stepper_destroy(stepper);
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
