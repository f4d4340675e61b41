/*
 * The Kafka runtime (see kafka.h): its shared basics, and the helpers that `xsell produce` and
 * the demo use too. One thread, one engine, one struct xs_rt (kafka_int.h).
 *
 * Here: the monotonic clock and the fatal-error latch that the other files share, the
 * accessors of kafka.h, the librdkafka configuration built from the kafka.* keys, and encoding
 * with the wire-format frame into a buffer the caller owns and this grows (8 tries at most).
 *
 * The runtime is split by job. Each file calls only files listed before it here, never one
 * after it (tools/check_layout.py checks the call graph):
 *   kafka.c         these basics, and librdkafka's logs and error events into util/log.h
 *   dead_log.c      dead letters in the log: one by one, then counted; the warning of a run
 *   produce.c       producing and delivery reports, the engine sink, dead letters, the copies
 *                   of the open transaction's records
 *   decode.c        decoding input records: wire format, writer schema, record key
 *   panes.c         the internal panes topic (state.share_panes): sealed panes and seal
 *                   markers published, the other instances' applied
 *   hold.c          window.visibility=sealed: input held until its panes are sealed, the
 *                   offsets processed, pauses over window.max_held_bytes, idle partitions
 *   commit.c        making what was processed durable: offsets (at-least-once) or
 *                   transactions (exactly-once)
 *   catalog_feed.c  the catalog topic: read to its end before any event, then followed
 *   rebalance.c     partitions assigned and revoked, state restored by replay on start
 *   run.c           xs_rt_run: setup, the consumer loop, stream time, shutdown
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syslog.h>
#include <time.h>

#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "util/log.h"

double xs_rt_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void xs_rt_set_fatal(struct xs_rt *rt, const char *fmt, const char *detail)
{
        if (rt->fatal)
                return;
        rt->fatal = 1;
        snprintf(rt->fatal_msg, sizeof(rt->fatal_msg), fmt, detail);
}

rd_kafka_t *xs_rt_producer(struct xs_rt *rt)
{
        return rt->producer;
}

uint64_t xs_rt_consumed_bytes(const struct xs_rt *rt)
{
        return rt->consumed_bytes;
}

/* ---- librdkafka's logs and errors ---------------------------------------------------- */

/* librdkafka reports a broker failure twice: it logs it (facility FAIL, at any level but debug)
 * and queues the same text as an error event, which it logs a second time (as ERROR) when the
 * client is polled with no error callback, or hands to the error callback. So every FAIL and
 * FATAL line written is remembered (a hash of the client's name and the text, the last XS_SEEN_N of
 * them, for XS_SEEN_S seconds) and an error event whose text was just logged is not logged again:
 * one failure, one line. */
#define XS_SEEN_N 128
#define XS_SEEN_S 60.0
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
        uint64_t hash;
        double at;
} seen[XS_SEEN_N];
static unsigned seen_next;

