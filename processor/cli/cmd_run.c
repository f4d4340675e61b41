/*
 * `xsell run`, `xsell demo`, `xsell produce`, `xsell mock-broker`: the Kafka front ends.
 *
 * `run` needs kafka.bootstrap.servers (without it, it stops and points at `demo`: silently
 * running an embedded broker in production would look like success). `demo` starts
 * librdkafka's mock cluster in this process, creates the topics, loads a catalog and events (a
 * file, or the seeded generator) through a producer that stays at most 4 MiB ahead of the
 * processor (the mock keeps only 5 MiB per partition), and runs the processor until the input
 * has been idle for run.idle_exit, printing each offer as the broker acknowledges it. `run`
 * prints offers only with --print (they carry customer ids); stdout is then line-buffered, so a
 * pipe sees each offer when it is acknowledged, not at exit.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "util/conf_int.h"
#include "io/gen.h"
#include "kafka/kafka.h"
#include "util/log.h"
#include "xsell/registry.h"

static volatile sig_atomic_t stop_flag, broker_down_req, broker_up_req;

static void on_usr(int sig)
{
        if (sig == SIGUSR1)
                broker_down_req = 1;
        else
                broker_up_req = 1;
}

static unsigned shutdown_bound_s; /* shutdown.timeout, rounded up; 0: no watchdog */

static void on_alarm(int sig)
{
        (void)sig;
        xs_log_emergency("run", "shutdown.timeout exceeded, exiting now");
        _exit(1);
}

static void on_signal(int sig)
{
        (void)sig;
        if (stop_flag) {
                xs_log_emergency("run", "a second signal: exiting at once");
                _exit(130);
        }
        stop_flag = 1;
        /* the whole graceful shutdown is bounded: a watchdog ends it at shutdown.timeout */
        if (shutdown_bound_s)
                alarm(shutdown_bound_s);
}

static void install_signals(void)
{
        struct sigaction al;
        memset(&al, 0, sizeof(al));
        al.sa_handler = on_alarm;
        sigemptyset(&al.sa_mask);
        sigaction(SIGALRM, &al, NULL);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
}

/* A source of records to load: a file reader, or the generator. */
struct source {
        struct xs_reader *rd;
        struct xs_gen *gen;
        size_t cat_next;
        enum xs_record_kind kind;
};

/* Next record; 1 = got one, 0 = end. Unreadable records are skipped (counted in *bad). */
static int source_next(struct source *s, struct xs_record *rec, uint64_t *bad)
{
        char err[512];
        if (s->gen && s->kind == XS_KIND_PRODUCT) {
                if (s->cat_next >= xs_gen_catalog_size(s->gen))
                        return 0;
                memset(rec, 0, sizeof(*rec));
                rec->kind = XS_KIND_PRODUCT;
                xs_gen_catalog_record(s->gen, s->cat_next++, &rec->product, &rec->tombstone);
                return 1;
        }
        if (s->gen) {
                memset(rec, 0, sizeof(*rec));
                rec->kind = XS_KIND_EVENT;
                return xs_gen_next(s->gen, &rec->ev);
        }
        for (;;) {
                int eof = 0;
                xs_err_t e = xs_reader_next(s->rd, rec, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        xs_log(XS_LOG_ERROR, "loader", "%s", err);
                        return 0;
                }
                if (e != XS_OK) {
                        (*bad)++;
                        continue;
                }
                return !eof;
        }
}

struct loader {
        rd_kafka_t *producer;
        struct xs_codec *codec;
        const struct xs_params *p;
        uint32_t ids[XS_KIND_COUNT];
        unsigned char *buf;
        size_t cap;
        uint64_t records, bytes, bad, failed;
};

static void loader_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        struct loader *ld = opaque;
        (void)rk;
        if (m->err)
                ld->failed++;
}

