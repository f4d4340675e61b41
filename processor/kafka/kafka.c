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
 *   kafka.c         these basics
 *   produce.c       producing and delivery reports, the engine sink, dead letters, the copies
 *                   of the open transaction's records
 *   decode.c        decoding input records: wire format, writer schema, record key
 *   commit.c        making what was processed durable: offsets (at-least-once) or
 *                   transactions (exactly-once)
 *   catalog_feed.c  the catalog topic: read to its end before any event, then followed
 *   rebalance.c     partitions assigned and revoked, state restored by replay on start
 *   run.c           xs_rt_run: setup, the consumer loop, stream time, shutdown
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/kafka.h"
#include "kafka/kafka_int.h"

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
        if (rd_kafka_conf_set(ctx->kc, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
                snprintf(ctx->errstr, ctx->errstr_size, "kafka.%s: %s", key, err);
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
