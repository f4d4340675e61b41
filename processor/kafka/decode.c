/*
 * Decoding input records from Kafka: the wire format (magic byte 0, 4-byte schema id), the
 * writer schema by id from the registry, then the codec; an event record's key, when it has
 * one, must be its customer_id. A record that fails is poison and its caller dead-letters it.
 * A registry outage is not: the lookup is retried here until the registry answers or the
 * runtime is stopped. One schema id that keeps failing while the registry serves others is
 * poison, remembered for registry.failure_ttl (see xs_rt_writer_schema).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/decode.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "util/log.h"
#include "util/xs_uthash.h"
#include "xsell/codec.h"
#include "xsell/registry.h"

/* ---- schema ids that keep failing ------------------------------------------------------ */

struct xs_rt_bad_id {
        uint32_t id;
        double until; /* xs_rt_now() */
        char why[256];
        UT_hash_handle hh;
};

static struct xs_rt_bad_id *bad_id_find(struct xs_rt *rt, uint32_t id)
{
        struct xs_rt_bad_id *b;
        HASH_FIND(hh, rt->bad_ids, &id, sizeof(id), b);
        if (b && xs_rt_now() >= b->until) {
                HASH_DEL(rt->bad_ids, b);
                rt->n_bad_ids--;
                free(b);
                b = NULL;
        }
        return b;
}

/* Remembers id as failing for registry.failure_ttl; at most registry.failure_cache_max ids,
 * the one that expires first giving way (a scan, only when full). */
static void bad_id_add(struct xs_rt *rt, uint32_t id, const char *why)
{
        if (rt->p->registry_failure_ttl <= 0)
                return;
        if (rt->n_bad_ids >= (size_t)rt->p->registry_failure_cache_max) {
                struct xs_rt_bad_id *b, *tmp, *first = NULL;
                HASH_ITER(hh, rt->bad_ids, b, tmp)
                if (!first || b->until < first->until)
                        first = b;
                if (first) {
                        HASH_DEL(rt->bad_ids, first);
                        rt->n_bad_ids--;
                        free(first);
                        rt->st.schema_id_failure_evictions++;
                }
        }
        struct xs_rt_bad_id *b = calloc(1, sizeof(*b));
        if (!b)
                return; /* not remembered: the next record asks again */
        b->id = id;
        b->until = xs_rt_now() + (double)rt->p->registry_failure_ttl / 1000.0;
        snprintf(b->why, sizeof(b->why), "%s", why);
        HASH_ADD(hh, rt->bad_ids, id, sizeof(b->id), b);
        rt->n_bad_ids++;
}

void xs_rt_bad_ids_clear(struct xs_rt *rt)
{
        struct xs_rt_bad_id *b, *tmp;
        HASH_ITER(hh, rt->bad_ids, b, tmp)
        {
                HASH_DEL(rt->bad_ids, b);
                free(b);
        }
        rt->n_bad_ids = 0;
}

/* ---- writer schemas ------------------------------------------------------------------ */

/* Resolves the writer schema of a framed record. A lookup that fails after registry.retries
 * (xs_registry_wschema) is told apart by asking the registry for something else
 * (xs_registry_ping): if it serves that, this id alone fails (a 5xx, a hang or a closed
 * connection for it): the record is poison, and the id is remembered as failing for
 * registry.failure_ttl so that the next records naming it do not wait the retries again while
 * the other ids flow. If the registry serves nothing, it is an outage: nothing else could be
 * processed either, so the lookup is retried here (1 s apart for 5 tries, then 5 s apart)
 * until the registry answers or the runtime is stopped, polling the producer meanwhile. */
