/*
 * Confluent Schema Registry client: writer schemas by id for decoding framed records
 * (xs_frame_parse gives the id), and registration of our own schemas for producing.
 *
 * Schemas by id are cached for the life of the registry (ids are immutable), and so are parsed
 * writer schemas per (record kind, id), including the verdict that a schema cannot be read as a
 * kind. A registry is not thread-safe: use one per thread, or serialize the calls.
 *
 * Failures are classified by what the caller must do (common.h): XS_ERR_RETRY when the
 * registry is unreachable, times out or answers 5xx after all retries; XS_ERR_NOT_FOUND for an
 * unknown id or subject; XS_ERR_DECODE / XS_ERR_INVALID for an answer or schema that cannot be
 * used (the record that names it is poison); XS_ERR_CONF when retrying cannot help (401/403,
 * other 4xx such as an incompatible schema, an endpoint the server does not know, a redirect, a
 * bad URL or TLS setup).
 *
 * Without a registry, xs_registry_new_static() builds one from configured (id, schema) pairs.
 */
#ifndef XSELL_REGISTRY_H
#define XSELL_REGISTRY_H

#include "codec.h"
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest answer body accepted from a registry; a larger one is XS_ERR_DECODE. */
#define XS_REGISTRY_MAX_ANSWER ((size_t)4 << 20)

struct xs_registry_conf {
        const char *url;          /* e.g. "http://127.0.0.1:8081" (trailing slash tolerated) */
        const char *basic_auth;   /* "user:password" or NULL */
        int64_t timeout_ms;       /* per request (connect + transfer), > 0 */
        int retries;              /* extra attempts after a 5xx, 408, 429, timeout or connection
                                     error, 0..100 */
        int64_t retry_backoff_ms; /* wait before the first retry, doubled after each attempt
                                     (one wait is capped at 10 s) */
};

struct xs_registry;

/* A client for the registry at conf->url. conf and its strings are only read (copied), so the
 * caller may free them after the call. No request is made here. Returns NULL with errstr set
 * for a bad conf (no or non-http(s) URL, timeout <= 0, retries or backoff out of range,
 * basic_auth without ':'). Free with xs_registry_destroy(). */
struct xs_registry *xs_registry_new(const struct xs_registry_conf *conf, char *errstr,
                                    size_t errstr_size);

/* A registry-less registry: schemas are the ids configured with xs_registry_static_add(). It has
 * no subjects: every configured schema counts as registered under every subject. Free with
 * xs_registry_destroy(). */
struct xs_registry *xs_registry_new_static(char *errstr, size_t errstr_size);

/* Configures schema id -> schema_json on a static registry. schema_json is copied. Adding the
 * same text under the same id again is a no-op. XS_ERR_CONF when r is not static, schema_json
 * is NULL or not JSON, or id already has a different text; XS_ERR_NOMEM. */
xs_err_t xs_registry_static_add(struct xs_registry *r, uint32_t id, const char *schema_json);

/* Frees r with every cached text and writer schema it handed out. NULL is a no-op. */
void xs_registry_destroy(struct xs_registry *r);

/* The writer schema JSON text of id (GET /schemas/ids/{id}). *json is owned by the registry and
 * valid until xs_registry_destroy(). XS_ERR_NOT_FOUND for 404 / error_code 40403 (an unknown id:
 * the record is poison), XS_ERR_RETRY when the registry is unreachable, times out or answers 5xx
 * after all retries, XS_ERR_DECODE for a malformed or oversized answer, XS_ERR_INVALID for a
 * schema that is not Avro, XS_ERR_CONF when retrying cannot help (see above). */
xs_err_t xs_registry_schema_text(struct xs_registry *r, uint32_t id, const char **json,
                                 char *errstr, size_t errstr_size);

/* The parsed writer schema for records of kind with that id, for the xs_codec_decode_* calls.
 * *ws is owned by the registry and valid until xs_registry_destroy(). XS_ERR_INVALID if that
 * schema cannot be read as kind (poison for that kind; the verdict is cached too); otherwise the
 * errors of xs_registry_schema_text(). */
xs_err_t xs_registry_wschema(struct xs_registry *r, enum xs_record_kind kind, uint32_t id,
                             const struct xs_wschema **ws, char *errstr, size_t errstr_size);

/* Registers schema_json under subject (POST /subjects/{subject}/versions, body
 * {"schema": "<text>"}) and sets *id. Idempotent on the registry side: the same text gets the
 * same id. subject is URL-encoded here ("orders topic/v1-value" is fine). Strings are only
 * read. XS_ERR_CONF for a schema the registry rejects (409 incompatible, 422 invalid) or
 * 401/403; XS_ERR_RETRY, XS_ERR_DECODE as for xs_registry_schema_text(). A static registry
 * answers the configured id of an identical text, or XS_ERR_NOT_FOUND. */
xs_err_t xs_registry_register(struct xs_registry *r, const char *subject, const char *schema_json,
                              uint32_t *id, char *errstr, size_t errstr_size);

/* Looks up whether schema_json is registered under subject (POST /subjects/{subject}) and sets
 * *id. XS_ERR_NOT_FOUND (404: error_code 40401 no such subject, 40403 no such schema) if not;
 * otherwise as xs_registry_register(). */
xs_err_t xs_registry_lookup(struct xs_registry *r, const char *subject, const char *schema_json,
                            uint32_t *id, char *errstr, size_t errstr_size);

/* Whether the registry serves requests now, for telling one schema id that keeps failing (a
 * 5xx, a hang or a closed connection for that id alone: the records naming it are poison) from
 * an outage (everything fails: wait). One request, no retries: a schema id fetched before is
 * fetched again (it must succeed), or with none yet GET /config (any answer but a 5xx, 408,
 * 429 or a transport error counts). XS_OK if so, XS_ERR_RETRY if not, with errstr. A static
 * registry is always up. */
xs_err_t xs_registry_ping(struct xs_registry *r, char *errstr, size_t errstr_size);

/* Counters for metrics, since xs_registry_new:
 * requests: HTTP requests sent, every attempt counted;
 * failures: calls that made requests and ended in an error (including XS_ERR_NOT_FOUND);
 * retries: attempts after the first one of a call;
 * cache_hits: xs_registry_schema_text / xs_registry_wschema calls answered without a request
 * (for a static registry, every answer from its table). */
struct xs_registry_stats {
        uint64_t requests, failures, retries, cache_hits;
};
void xs_registry_stats(const struct xs_registry *r, struct xs_registry_stats *st);

#ifdef __cplusplus
}
#endif
#endif