static uint64_t seen_hash(const char *client, const char *text)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (const char *s = client; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
        for (const char *s = text; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static void seen_add(const char *client, const char *text)
{
        uint64_t h = seen_hash(client, text);
        pthread_mutex_lock(&seen_lock);
        seen[seen_next % XS_SEEN_N].hash = h;
        seen[seen_next % XS_SEEN_N].at = xs_rt_now();
        seen_next++;
        pthread_mutex_unlock(&seen_lock);
}

int xs_kafka_logged(const rd_kafka_t *rk, const char *text)
{
        uint64_t h = seen_hash(rd_kafka_name(rk), text);
        double now = xs_rt_now();
        int found = 0;
        pthread_mutex_lock(&seen_lock);
        for (unsigned i = 0; i < XS_SEEN_N && !found; i++)
                found = seen[i].hash == h && seen[i].at > 0 && now - seen[i].at < XS_SEEN_S;
        pthread_mutex_unlock(&seen_lock);
        return found;
}

/* librdkafka's own lines (any thread), at the level of their syslog level, logger "rdkafka",
 * with the client's name, the facility and the librdkafka thread as fields. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        enum xs_log_level lvl = level <= LOG_ERR       ? XS_LOG_ERROR
                                : level == LOG_WARNING ? XS_LOG_WARN
                                : level <= LOG_INFO    ? XS_LOG_INFO
                                                       : XS_LOG_DEBUG;
        /* "[thrd:NAME]: text" (log.thread.name=true, the default): the thread becomes a field */
        char thread[128] = "";
        const char *text = buf;
        if (!strncmp(buf, "[thrd:", 6)) {
                const char *end = strstr(buf, "]: ");
                if (end && (size_t)(end - buf - 6) < sizeof(thread)) {
                        memcpy(thread, buf + 6, (size_t)(end - buf - 6));
                        thread[end - buf - 6] = '\0';
                        text = end + 3;
                }
        }
        const char *client = rd_kafka_name(rk), *thr = thread;
        /* (what log.level drops is not "logged"; FAIL and FATAL are the facilities whose lines
         * come back as error events) */
        if (xs_log_enabled(lvl) && (!strcmp(fac, "FAIL") || !strcmp(fac, "FATAL")))
                seen_add(client, text);
        xs_log_kv(
            lvl, "rdkafka",
            XS_KV(XS_KV_STR("client", client), XS_KV_STR("fac", fac), XS_KV_STR("thread", thr)),
            "%s", text);
}

/* Error events (on the thread that polls the client): logged unless librdkafka logged the same
 * text itself (see seen above). A fatal error is an error; the others are transient (librdkafka
 * retries) and warnings. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        (void)opaque;
        if (xs_kafka_logged(rk, reason))
                return;
        xs_log_kv(err == RD_KAFKA_RESP_ERR__FATAL ? XS_LOG_ERROR : XS_LOG_WARN, "rdkafka",
                  XS_KV(XS_KV_STR("client", rd_kafka_name(rk)),
                        XS_KV_STR("error.code", rd_kafka_err2name((rd_kafka_resp_err_t)err))),
                  "%s", reason);
}

void xs_kafka_log_consumer_error(rd_kafka_t *rk, const rd_kafka_message_t *m, const char *logger)
{
        const char *text = rd_kafka_message_errstr(m);
        if (xs_kafka_logged(rk, text))
                return;
        xs_log_kv(XS_LOG_WARN, logger,
                  XS_KV(XS_KV_STR("client", rd_kafka_name(rk)),
                        XS_KV_STR("topic", m->rkt ? rd_kafka_topic_name(m->rkt) : ""),
                        XS_KV_INT("partition", m->partition), XS_KV_INT("offset", m->offset),
                        XS_KV_STR("error.code", rd_kafka_err2name(m->err))),
                  "consumer: %s", text);
}

void xs_kafka_conf_logs(rd_kafka_conf_t *kc)
{
        rd_kafka_conf_set_log_cb(kc, log_cb);
        rd_kafka_conf_set_error_cb(kc, error_cb);
}

/* ---- configuration and encoding ------------------------------------------------------ */

struct kconf_ctx {
        rd_kafka_conf_t *kc;
        char *errstr;
        size_t errstr_size;
        int bad;
};

static void kconf_set(void *opaque, const char *key, const char *value)
{
        struct kconf_ctx *ctx = opaque;
        char err[256];
        if (ctx->bad)
                return;
        rd_kafka_conf_res_t r = rd_kafka_conf_set(ctx->kc, key, value, err, sizeof(err));
        if (r != RD_KAFKA_CONF_OK) {
                /* XSELL_KAFKA_LOG_LEVEL reads as kafka.log.level: librdkafka's few properties
                 * with '_' (log_level) are written with "__" in the environment */
                int hint = r == RD_KAFKA_CONF_UNKNOWN && strchr(key, '.');
                snprintf(ctx->errstr, ctx->errstr_size, "kafka.%s: %s%s", key, err,
                         hint ? " (in the environment, XSELL_KAFKA_A_B is kafka.a.b and "
                                "XSELL_KAFKA_A__B is kafka.a_b, e.g. XSELL_KAFKA_LOG__LEVEL for "
                                "log_level)"
                              : "");
                ctx->bad = 1;
        }
}

/* The settings the processing guarantee rests on, and why: a kafka.* key may override any other
 * setting of the runtime, but not one of these where the runtime sets it (issue 10 item 12:
 * they were overridden silently). */
static const struct {
        const char *key, *why;
} guarded[] = {
    {"enable.auto.commit", "offsets are committed only once what their records produced is "
                           "acknowledged (or in the same transaction)"},
    {"enable.auto.offset.store", "an offset is stored only once its record is processed"},
    {"isolation.level", "records of aborted upstream transactions must not be processed"},
    {"enable.idempotence", "a retried produce must not duplicate or reorder output"},
};

/* 0 if the user's settings left every guarded key of extra as the runtime set it (compared as
 * librdkafka normalizes it: "1", "t" and "true" read back the same); else -1 with errstr. */
static int kconf_check_guarded(rd_kafka_conf_t *kc, const char *const *extra,
                               const char *const *want, char *errstr, size_t errstr_size)
{
        for (size_t i = 0; i < 16 && extra && extra[0]; extra += 2, i++) {
                if (!want[i])
                        continue;
                char got[64];
                size_t n = sizeof(got);
                if (rd_kafka_conf_get(kc, extra[0], got, &n) != RD_KAFKA_CONF_OK ||
                    !strcmp(got, want[i]))
                        continue;
                for (size_t g = 0; g < sizeof(guarded) / sizeof(guarded[0]); g++)
                        if (!strcmp(guarded[g].key, extra[0])) {
                                snprintf(errstr, errstr_size,
                                         "kafka.%s=%s would weaken the processing guarantee: "
                                         "xsell sets %s=%s because %s; remove the setting",
                                         extra[0], got, extra[0], want[i], guarded[g].why);
                                return -1;
                        }
        }
        return 0;
}

rd_kafka_conf_t *xs_kafka_conf(const struct xs_conf *conf, const char *bootstrap,
                               const char *const *extra, char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        struct kconf_ctx ctx = {kc, errstr, errstr_size, 0};
        xs_kafka_conf_logs(kc);
        /* the guarded keys among the first 16 pairs of extra (the callers pass at most 9), as
         * librdkafka reads them back */
        char want_buf[16][64];
        const char *want[16] = {0};
        size_t i = 0;
        for (const char *const *x = extra; x && x[0]; x += 2, i++) {
                kconf_set(&ctx, x[0], x[1]);
                size_t n = sizeof(want_buf[0]);
                for (size_t g = 0; i < 16 && g < sizeof(guarded) / sizeof(guarded[0]); g++)
                        if (!strcmp(guarded[g].key, x[0]) &&
                            rd_kafka_conf_get(kc, x[0], want_buf[i], &n) == RD_KAFKA_CONF_OK)
                                want[i] = want_buf[i];
        }
        xs_conf_kafka_foreach(conf, kconf_set, &ctx); /* the user's settings win, but... */
        if (bootstrap)
                kconf_set(&ctx, "bootstrap.servers", bootstrap);
        if (!ctx.bad && kconf_check_guarded(kc, extra, want, errstr, errstr_size) != 0)
                ctx.bad = 1; /* ...not over the guarantee */
        if (ctx.bad) {
                rd_kafka_conf_destroy(kc);
                return NULL;
        }
        return kc;
}

/* The partition count of topic (waits up to timeout_ms for it to exist), or -1. */
int xs_kafka_part_index(const rd_kafka_topic_partition_list_t *parts, int32_t part)
{
        for (int i = 0; i < parts->cnt; i++)
                if (parts->elems[i].partition == part)
                        return i;
        return -1;
}

int xs_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms)
{
        double until = xs_rt_now() + timeout_ms / 1000.0;
        for (;;) {
                const struct rd_kafka_metadata *md = NULL;
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
                rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 1000);
                rd_kafka_topic_destroy(rkt);
                int n = !e && md && md->topic_cnt == 1 && !md->topics[0].err
                            ? md->topics[0].partition_cnt
                            : -1;
                if (md)
                        rd_kafka_metadata_destroy(md);
                if (n > 0 || xs_rt_now() > until)
                        return n;
                rd_kafka_poll(rk, 100);
        }
}