xs_err_t xs_rt_writer_schema(struct xs_rt *rt, enum xs_record_kind kind, const void *payload,
                             size_t len, const struct xs_wschema **ws, const void **body,
                             size_t *blen, char *err, size_t errsize)
{
        uint32_t id;
        xs_err_t e = xs_frame_parse(payload, len, &id, body, blen);
        if (e != XS_OK) {
                snprintf(err, errsize,
                         "not in the Schema Registry wire format (magic byte 0 + "
                         "4-byte schema id)");
                return XS_ERR_DECODE;
        }
        struct xs_rt_bad_id *bad = bad_id_find(rt, id);
        if (bad) {
                rt->st.schema_id_failed_hits++;
                snprintf(err, errsize,
                         "schema id %" PRIu32 " failed (remembered for "
                         "registry.failure_ttl): %s",
                         id, bad->why);
                return XS_ERR_DECODE;
        }
        for (int attempt = 0;; attempt++) {
                e = xs_registry_wschema(rt->reg, kind, id, ws, err, errsize);
                if (attempt > 0)
                        xs_obs_registry_wait(rt, NULL);
                if (e != XS_ERR_RETRY)
                        break;
                char why[256], perr[256];
                snprintf(why, sizeof(why), "%s", err);
                if (xs_registry_ping(rt->reg, perr, sizeof(perr)) == XS_OK) {
                        rt->st.schema_id_failures++;
                        xs_obs_registry_wait(rt, NULL);
                        bad_id_add(rt, id, why);
                        xs_log_kv(XS_LOG_WARN, "registry", XS_KV(XS_KV_INT("schema.id", id)),
                                  "schema id %" PRIu32 " keeps failing while the registry "
                                  "serves other requests: its records are poison for "
                                  "registry.failure_ttl: %s",
                                  id, why);
                        snprintf(err, errsize,
                                 "schema id %" PRIu32 " could not be fetched while the registry "
                                 "served other requests: %s",
                                 id, why);
                        return XS_ERR_DECODE;
                }
                if (rt->o->stop && *rt->o->stop) {
                        xs_log_kv(XS_LOG_WARN, "registry", XS_KV(XS_KV_INT("schema.id", id)),
                                  "stopped by a signal while waiting for the schema registry "
                                  "(%s); the record is not processed and is consumed again on "
                                  "restart",
                                  why);
                        return XS_ERR_RETRY;
                }
                xs_log_kv(XS_LOG_WARN, "registry",
                          XS_KV(XS_KV_INT("schema.id", id), XS_KV_INT("attempt", attempt + 1)),
                          "schema registry unavailable, retrying in %d s: %s", attempt < 5 ? 1 : 5,
                          why);
                rd_kafka_poll(rt->producer, 0);
                xs_obs_registry_wait(rt, why);
                xs_obs_tick(rt); /* waiting is progress: /livez stays up through the outage */
                sleep(attempt < 5 ? 1 : 5);
        }
        if (e == XS_ERR_NOT_FOUND)
                e = XS_ERR_DECODE; /* an unknown schema id: poison */
        return e;
}

/* Decodes an input event message into *ev (valid until the next decode). */
xs_err_t xs_rt_decode_event(struct xs_rt *rt, const rd_kafka_message_t *m, struct xs_event *ev,
                            const char **stage, char *err, size_t errsize)
{
        const struct xs_wschema *ws;
        const void *body;
        size_t blen;
        *stage = "deserialize";
        if (!m->payload) {
                snprintf(err, errsize, "null value");
                return XS_ERR_DECODE;
        }
        xs_err_t e = xs_rt_writer_schema(rt, XS_KIND_EVENT, m->payload, m->len, &ws, &body, &blen,
                                         err, errsize);
        if (e != XS_OK)
                return e;
        e = xs_codec_decode_event(rt->codec, ws, body, blen, ev, err, errsize);
        if (e != XS_OK)
                return e;
        *stage = "contract";
        if (m->key && (m->key_len != strlen(ev->customer_id) ||
                       memcmp(m->key, ev->customer_id, m->key_len) != 0)) {
                snprintf(err, errsize, "record key is not the customer_id \"%.64s\"",
                         ev->customer_id);
                return XS_ERR_INVALID;
        }
        return XS_OK;
}