static int load_one(struct loader *ld, const char *topic, const struct xs_record *rec)
{
        char err[256];
        const char *key =
            rec->kind == XS_KIND_EVENT ? rec->ev.customer_id : rec->product.product_id;
        size_t len = 0;
        if (!(rec->kind == XS_KIND_PRODUCT && rec->tombstone)) {
                len = xs_kafka_encode(ld->codec, rec->kind, ld->ids[rec->kind],
                                      rec->kind == XS_KIND_EVENT ? (const void *)&rec->ev
                                                                 : (const void *)&rec->product,
                                      0, &ld->buf, &ld->cap, err, sizeof(err));
                if (!len) {
                        ld->bad++;
                        return 0;
                }
        }
        for (;;) {
                rd_kafka_resp_err_t e = rd_kafka_producev(
                    ld->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                    RD_KAFKA_V_VALUE(len ? ld->buf : NULL, len),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                if (!e)
                        break;
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        xs_log_kv(XS_LOG_ERROR, "loader",
                                  XS_KV(XS_KV_STR("topic", topic),
                                        XS_KV_STR("error.code", rd_kafka_err2name(e))),
                                  "produce to %s: %s", topic, rd_kafka_err2str(e));
                        return -1;
                }
                rd_kafka_poll(ld->producer, 50);
        }
        ld->records++;
        ld->bytes += len + strlen(key);
        rd_kafka_poll(ld->producer, 0);
        return 0;
}

struct feeder {
        struct loader *ld;
        struct source *events;
        const char *topic;
        int done;
        uint64_t records0, bad0; /* the catalog's, loaded before: not events */
};

/* Keeps the loader at most 4 MiB ahead of what the processor consumed. */
static int feed(void *opaque, struct xs_rt *rt)
{
        struct feeder *f = opaque;
        if (f->done)
                return 0;
        const uint64_t ahead = 4u << 20;
        for (int i = 0; i < 2000; i++) {
                if (f->ld->bytes > xs_rt_consumed_bytes(rt) + ahead)
                        break;
                struct xs_record rec;
                if (!source_next(f->events, &rec, &f->ld->bad)) {
                        rd_kafka_flush(f->ld->producer, 30000);
                        f->done = 1;
                        uint64_t n = f->ld->records - f->records0, bad = f->ld->bad - f->bad0;
                        xs_log_kv(XS_LOG_INFO, "demo",
                                  XS_KV(XS_KV_INT("records", n), XS_KV_INT("unreadable", bad)),
                                  "loaded %" PRIu64 " events (%" PRIu64 " unreadable)", n, bad);
                        return 0;
                }
                if (load_one(f->ld, f->topic, &rec) != 0)
                        return 0;
        }
        return 1;
}

static int loader_init(struct loader *ld, const struct xs_conf *conf, const char *bootstrap)
{
        char err[512];
        memset(ld, 0, sizeof(*ld));
        ld->p = xs_conf_params(conf);
        ld->ids[XS_KIND_EVENT] = (uint32_t)ld->p->schema_id_event;
        ld->ids[XS_KIND_PRODUCT] = (uint32_t)ld->p->schema_id_product;
        ld->codec = xs_codec_new(err, sizeof(err));
        rd_kafka_conf_t *kc =
            xs_kafka_conf(conf, bootstrap,
                          (const char *const[]){"client.id", "xsell-loader", "linger.ms", "20",
                                                "enable.idempotence", "true", "partitioner",
                                                "murmur2_random", NULL},
                          err, sizeof(err));
        if (!ld->codec || !kc) {
                xs_log(XS_LOG_ERROR, "loader", "%s", err);
                if (kc)
                        rd_kafka_conf_destroy(kc);
                return -1;
        }
        rd_kafka_conf_set_dr_msg_cb(kc, loader_dr);
        rd_kafka_conf_set_opaque(kc, ld);
        ld->producer = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
        if (!ld->producer) {
                rd_kafka_conf_destroy(kc);
                xs_log(XS_LOG_ERROR, "loader", "%s", err);
                return -1;
        }
        return 0;
}

static void loader_destroy(struct loader *ld)
{
        if (ld->producer) {
                rd_kafka_flush(ld->producer, 30000);
                rd_kafka_destroy(ld->producer);
        }
        xs_codec_destroy(ld->codec);
        free(ld->buf);
}

