/*
 * Decoding input records for the Kafka runtime (decode.c).
 */
#ifndef XS_KAFKA_DECODE_H
#define XS_KAFKA_DECODE_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "kafka/kafka.h"
#include "xsell/registry.h"

/* Parses the frame of a record of kind and finds its writer schema (*ws) and body (*body,
 * *blen, inside payload). Returns XS_OK, XS_ERR_DECODE (poison: among others an id that keeps
 * failing while the registry serves others), or XS_ERR_RETRY (stopped while the registry was
 * down), with err filled. */
xs_err_t xs_rt_writer_schema(struct xs_rt *rt, enum xs_record_kind kind, const void *payload,
                             size_t len, const struct xs_wschema **ws, const void **body,
                             size_t *blen, char *err, size_t errsize);

/* Forgets the schema ids remembered as failing (at shutdown). */
void xs_rt_bad_ids_clear(struct xs_rt *rt);

/* Decodes event record m into *ev (valid until the next decode). On failure *stage says which
 * step failed ("deserialize" or "contract") and err why. */
xs_err_t xs_rt_decode_event(struct xs_rt *rt, const rd_kafka_message_t *m, struct xs_event *ev,
                            const char **stage, char *err, size_t errsize);

#endif
