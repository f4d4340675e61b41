/*
 * librdkafka's statistics (see obs.h): parsed on the loop's thread (the statistics callback is
 * served by its polls), kept in the observer (obs_int.h) and rendered into /metrics: consumer
 * lag per partition (at most http.max_lag_partitions per consumer, the rest counted) and the
 * clients' queue, broker and error figures.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "kafka/obs_int.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const client_names[CL_COUNT] = {"consumer", "producer", "catalog"};

void xs_obs_render_kafka(struct xs_prom *w, const struct xs_obs *ob)
{
        xs_prom_family(w, "xsell_consumer_lag", "gauge",
                       "messages behind the partition's end (librdkafka statistics)");
        for (int c = 0; c < CL_COUNT; c++)
                for (size_t i = 0; i < ob->ks[c].n_lags; i++) {
                        char part[16];
                        snprintf(part, sizeof(part), "%" PRId32, ob->ks[c].lags[i].partition);
                        xs_prom_i64(w, "xsell_consumer_lag",
                                    L("topic", ob->ks[c].lags[i].topic, "partition", part),
                                    ob->ks[c].lags[i].lag);
                }
        xs_prom_family(w, "xsell_kafka_queue_messages", "gauge",
                       "messages waiting in a client's queues (librdkafka statistics msg_cnt)");
        for (int c = 0; c < CL_COUNT; c++)
                if (ob->ks[c].seen)
                        xs_prom_i64(w, "xsell_kafka_queue_messages", L("client", client_names[c]),
                                    ob->ks[c].msg_cnt);
        xs_prom_family(w, "xsell_kafka_brokers_up", "gauge",
                       "brokers a client has a connection to (state UP; librdkafka connects only "
                       "to the brokers it "
                       "needs)");
        for (int c = 0; c < CL_COUNT; c++)
                if (ob->ks[c].seen)
                        xs_prom_i64(w, "xsell_kafka_brokers_up", L("client", client_names[c]),
                                    ob->ks[c].brokers_up);
        xs_prom_family(w, "xsell_kafka_request_errors_total", "counter",
                       "request errors (transmit and receive) of a client with its brokers");
        for (int c = 0; c < CL_COUNT; c++)
                if (ob->ks[c].seen)
                        xs_prom_i64(w, "xsell_kafka_request_errors_total",
                                    L("client", client_names[c]),
                                    ob->ks[c].txerrs + ob->ks[c].rxerrs);
}

/* ---- librdkafka statistics ---------------------------------------------------------- */

static int64_t jint(json_t *o, const char *k)
{
        json_t *v = json_object_get(o, k);
        return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static int64_t jint_or(json_t *o, const char *k, int64_t dflt)
{
        json_t *v = json_object_get(o, k);
        return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* A partition's lag, -1 when unknown. librdkafka's consumer_lag is measured from the committed
 * offset, which exactly_once commits through the producer's transaction (so it stays -1) and the
 * catalog's consumer never commits. xsell stores offsets in both modes: consumer_lag_stored
 * first; else the end (the last stable offset under read_committed, as librdkafka measures)
 * less the position (app_offset: the next record the application is given), which is what the
 * catalog's consumer has. */
static int64_t partition_lag(json_t *pj, int committed)
{
        int64_t lag = jint_or(pj, "consumer_lag_stored", -1);
        if (lag >= 0)
                return lag;
        int64_t end = jint_or(pj, committed ? "ls_offset" : "hi_offset", -1);
        int64_t pos = jint_or(pj, "app_offset", -1);
        if (end < 0 || pos < 0)
                return -1;
        return end > pos ? end - pos : 0;
}

static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
        struct xs_rt *rt = opaque;
        struct xs_obs *ob = rt ? rt->obs : NULL;
        if (!ob)
                return 0;
        int c = rk == rt->producer ? CL_PRODUCER : rk == rt->catcons ? CL_CATALOG : CL_CONSUMER;
        if (c == CL_CONSUMER && rk != rt->consumer)
                return 0; /* the restore's consumer: not shown */
        json_error_t jerr;
        json_t *root = json_loadb(json, json_len, 0, &jerr);
        if (!json_is_object(root)) {
                json_decref(root);
                return 0;
        }
        struct kstats *ks = &ob->ks[c];
        ks->seen = 1;
        ks->msg_cnt = jint(root, "msg_cnt");
        ks->msg_size = jint(root, "msg_size");
        ks->brokers = ks->brokers_up = 0;
        ks->txerrs = ks->rxerrs = 0;
        const char *name;
        json_t *b, *t;
        json_object_foreach(json_object_get(root, "brokers"), name, b)
        {
                json_t *state = json_object_get(b, "state"), *src = json_object_get(b, "source");
                if (jint(b, "nodeid") < 0 || !json_is_string(src) ||
                    !strcmp(json_string_value(src), "logical") ||
                    !strcmp(json_string_value(src), "internal"))
                        continue; /* the bootstrap, the coordinator's and internal entries */
                ks->brokers++;
                ks->brokers_up += json_is_string(state) && !strcmp(json_string_value(state), "UP");
                ks->txerrs += jint(b, "txerrs");
                ks->rxerrs += jint(b, "rxerrs");
        }
        char iso[32] = "";
        size_t isz = sizeof(iso);
        rd_kafka_conf_get(rd_kafka_conf(rk), "isolation.level", iso, &isz);
        int committed = !strcmp(iso, "read_committed");
        ks->n_lags = 0;
        size_t max_lag = (size_t)rt->p->http_max_lag_partitions;
        if (c != CL_PRODUCER && !ks->lags)
                ks->lags = calloc(max_lag, sizeof(*ks->lags));
        json_object_foreach(json_object_get(root, "topics"), name, t)
        {
                const char *pname;
                json_t *pj;
                json_object_foreach(json_object_get(t, "partitions"), pname, pj)
                {
                        int64_t part = jint(pj, "partition");
                        int64_t lag = partition_lag(pj, committed);
                        json_t *fs = json_object_get(pj, "fetch_state");
                        if (!ks->lags || part < 0 || lag < 0 ||
                            (json_is_string(fs) && !strcmp(json_string_value(fs), "none")))
                                continue;
                        if (ks->n_lags >= max_lag) {
                                ob->lag_omitted++;
                                continue;
                        }
                        struct lag *l = &ks->lags[ks->n_lags++];
                        snprintf(l->topic, sizeof(l->topic), "%s", name);
                        l->partition = (int32_t)part;
                        l->lag = lag;
                }
        }
        json_decref(root);
        return 0;
}

void xs_obs_kafka_conf(struct xs_rt *rt, rd_kafka_conf_t *kc)
{
        char v[32], err[256];
        size_t n = sizeof(v);
        if (!rt->p->http_enable)
                return; /* nothing would show them (xs_obs_start warns) */
        int set = xs_conf_get(rt->conf, "kafka.statistics.interval.ms", v, sizeof(v)) == XS_OK;
        if (!set)
                rd_kafka_conf_set(kc, "statistics.interval.ms", "5000", err, sizeof(err));
        if (rd_kafka_conf_get(kc, "statistics.interval.ms", v, &n) == RD_KAFKA_CONF_OK &&
            strcmp(v, "0")) {
                rd_kafka_conf_set_stats_cb(kc, stats_cb);
                rd_kafka_conf_set_opaque(kc, rt); /* every client of the runtime: rt */
        }
}
