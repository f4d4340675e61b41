/*
 * The catalog topic: before any event is processed, every partition of it is read from its
 * beginning to its end (within catalog.bootstrap_timeout), and then the loop (run.c) follows
 * it, up to 100 records an iteration. No offsets are committed: each start reads it all again.
 * A catalog topic that does not exist yet, or a cluster that cannot be reached yet, is waited for
 * within the same bound (a deployment may start xsell before the topic or the brokers);
 * /readyz says so meanwhile (obs.c).
 * A record puts its product into the engine's catalog; a tombstone (a null value keyed by the
 * product id, or a record the codec reads as one) deletes it; a record that cannot be decoded
 * or is invalid, or whose key (when it has one) is not its product_id, is dead-lettered.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kafka/catalog_feed.h"
#include "kafka/decode.h"
#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "kafka/produce.h"
#include "util/log.h"
#include "xsell/codec.h"
#include "xsell/engine.h"

void xs_rt_handle_catalog(struct xs_rt *rt, const rd_kafka_message_t *m)
{
        char err[512];
        rt->st.catalog_records++;
        if (!m->payload) { /* tombstone */
                char id[512];
                size_t n = m->key_len < sizeof(id) - 1 ? m->key_len : sizeof(id) - 1;
                if (!m->key || !n) {
                        xs_rt_dead_letter(rt, m, "contract", XS_ERR_INVALID,
                                          "tombstone without a key");
                        return;
                }
                memcpy(id, m->key, n);
                id[n] = '\0';
                xs_engine_catalog_delete(rt->eng, id);
                return;
        }
        const struct xs_wschema *ws;
        const void *body;
        size_t blen;
        struct xs_product p;
        xs_err_t e = xs_rt_writer_schema(rt, XS_KIND_PRODUCT, m->payload, m->len, &ws, &body, &blen,
                                         err, sizeof(err));
        if (e == XS_ERR_RETRY)
                return;
        if (e == XS_OK)
                e = xs_codec_decode_product(rt->codec, ws, body, blen, &p, err, sizeof(err));
        if (e != XS_OK) {
                xs_rt_dead_letter(rt, m, "deserialize", e, err);
                return;
        }
        /* the key of a compacted topic is what compaction and tombstones go by: a record
         * filed under another key would be deleted or replaced by the wrong product's */
        if (m->key &&
            (m->key_len != strlen(p.product_id) || memcmp(m->key, p.product_id, m->key_len) != 0)) {
                rt->st.catalog_key_mismatch++;
                xs_rt_dead_letter(rt, m, "contract", XS_ERR_INVALID,
                                  "record key is not the product_id");
                return;
        }
        if (xs_codec_last_tombstone(rt->codec)) {
                xs_engine_catalog_delete(rt->eng, p.product_id);
                return;
        }
        e = xs_engine_catalog_put(rt->eng, &p, err, sizeof(err));
        if (e != XS_OK)
                xs_rt_dead_letter(rt, m, "contract", e, err);
}