/* Registers our input schemas when a registry is configured (produce), so ids are real. */
static int loader_ids_from_registry(struct loader *ld, const char *topic, enum xs_record_kind kind)
{
        char err[512];
        if (!*ld->p->registry_url)
                return 0;
        struct xs_registry_conf rc = {
            .url = ld->p->registry_url,
            .basic_auth = *ld->p->registry_basic_auth ? ld->p->registry_basic_auth : NULL,
            .timeout_ms = ld->p->registry_timeout,
            .retries = (int)ld->p->registry_retries,
            .retry_backoff_ms = 200};
        struct xs_registry *reg = xs_registry_new(&rc, err, sizeof(err));
        char subject[512];
        snprintf(subject, sizeof(subject), "%s-value", topic);
        xs_err_t e = reg ? xs_registry_register(reg, subject, xs_codec_schema_text(kind),
                                                &ld->ids[kind], err, sizeof(err))
                         : XS_ERR_CONF;
        xs_registry_destroy(reg);
        if (e != XS_OK) {
                xs_log_kv(XS_LOG_ERROR, "registry", XS_KV(XS_KV_STR("subject", subject)),
                          "registering %s: %s", subject, err);
                return -1;
        }
        return 0;
}

/* ---- mock cluster ------------------------------------------------------------------- */

struct mock {
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        const char *bootstraps;
};

static int mock_start(struct mock *m, int brokers, int partitions, const char *const *topics)
{
        char err[512];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "log_level", "3", err, sizeof(err));
        xs_kafka_conf_logs(kc);
        /* this client is never polled: without an error callback librdkafka logs its error
         * events itself (through the log callback) instead of queueing them unserved */
        rd_kafka_conf_set_error_cb(kc, NULL);
        m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
        if (!m->rk) {
                xs_log(XS_LOG_ERROR, "mock-broker", "embedded broker: %s", err);
                return -1;
        }
        m->mc = rd_kafka_mock_cluster_new(m->rk, brokers);
        if (!m->mc) {
                xs_log(XS_LOG_ERROR, "mock-broker",
                       "embedded broker: cannot start the mock cluster");
                return -1;
        }
        m->bootstraps = rd_kafka_mock_cluster_bootstraps(m->mc);
        for (; *topics; topics++)
                if (**topics)
                        rd_kafka_mock_topic_create(m->mc, *topics, partitions, 1);
        return 0;
}

static void mock_stop(struct mock *m)
{
        if (m->mc)
                rd_kafka_mock_cluster_destroy(m->mc);
        if (m->rk)
                rd_kafka_destroy(m->rk);
}

/* ---- commands ----------------------------------------------------------------------- */

/* log.format and log.level, applied before the command logs anything (the table has checked
 * the words). */
static void log_setup(const struct xs_conf *conf)
{
        const struct xs_params *p = xs_conf_params(conf);
        int fmt = xs_log_format_parse(p->log_format), lvl = xs_log_level_parse(p->log_level);
        xs_log_setup(fmt < 0 ? XS_LOG_AUTO : (enum xs_log_format)fmt,
                     lvl < 0 ? XS_LOG_INFO : (enum xs_log_level)lvl, NULL);
        char dbg[256];
        if (xs_conf_get(conf, "kafka.debug", dbg, sizeof(dbg)) == XS_OK && *dbg &&
            !xs_log_enabled(XS_LOG_DEBUG))
                xs_log(XS_LOG_WARN, "run",
                       "kafka.debug=%s is set but log.level=%s drops librdkafka's debug lines: "
                       "set log.level=debug",
                       dbg, p->log_level);
}

static void run_usage(FILE *f, const char *cmd, int demo)
{
        if (demo)
                fprintf(f,
                        "usage: xsell %s [options]\n"
                        "Starts an embedded broker (librdkafka's mock cluster), loads a catalog "
                        "and events\ninto it and runs the offer engine on it end to end, "
                        "printing the offers.\n\n"
                        "  -F, --config FILE       properties file;  -X key=value  "
                        "configuration\n"
                        "  -e, --events FILE       events to load (default: generated)\n"
                        "  -f, --format FMT        format of --events (default auto)\n"
                        "  -c, --catalog FILE      catalog to load (default: generated with "
                        "the\n"
                        "                          events, none with a file)\n"
                        "  -n, --generate N        number of generated events (default "
                        "100000)\n"
                        "      --print FMT         offers on stdout as acknowledged: text "
                        "(default),\n"
                        "                          json or none\n",
                        cmd);
        else
                fprintf(f,
                        "usage: xsell %s -X kafka.bootstrap.servers=HOST:PORT [options]\n"
                        "Runs the offer engine on Kafka: consumes topic.events as group "
                        "application.id,\nreads topic.catalog to its end first, produces "
                        "offers (and signals, outcomes,\ndead letters). For an embedded "
                        "broker with data loaded, see `xsell demo`.\n\n"
                        "  -F, --config FILE       properties file;  -X key=value  "
                        "configuration\n"
                        "      --print FMT         also print offers on stdout as "
                        "acknowledged (they\n"
                        "                          carry customer ids): json, text or none "
                        "(default)\n",
                        cmd);
        fprintf(f, "  -q, --quiet             no progress on stderr\n"
                   "  -h, --help\n"
                   "SIGTERM/SIGINT stop gracefully within shutdown.timeout; a second one exits "
                   "at\nonce. See `xsell config --list` for every key (topics, guarantee, "
                   "registry).\n");
}

