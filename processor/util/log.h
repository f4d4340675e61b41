/*
 * Logs on stderr: one JSON object per line (ECS field names: @timestamp, log.level, message,
 * service.name, log.logger and context fields), or a plain line for a terminal. Thread-safe:
 * librdkafka's threads log through it too. Payloads and secrets are never passed to it.
 *
 *   xs_log(XS_LOG_WARN, "kafka", "commit failed: %s", err);
 *   xs_log_kv(XS_LOG_WARN, "kafka", XS_KV(XS_KV_STR("topic", t), XS_KV_INT("partition", p)),
 *             "dead-lettered: %s", reason);
 */
#ifndef XS_LOG_H
#define XS_LOG_H

#include <stddef.h>
#include <stdint.h>

enum xs_log_level { XS_LOG_DEBUG, XS_LOG_INFO, XS_LOG_WARN, XS_LOG_ERROR };

/* auto: plain when stderr is a terminal, JSON otherwise. */
enum xs_log_format { XS_LOG_AUTO, XS_LOG_JSON, XS_LOG_PLAIN };

/* A context field: a string (str != NULL) or an integer. */
struct xs_log_kv {
        const char *key;
        const char *str;
        int64_t num;
};

/* (a function, not a ?: on v, so that v may be an array) */
static inline const char *xs_log_str_(const char *s)
{
        return s ? s : "";
}
#define XS_KV_STR(k, v) ((struct xs_log_kv){(k), xs_log_str_(v), 0})
#define XS_KV_INT(k, v) ((struct xs_log_kv){(k), NULL, (int64_t)(v)})
/* A compound-literal array and its length, for xs_log_kv's kv and n. */
#define XS_KV(...)                                                                                 \
        (const struct xs_log_kv[]){__VA_ARGS__},                                                   \
            sizeof((const struct xs_log_kv[]){__VA_ARGS__}) / sizeof(struct xs_log_kv)

/* Sets the format, the least level written and service.name (copied; NULL keeps "xsell").
 * May be called again; before any call the defaults are auto, info, "xsell". */
void xs_log_setup(enum xs_log_format fmt, enum xs_log_level min_level, const char *service);

/* Parses "auto|json|plain" and "debug|info|warn|error"; -1 when not one of them. */
int xs_log_format_parse(const char *s);
int xs_log_level_parse(const char *s);
const char *xs_log_level_name(enum xs_log_level lvl);

/* 1 when a message at lvl would be written. */
int xs_log_enabled(enum xs_log_level lvl);

void xs_log(enum xs_log_level lvl, const char *logger, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xs_log_kv(enum xs_log_level lvl, const char *logger, const struct xs_log_kv *kv, size_t n,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* 1 when lines are written as JSON now (json, or auto with stderr not a terminal). */
int xs_log_is_json(void);

/* For a signal handler: writes one error line (message msg, no context) with only
 * async-signal-safe calls (clock_gettime, write), no lock and no allocation. */
void xs_log_emergency(const char *logger, const char *msg);

/* Counts of messages written per level since start (for metrics). */
uint64_t xs_log_count(enum xs_log_level lvl);

#endif
