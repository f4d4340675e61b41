/*
 * Avro codec for the wire contract (the .avsc files in schemas/, PRODUCT.md §7).
 *
 * Decoding is guarded: a record's bytes are first walked against the writer's schema with
 * every length, count, enum and union index checked against what remains (avro-c 1.11 trusts
 * length prefixes and enum indexes), then decoded with the writer's schema, and fields are
 * mapped by name into our structs with our defaults applied in code (avro-c ignores field
 * defaults when resolving). Unknown enum symbols map to the enum's default.
 */
#ifndef XSELL_CODEC_H
#define XSELL_CODEC_H

#include "common.h"
#include "event.h"
#include "offer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The record kinds of the contract; each has a schema in schemas/. */
enum xs_record_kind {
        XS_KIND_EVENT,   /* schemas/customer_event.avsc */
        XS_KIND_PRODUCT, /* schemas/catalog_product.avsc */
        XS_KIND_OFFER,   /* schemas/offer.avsc */
        XS_KIND_SIGNAL,  /* schemas/journey_signal.avsc */
        XS_KIND_OUTCOME, /* schemas/offer_outcome.avsc */
        XS_KIND_COUNT
};
const char *xs_record_kind_name(enum xs_record_kind kind);

/* The exact .avsc text of our schema for kind (embedded at build time). */
const char *xs_codec_schema_text(enum xs_record_kind kind);

/* A parsed writer schema with its field mapping cached. */
struct xs_wschema;
/* Parses a writer schema (JSON text) for records of kind. Fails with XS_ERR_INVALID when the
 * schema cannot be read as that kind (a required field missing with no default, a type that
 * does not match). Free with xs_wschema_destroy(). */
struct xs_wschema *xs_wschema_new(enum xs_record_kind kind, const char *json, char *errstr,
                                  size_t errstr_size);
void xs_wschema_destroy(struct xs_wschema *ws);

/* One codec per thread: it owns reusable decode values and the memory that decoded records
 * point into, so a decoded record is valid until the next decode call on the same codec. */
struct xs_codec;
struct xs_codec *xs_codec_new(char *errstr, size_t errstr_size);
void xs_codec_destroy(struct xs_codec *codec);

/* Decode one Avro binary record (no framing) written with ws (NULL: our own schema).
 * Returns XS_ERR_DECODE for bytes that do not match the schema, XS_ERR_INVALID for a record
 * that decodes but breaks the contract (e.g. a required id empty); never aborts, never
 * allocates more than a bounded multiple of len. */
xs_err_t xs_codec_decode_event(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                               size_t len, struct xs_event *out, char *errstr, size_t errstr_size);
xs_err_t xs_codec_decode_product(struct xs_codec *codec, const struct xs_wschema *ws,
                                 const void *buf, size_t len, struct xs_product *out, char *errstr,
                                 size_t errstr_size);
/* xs_codec_decode_event through avro-c's generic values (slower): the same result, error and
 * message for every input. The reference the fast path is fuzzed against; not for the hot path. */
xs_err_t xs_codec_decode_event_generic(struct xs_codec *codec, const struct xs_wschema *ws,
                                       const void *buf, size_t len, struct xs_event *out,
                                       char *errstr, size_t errstr_size);

/* 1 if the last xs_codec_decode_product() on codec returned a tombstone (deleted = true): the
 * caller deletes product_id. For a tombstone only product_id is required; currency and price may
 * be empty. */
int xs_codec_last_tombstone(const struct xs_codec *codec);

/* Encode with our own schema into buf (capacity cap); *len gets the size. Returns
 * XS_ERR_NOMEM when cap is too small (*len then holds the size needed, or 0 if unknown).
 * XS_ERR_INVALID when a required string is NULL or an enum value is out of range. The record is
 * only read. */
xs_err_t xs_codec_encode_event(struct xs_codec *codec, const struct xs_event *ev, void *buf,
                               size_t cap, size_t *len);
xs_err_t xs_codec_encode_product(struct xs_codec *codec, const struct xs_product *p, void *buf,
                                 size_t cap, size_t *len);
/* As xs_codec_encode_product, writing deleted = tombstone (the file form of a catalog delete). */
xs_err_t xs_codec_encode_product_ex(struct xs_codec *codec, const struct xs_product *p,
                                    int tombstone, void *buf, size_t cap, size_t *len);
xs_err_t xs_codec_encode_offer(struct xs_codec *codec, const struct xs_offer *o, void *buf,
                               size_t cap, size_t *len);
xs_err_t xs_codec_encode_signal(struct xs_codec *codec, const struct xs_signal *s, void *buf,
                                size_t cap, size_t *len);
xs_err_t xs_codec_encode_outcome(struct xs_codec *codec, const struct xs_outcome *o, void *buf,
                                 size_t cap, size_t *len);
/* The three above through avro-c's generic values (slower): the same bytes and result for
 * every record. The reference the direct encoders are tested against; not for the hot path. */
xs_err_t xs_codec_encode_offer_generic(struct xs_codec *codec, const struct xs_offer *o, void *buf,
                                       size_t cap, size_t *len);
xs_err_t xs_codec_encode_signal_generic(struct xs_codec *codec, const struct xs_signal *s,
                                        void *buf, size_t cap, size_t *len);
xs_err_t xs_codec_encode_outcome_generic(struct xs_codec *codec, const struct xs_outcome *o,
                                         void *buf, size_t cap, size_t *len);

/* Confluent Schema Registry framing: magic byte 0, 4-byte big-endian schema id, Avro body.
 * unframe returns XS_ERR_DECODE for a short buffer or a wrong magic byte. */
#define XS_FRAME_HEADER 5
void xs_frame_header(unsigned char hdr[XS_FRAME_HEADER], uint32_t schema_id);
xs_err_t xs_frame_parse(const void *buf, size_t len, uint32_t *schema_id, const void **body,
                        size_t *body_len);

#ifdef __cplusplus
}
#endif
#endif
