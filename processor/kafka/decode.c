/*
 * Decoding input records from Kafka: the wire format (magic byte 0, 4-byte schema id), the
 * writer schema by id from the registry, then the codec; an event record's key, when it has
 * one, must be its customer_id. A record that fails is poison and its caller dead-letters it.
 * A registry outage is not: the lookup is retried here (1 s apart for 5 tries, then 5 s apart)
 * until the registry answers or the runtime is stopped, polling the producer meanwhile.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kafka/decode.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "util/log.h"
#include "xsell/codec.h"
#include "xsell/registry.h"

/* Resolves the writer schema of a framed record; registry outages are retried here (the
 * record is not poison: nothing else can be processed until the registry answers). */
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
        for (int attempt = 0;; attempt++) {
                e = xs_registry_wschema(rt->reg, kind, id, ws, err, errsize);
                if (e != XS_ERR_RETRY)
                        break;
                if (rt->o->stop && *rt->o->stop) {
                        xs_log_kv(XS_LOG_WARN, "registry", XS_KV(XS_KV_INT("schema.id", id)),
                                  "stopped by a signal while waiting for the schema registry "
                                  "(%s); the record is not processed and is consumed again on "
                                  "restart",
                                  err);
                        return XS_ERR_RETRY;
                }
                xs_log_kv(XS_LOG_WARN, "registry",
                          XS_KV(XS_KV_INT("schema.id", id), XS_KV_INT("attempt", attempt + 1)),
                          "schema registry unavailable, retrying in %d s: %s", attempt < 5 ? 1 : 5,
                          err);
                rd_kafka_poll(rt->producer, 0);
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