int xs_rt_catalog_bootstrap(struct xs_rt *rt)
{
        char err[512];
        const char *topic = rt->p->topic_catalog;
        /* client and group named after application.id, so ACLs on its prefix cover them */
        char client[300];
        snprintf(client, sizeof(client), "%s-catalog", rt->p->application_id);
        rd_kafka_conf_t *kc = xs_kafka_conf(
            rt->conf, rt->o->bootstrap,
            (const char *const[]){"group.id", client, "client.id", client, "enable.auto.commit",
                                  "false", "enable.partition.eof", "true", "fetch.wait.max.ms",
                                  "10", NULL},
            err, sizeof(err));
        if (kc)
                xs_obs_kafka_conf(rt, kc);
        if (!kc || !(rt->catcons = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err)))) {
                if (kc)
                        rd_kafka_conf_destroy(kc);
                xs_log(XS_LOG_ERROR, "catalog", "catalog consumer: %s", err);
                return -1;
        }
        /* its error events and statistics (obs.c) are served by its consumer_poll */
        rd_kafka_poll_set_consumer(rt->catcons);
        const struct rd_kafka_metadata *md = NULL;
        double deadline = xs_rt_now() + (double)rt->p->catalog_bootstrap_timeout / 1000.0;
        rd_kafka_resp_err_t e;
        int said = 0;
        for (;;) { /* the topic may not exist yet: wait for it within the bound */
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(rt->catcons, topic, NULL);
                e = rd_kafka_metadata(rt->catcons, 0, rkt, &md, 1000); /* then a tick */
                rd_kafka_topic_destroy(rkt);
                int missing = !e && md && md->topic_cnt == 1 &&
                              md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
                /* the cluster not reachable (yet): an outage, waited out like a missing topic */
                int away = e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__TIMED_OUT ||
                           e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
                if (rt->o->stop && *rt->o->stop) { /* a stop, not a failure: exit 0 */
                        xs_log_kv(XS_LOG_WARN, "catalog", XS_KV(XS_KV_STR("topic", topic)),
                                  "stopped by a signal while waiting for the catalog topic %s "
                                  "(%s); no event was consumed",
                                  topic,
                                  e         ? rd_kafka_err2str(e)
                                  : missing ? "does not exist yet"
                                            : "metadata received");
                        if (md)
                                rd_kafka_metadata_destroy(md);
                        return 1;
                }
                if ((!missing && !away) || xs_rt_now() + 0.5 > deadline)
                        break;
                if (!said++)
                        xs_log(XS_LOG_WARN, "catalog",
                               "catalog topic %s: %s; waiting (at most catalog.bootstrap_timeout)",
                               topic, away ? rd_kafka_err2str(e) : "does not exist yet");
                if (md)
                        rd_kafka_metadata_destroy(md);
                md = NULL;
                xs_obs_tick(rt);
                for (int i = 0; i < 5; i++) { /* 0.5 s, ticking */
                        rd_kafka_poll(rt->catcons, 100);
                        xs_obs_tick(rt);
                }
        }
        if (e || !md || md->topic_cnt != 1 || md->topics[0].err) {
                rd_kafka_resp_err_t te = e                     ? e
                                         : md && md->topic_cnt ? md->topics[0].err
                                                               : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
                xs_log_kv(XS_LOG_ERROR, "catalog",
                          XS_KV(XS_KV_STR("topic", topic),
                                XS_KV_STR("error.code", rd_kafka_err2name(te))),
                          "catalog topic %s: %s", topic,
                          e || (md && md->topic_cnt) ? rd_kafka_err2str(te) : "no metadata");
                if (md)
                        rd_kafka_metadata_destroy(md);
                return -1;
        }
        int n = md->topics[0].partition_cnt;
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
        for (int i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)
                    ->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_metadata_destroy(md);
        rd_kafka_assign(rt->catcons, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        /* read to the end of every partition before any event is processed */
        int at_end = 0;
        /* only catalog records are consumed until then: the dead letters since are theirs */
        uint64_t records0 = rt->st.catalog_records, dead0 = rt->st.dead_lettered;
        while (at_end < n) {
                xs_obs_tick(rt);
                if (xs_rt_now() > deadline) {
                        xs_log_kv(XS_LOG_ERROR, "catalog", XS_KV(XS_KV_STR("topic", topic)),
                                  "catalog topic %s not read to its end within "
                                  "catalog.bootstrap_timeout (%d of %d partitions)",
                                  topic, at_end, n);
                        return -1;
                }
                if (rt->o->stop && *rt->o->stop) {
                        xs_log_kv(XS_LOG_WARN, "catalog", XS_KV(XS_KV_STR("topic", topic)),
                                  "stopped by a signal while reading the catalog topic %s to its "
                                  "end; no event was consumed",
                                  topic);
                        return 1;
                }
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rt->catcons, 100);
                if (!m)
                        continue;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        at_end++;
                else if (!m->err)
                        xs_rt_handle_catalog(rt, m);
                else
                        xs_kafka_log_consumer_error(rt->catcons, m, "catalog");
                rd_kafka_message_destroy(m);
        }
        uint64_t records = rt->st.catalog_records - records0, dead = rt->st.dead_lettered - dead0;
        if (dead > records)
                dead = records;
        /* a catalog that is all dead letters (a wrong registry, another format) leaves the
         * engine without products: said at warn level, not as a plain success */
        int none = records > 0 && dead == records;
        if (!rt->o->quiet || none)
                xs_log_kv(
                    none ? XS_LOG_WARN : XS_LOG_INFO, "catalog",
                    XS_KV(XS_KV_STR("topic", topic), XS_KV_INT("records", records),
                          XS_KV_INT("accepted", records - dead), XS_KV_INT("dead_lettered", dead)),
                    "catalog %s read to its end: %" PRIu64 " records, %" PRIu64
                    " accepted, %" PRIu64 " dead-lettered%s",
                    topic, records, records - dead, dead,
                    none ? " (no product loaded: check the registry and the producer's format)"
                         : "");
        return 0;
}
