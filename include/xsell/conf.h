/*
 * Configuration: every number of PRODUCT.md, from one declarative table (processor/conf_table.h)
 * that drives parsing, validation, `xsell config --list` and the README reference.
 *
 * Precedence is the order of the calls: defaults (xs_conf_new) < file < environment < command
 * line. Keys beginning with "kafka." are passed through to librdkafka untouched (never
 * re-declared here).
 */
#ifndef XSELL_CONF_H
#define XSELL_CONF_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xs_conf;

/* Returns a configuration holding every default. Free with xs_conf_destroy(). */
struct xs_conf *xs_conf_new(void);
/* Returns a deep copy; the caller owns it. */
struct xs_conf *xs_conf_dup(const struct xs_conf *conf);
void xs_conf_destroy(struct xs_conf *conf);

/* Sets one key from its text form. Durations take a unit (ms, s, m, h, d, w: "30m", "7d");
 * money is integer minor units; booleans are true/false. Returns XS_ERR_CONF with a message
 * naming the key, the value and the accepted range on any error; conf is then unchanged. */
xs_err_t xs_conf_set(struct xs_conf *conf, const char *key, const char *value, char *errstr,
                     size_t errstr_size);

/* Loads a properties file: `key=value` lines, `#` or `!` comments, blank lines. Errors name
 * "path:line". Keys already set keep their new values from the file. */
xs_err_t xs_conf_load_file(struct xs_conf *conf, const char *path, char *errstr,
                           size_t errstr_size);

/* Applies environment variables XSELL_<KEY> where KEY is the key upper-cased with '.' -> '_'
 * (XSELL_WINDOW_SIZE=1d; XSELL_KAFKA_BOOTSTRAP_SERVERS=...). envp is NULL-terminated. Unknown
 * XSELL_ variables are errors. */
xs_err_t xs_conf_load_env(struct xs_conf *conf, char *const *envp, char *errstr,
                          size_t errstr_size);

/* Checks rules that span keys (pane divides window, min < max ratios, ...). Run it once all
 * sources are loaded. */
xs_err_t xs_conf_check(const struct xs_conf *conf, char *errstr, size_t errstr_size);

/* Writes the current value of key as text into buf. Returns XS_ERR_NOT_FOUND for an
 * unknown key. */
xs_err_t xs_conf_get(const struct xs_conf *conf, const char *key, char *buf, size_t size);

/* Calls cb once per declared key, in table order. */
typedef void(xs_conf_visit_cb)(void *opaque, const char *key, const char *type, const char *value,
                               const char *default_value, const char *range,
                               const char *description);
void xs_conf_foreach(const struct xs_conf *conf, xs_conf_visit_cb *cb, void *opaque);

/* Calls cb once per "kafka." key, with the prefix removed, in the order they were set. */
void xs_conf_kafka_foreach(const struct xs_conf *conf,
                           void (*cb)(void *opaque, const char *key, const char *value),
                           void *opaque);

/* What xs_conf_shown() shows instead of a secret. */
#define XS_CONF_MASK "******"

/* The most names headers.passthrough may list. */
#define XS_HEADERS_PASSTHROUGH_MAX 16

/* 1 if the value of key (a key of the table or "kafka."-prefixed, or a bare librdkafka property)
 * is a secret that must never be printed: its name says password, secret, basic_auth,
 * basic.auth or credential, or it is an ssl.key.* or sasl.oauthbearer.config property. */
int xs_conf_is_secret(const char *key);

/* value as it may be shown in `config --show`, logs and errors: XS_CONF_MASK for a set secret,
 * a URL with its user:password@ replaced by XS_CONF_MASK@, else value itself. Returns value or
 * buf (written, truncated to size). */
const char *xs_conf_shown(const char *key, const char *value, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