size_t xs_kafka_encode(struct xs_codec *codec, enum xs_record_kind kind, uint32_t schema_id,
                       const void *record, int tombstone, unsigned char **buf, size_t *cap,
                       char *errstr, size_t errstr_size)
{
        for (int attempt = 0; attempt < 8; attempt++) {
                if (*cap < 4096) {
                        unsigned char *nb = realloc(*buf, 4096);
                        if (!nb)
                                break;
                        *buf = nb;
                        *cap = 4096;
                }
                size_t len = 0;
                void *body = *buf + XS_FRAME_HEADER;
                size_t room = *cap - XS_FRAME_HEADER;
                xs_err_t e;
                switch (kind) {
                case XS_KIND_EVENT:
                        e = xs_codec_encode_event(codec, record, body, room, &len);
                        break;
                case XS_KIND_PRODUCT:
                        e = xs_codec_encode_product_ex(codec, record, tombstone, body, room, &len);
                        break;
                case XS_KIND_OFFER:
                        e = xs_codec_encode_offer(codec, record, body, room, &len);
                        break;
                case XS_KIND_SIGNAL:
                        e = xs_codec_encode_signal(codec, record, body, room, &len);
                        break;
                default:
                        e = xs_codec_encode_outcome(codec, record, body, room, &len);
                        break;
                }
                if (e == XS_OK) {
                        xs_frame_header(*buf, schema_id);
                        return len + XS_FRAME_HEADER;
                }
                if (e != XS_ERR_NOMEM) {
                        snprintf(errstr, errstr_size, "cannot encode %s: %s",
                                 xs_record_kind_name(kind), xs_err_name(e));
                        return 0;
                }
                size_t want = len > room ? len + XS_FRAME_HEADER : *cap * 2;
                unsigned char *nb = realloc(*buf, want);
                if (!nb)
                        break;
                *buf = nb;
                *cap = want;
        }
        snprintf(errstr, errstr_size, "cannot encode %s: out of memory", xs_record_kind_name(kind));
        return 0;
}