static int run_or_demo(int argc, char **argv, int force_demo)
{
        static const struct option opts[] = {{"config", required_argument, 0, 'F'},
                                             {"events", required_argument, 0, 'e'},
                                             {"format", required_argument, 0, 'f'},
                                             {"catalog", required_argument, 0, 'c'},
                                             {"generate", required_argument, 0, 'n'},
                                             {"print", required_argument, 0, 1},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
        struct xs_cli_conf cc = {0};
        /* printing offers is the demo's point; on `run` it is opt-in (customer ids on stdout) */
        const char *events = NULL, *catalog = NULL, *print = force_demo ? "text" : "none";
        int fmt = XS_FMT_AUTO, quiet = 0, demo_opt = 0, opt;
        uint64_t generate = 100000;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "F:X:e:f:c:n:qh", opts, NULL)) != -1) {
                switch (opt) {
                case 'F':
                case 'X':
                        if (xs_cli_conf_opt(&cc, opt, optarg) != 0)
                                return 2;
                        break;
                case 'e':
                        events = optarg;
                        demo_opt = 1;
                        break;
                case 'f':
                        if (xs_cli_format_opt(NULL, optarg, &fmt) != 0)
                                return 2;
                        demo_opt = 1;
                        break;
                case 'c':
                        catalog = optarg;
                        demo_opt = 1;
                        break;
                case 'n':
                        generate = strtoull(optarg, NULL, 10);
                        demo_opt = 1;
                        break;
                case 1:
                        if (strcmp(optarg, "text") && strcmp(optarg, "json") &&
                            strcmp(optarg, "none")) {
                                fprintf(stderr, "xsell: --print: text, json or none\n");
                                return 2;
                        }
                        print = optarg;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'h':
                        run_usage(stdout, argv[0], force_demo);
                        return 0;
                default:
                        run_usage(stderr, argv[0], force_demo);
                        return 2;
                }
        }
        if (optind != argc) {
                run_usage(stderr, argv[0], force_demo);
                return 2;
        }
        if (!force_demo && demo_opt) {
                fprintf(stderr,
                        "xsell run: -e, -f, -c and -n load data into the embedded broker of "
                        "`xsell demo`; with a real cluster, use `xsell produce`\n");
                return 2;
        }
        struct xs_conf *conf = xs_cli_conf_build(&cc, NULL);
        if (!conf)
                return 2;
        log_setup(conf);
        char boot[1024];
        int embedded = force_demo, unset = 0;
        if (!force_demo &&
            ((unset = xs_conf_get(conf, "kafka.bootstrap.servers", boot, sizeof(boot)) != XS_OK) ||
             !boot[strspn(boot, " \t")])) {
                /* the configuration is read: its errors go through the log (log.format);
                 * usage errors before it stay plain */
                xs_log(XS_LOG_ERROR, "run",
                       "kafka.bootstrap.servers is %s: give the brokers (-X "
                       "kafka.bootstrap.servers=HOST:PORT, a -F file or "
                       "XSELL_KAFKA_BOOTSTRAP_SERVERS); for an embedded broker with data loaded, "
                       "run `xsell demo`",
                       unset ? "not set" : "empty");
                xs_conf_destroy(conf);
                return 2;
        }
        /* offers are printed as the broker acknowledges them: a reader on a pipe must get each
         * line then, not a 4 KiB block at exit */
        if (strcmp(print, "none") != 0)
                setvbuf(stdout, NULL, _IOLBF, 0);
        const struct xs_params *p = xs_conf_params(conf);
        shutdown_bound_s = (unsigned)((p->shutdown_timeout + 999) / 1000) + 1;
        install_signals();
        struct xs_rt_opts ro = {.stop = &stop_flag,
                                .print = strcmp(print, "none") ? stdout : NULL,
                                .print_json = !strcmp(print, "json"),
                                .quiet = quiet};
        if (!embedded) {
                /* a run that must rebuild its state from the input (XS_RT_RESTART, kafka.h)
                 * is followed by a new one in this process, its counters going on */
                struct xs_rt_stats carry = {0};
                ro.carry = &carry;
                int rc;
                while ((rc = xs_rt_run(conf, &ro)) == XS_RT_RESTART && !stop_flag)
                        ;
                if (rc == XS_RT_RESTART)
                        rc = 0; /* stopped by a signal while restarting */
                xs_conf_destroy(conf);
                return rc;
        }

        /* the demo: embedded broker, loaded through a producer, processed end to end */
        int rc = 1;
        struct mock mock = {0};
        struct loader ld = {0};
        struct source evsrc = {0}, catsrc = {0};
        struct xs_gen *gen = NULL;
        char err[512];
        struct xs_conf *dconf = xs_conf_dup(conf);
        char idle[32];
        if (xs_conf_get(dconf, "run.idle_exit", idle, sizeof(idle)) == XS_OK && !strcmp(idle, "0"))
                xs_conf_set(dconf, "run.idle_exit", "3s", err, sizeof(err));
        const char *topics[] = {p->topic_events,
                                p->topic_catalog,
                                p->topic_offers,
                                p->topic_signals,
                                p->topic_outcomes,
                                p->topic_dead_letter,
                                NULL};
        if (mock_start(&mock, 1, (int)p->demo_partitions, topics) != 0)
                goto out;
        if (!quiet)
                xs_log_kv(XS_LOG_INFO, "demo",
                          XS_KV(XS_KV_STR("bootstrap", mock.bootstraps),
                                XS_KV_INT("partitions", p->demo_partitions)),
                          "embedded broker at %s, %d partitions per topic", mock.bootstraps,
                          (int)p->demo_partitions);
        if (loader_init(&ld, dconf, mock.bootstraps) != 0)
                goto out;
        if (events) {
                evsrc.rd =
                    xs_reader_open(events, (enum xs_format)fmt, XS_KIND_EVENT, err, sizeof(err));
                if (!evsrc.rd) {
                        xs_log(XS_LOG_ERROR, "demo", "%s", err);
                        goto out;
                }
        } else {
                struct xs_gen_conf gc;
                xs_gen_conf_defaults(&gc);
                gc.events = generate;
                gen = xs_gen_new(&gc, err, sizeof(err));
                if (!gen) {
                        xs_log(XS_LOG_ERROR, "demo", "%s", err);
                        goto out;
                }
                evsrc.gen = gen;
                catsrc.gen = gen;
                catsrc.kind = XS_KIND_PRODUCT;
        }
        evsrc.kind = XS_KIND_EVENT;
        if (catalog) {
                catsrc.rd = xs_reader_open(catalog, XS_FMT_AUTO, XS_KIND_PRODUCT, err, sizeof(err));
                catsrc.gen = NULL;
                if (!catsrc.rd) {
                        xs_log(XS_LOG_ERROR, "demo", "catalog: %s", err);
                        goto out;
                }
        }
        if (*p->topic_catalog && (catsrc.rd || catsrc.gen)) {
                struct xs_record rec;
                uint64_t n = 0;
                while (source_next(&catsrc, &rec, &ld.bad))
                        if (load_one(&ld, p->topic_catalog, &rec) == 0)
                                n++;
                rd_kafka_flush(ld.producer, 30000);
                if (!quiet)
                        xs_log_kv(XS_LOG_INFO, "demo", XS_KV(XS_KV_INT("records", n)),
                                  "loaded %" PRIu64 " catalog records", n);
        }
        struct feeder fd = {&ld, &evsrc, p->topic_events, 0, ld.records, ld.bad};
        ro.bootstrap = mock.bootstraps;
        ro.drain_ms = xs_conf_params(dconf)->demo_drain;
        ro.feed = feed;
        ro.feed_opaque = &fd;
        rc = xs_rt_run(dconf, &ro);
out:
        xs_reader_close(evsrc.rd);
        xs_reader_close(catsrc.rd);
        xs_gen_destroy(gen);
        loader_destroy(&ld);
        mock_stop(&mock);
        xs_conf_destroy(dconf);
        xs_conf_destroy(conf);
        return rc;
}

int xs_cmd_run(int argc, char **argv)
{
        return run_or_demo(argc, argv, 0);
}

int xs_cmd_demo(int argc, char **argv)
{
        return run_or_demo(argc, argv, 1);
}

int xs_cmd_produce(int argc, char **argv)
{
        static const struct option opts[] = {
            {"topic", required_argument, 0, 't'}, {"format", required_argument, 0, 'f'},
            {"catalog", no_argument, 0, 'c'},     {"config", required_argument, 0, 'F'},
            {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
        struct xs_cli_conf cc = {0};
        const char *topic = NULL;
        int fmt = XS_FMT_AUTO, is_catalog = 0, opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "t:f:cF:X:h", opts, NULL)) != -1) {
                switch (opt) {
                case 't':
                        topic = optarg;
                        break;
                case 'f':
                        if (xs_cli_format_opt("produce", optarg, &fmt) != 0)
                                return 2;
                        break;
                case 'c':
                        is_catalog = 1;
                        break;
                case 'F':
                case 'X':
                        if (xs_cli_conf_opt(&cc, opt, optarg) != 0)
                                return 2;
                        break;
                case 'h':
                default:
                        fprintf(opt == 'h' ? stdout : stderr,
                                "usage: xsell produce [-t TOPIC] [-f FMT] [--catalog] FILE "
                                "-X kafka.bootstrap.servers=HOST:PORT\n"
                                "Loads events (or, with --catalog, catalog products) from any "
                                "supported file into a topic\n(default topic.events or "
                                "topic.catalog), keyed and in the Schema Registry wire format "
                                "(registry.url,\nor the schema.id.* ids without a registry).\n");
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "xsell produce: one input file (see --help)\n");
                return 2;
        }
        struct xs_conf *conf = xs_cli_conf_build(&cc, NULL);
        if (!conf)
                return 2;
        char boot[1024], err[512];
        log_setup(conf); /* from here errors go through the log (log.format) */
        if (xs_conf_get(conf, "kafka.bootstrap.servers", boot, sizeof(boot)) != XS_OK) {
                xs_log(XS_LOG_ERROR, "produce", "set -X kafka.bootstrap.servers=...");
                xs_conf_destroy(conf);
                return 2;
        }
        const struct xs_params *p = xs_conf_params(conf);
        enum xs_record_kind kind = is_catalog ? XS_KIND_PRODUCT : XS_KIND_EVENT;
        if (!topic)
                topic = is_catalog ? p->topic_catalog : p->topic_events;
        struct loader ld;
        struct source src = {.kind = kind};
        int rc = 1;
        if (loader_init(&ld, conf, NULL) != 0 || loader_ids_from_registry(&ld, topic, kind) != 0)
                goto out;
        src.rd = xs_reader_open(argv[optind], (enum xs_format)fmt, kind, err, sizeof(err));
        if (!src.rd) {
                xs_log(XS_LOG_ERROR, "produce", "%s", err);
                goto out;
        }
        struct xs_record rec;
        while (source_next(&src, &rec, &ld.bad))
                if (load_one(&ld, topic, &rec) != 0)
                        goto out;
        if (rd_kafka_flush(ld.producer, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR || ld.failed) {
                xs_log(XS_LOG_ERROR, "produce", "%" PRIu64 " records not delivered",
                       ld.failed + (uint64_t)rd_kafka_outq_len(ld.producer));
                goto out;
        }
        xs_log_kv(XS_LOG_INFO, "produce",
                  XS_KV(XS_KV_STR("topic", topic), XS_KV_INT("records", ld.records),
                        XS_KV_INT("unreadable", ld.bad)),
                  "%" PRIu64 " records to %s (%" PRIu64 " unreadable)", ld.records, topic, ld.bad);
        rc = 0;
out:
        xs_reader_close(src.rd);
        loader_destroy(&ld);
        xs_conf_destroy(conf);
        return rc;
}

int xs_cmd_mock_broker(int argc, char **argv)
{
        int partitions = 4, brokers = 1, opt, n_inject = 0;
        struct xs_cli_conf cc = {0};
        const char *topics_arg = "customer-events,product-catalog,offers,journey-signals,"
                                 "offer-outcomes,xsell-dead-letters";
        struct {
                int api, err, count;
        } inject[32];
        static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
        optind = 1;
        while ((opt = getopt_long(argc, argv, "p:b:t:e:F:X:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'F':
                case 'X':
                        /* log.format, log.level (the other keys have no effect here) */
                        if (xs_cli_conf_opt(&cc, opt, optarg) != 0)
                                return 2;
                        break;
                case 'p':
                        partitions = atoi(optarg);
                        break;
                case 'b':
                        brokers = atoi(optarg);
                        break;
                case 't':
                        topics_arg = optarg;
                        break;
                case 'e':
                        if (n_inject == 32 ||
                            sscanf(optarg, "%d:%d:%d", &inject[n_inject].api, &inject[n_inject].err,
                                   &inject[n_inject].count) < 2) {
                                fprintf(stderr, "xsell mock-broker: -e APIKEY:ERRCODE[:COUNT]\n");
                                return 2;
                        }
                        if (inject[n_inject].count <= 0)
                                inject[n_inject].count = 1;
                        n_inject++;
                        break;
                default:
                        fprintf(opt == 'h' ? stdout : stderr,
                                "usage: xsell mock-broker [-b BROKERS] [-p PARTITIONS] [-t "
                                "topic,topic,...] [-e APIKEY:ERRCODE[:COUNT]]... [-X KEY=VALUE]... "
                                "[-F FILE]\n"
                                "Starts librdkafka's mock cluster on loopback, creates the "
                                "topics, prints\n\"bootstrap.servers=...\" on stdout and runs "
                                "until SIGTERM/SIGINT (for tests).\n"
                                "  -e  make the next COUNT requests of Kafka API APIKEY fail "
                                "with ERRCODE\n      (e.g. -e 26:51:2: two EndTxn requests "
                                "fail with CONCURRENT_TRANSACTIONS)\n"
                                "  -X, -F  configuration as for xsell run; only log.format "
                                "(auto|json|plain) and\n      log.level (debug|info|warn|error) "
                                "have an effect here\n"
                                "SIGUSR1 takes broker 1 down, SIGUSR2 brings it back up.\n");
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (partitions < 1 || brokers < 1) {
                fprintf(stderr, "xsell mock-broker: -p and -b must be positive\n");
                return 2;
        }
        struct xs_conf *conf = xs_cli_conf_build(&cc, NULL);
        if (!conf)
                return 2;
        log_setup(conf);
        xs_conf_destroy(conf);
        char *list = strdup(topics_arg);
        const char *topics[64];
        int n = 0;
        for (char *save = NULL, *t = strtok_r(list, ",", &save); t && n < 63;
             t = strtok_r(NULL, ",", &save))
                topics[n++] = t;
        topics[n] = NULL;
        struct mock mock = {0};
        install_signals();
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_usr;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGUSR2, &sa, NULL);
        if (mock_start(&mock, brokers, partitions, topics) != 0) {
                free(list);
                return 1;
        }
        for (int i = 0; i < n_inject; i++)
                for (int k = 0; k < inject[i].count; k++)
                        rd_kafka_mock_push_request_errors(mock.mc, (int16_t)inject[i].api, 1,
                                                          (rd_kafka_resp_err_t)inject[i].err);
        printf("bootstrap.servers=%s\n", mock.bootstraps);
        fflush(stdout);
        while (!stop_flag) {
                if (broker_down_req) {
                        broker_down_req = 0;
                        rd_kafka_mock_broker_set_down(mock.mc, 1);
                        xs_log(XS_LOG_INFO, "mock-broker", "broker 1 down");
                }
                if (broker_up_req) {
                        broker_up_req = 0;
                        rd_kafka_mock_broker_set_up(mock.mc, 1);
                        xs_log(XS_LOG_INFO, "mock-broker", "broker 1 up");
                }
                nanosleep(&(struct timespec){0, 50000000}, NULL);
        }
        mock_stop(&mock);
        free(list);
        return 0;
}
