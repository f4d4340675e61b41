/*
 * Structured logs (util/log.h). A line is built in a stack buffer and written with one
 * fwrite under a mutex, so lines from librdkafka's threads never interleave. A message longer
 * than the buffer is truncated and says so ("…"), never split.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

#define XS_LOG_LINE_MAX 4096

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum xs_log_format log_format = XS_LOG_AUTO;
static enum xs_log_level log_min = XS_LOG_INFO;
static char log_service[64] = "xsell";
static _Atomic uint64_t log_counts[4];

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void xs_log_setup(enum xs_log_format fmt, enum xs_log_level min_level, const char *service)
{
        pthread_mutex_lock(&log_lock);
        log_format = fmt;
        log_min = min_level;
        if (service)
                snprintf(log_service, sizeof(log_service), "%s", service);
        pthread_mutex_unlock(&log_lock);
}

int xs_log_format_parse(const char *s)
{
        if (!strcmp(s, "auto"))
                return XS_LOG_AUTO;
        if (!strcmp(s, "json"))
                return XS_LOG_JSON;
        if (!strcmp(s, "plain"))
                return XS_LOG_PLAIN;
        return -1;
}

int xs_log_level_parse(const char *s)
{
        for (int i = 0; i < 4; i++)
                if (!strcmp(s, level_names[i]))
                        return i;
        return -1;
}

const char *xs_log_level_name(enum xs_log_level lvl)
{
        return (unsigned)lvl < 4 ? level_names[lvl] : "info";
}

int xs_log_enabled(enum xs_log_level lvl)
{
        return lvl >= log_min;
}

uint64_t xs_log_count(enum xs_log_level lvl)
{
        return (unsigned)lvl < 4 ? atomic_load(&log_counts[lvl]) : 0;
}

/* A bounded appender: writes what fits, remembers that something did not. */
struct line {
        char *buf;
        size_t len, cap;
        int truncated;
};

/* All or nothing, so an escape sequence is never cut; after the first miss nothing more is
 * written and the caller rebuilds a shorter line. */
static void put(struct line *ln, const char *s, size_t n)
{
        if (ln->truncated || ln->len + n > ln->cap) {
                ln->truncated = 1;
                return;
        }
        memcpy(ln->buf + ln->len, s, n);
        ln->len += n;
}

static void puts_(struct line *ln, const char *s)
{
        put(ln, s, strlen(s));
}

/* JSON string body: escapes quotes, backslashes and control bytes; bytes >= 0x80 pass as
 * they are (callers log UTF-8 text; an invalid byte is replaced by '?'). */
static void put_json(struct line *ln, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                char esc[8];
                if (*p == '"' || *p == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)*p;
                        put(ln, esc, 2);
                } else if (*p == '\n') {
                        put(ln, "\\n", 2);
                } else if (*p == '\t') {
                        put(ln, "\\t", 2);
                } else if (*p < 0x20 || *p == 0x7f) {
                        snprintf(esc, sizeof(esc), "\\u%04x", *p);
                        put(ln, esc, 6);
                } else if (*p >= 0x80) {
                        /* Copy a well-formed UTF-8 sequence; replace anything else (overlong
                         * forms, surrogates and code points above U+10FFFF too: strict JSON
                         * parsers refuse them). */
                        int n = *p >= 0xf0 && *p < 0xf5 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
                        int ok = n > 0;
                        for (int i = 1; ok && i < n; i++)
                                ok = (p[i] & 0xc0) == 0x80;
                        if (ok && ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] > 0x9f) ||
                                   (*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] > 0x8f)))
                                ok = 0;
                        if (ok) {
                                put(ln, (const char *)p, (size_t)n);
                                p += n - 1;
                        } else {
                                put(ln, "?", 1);
                        }
                } else {
                        put(ln, (const char *)p, 1);
                }
        }
}

static void put_plain(struct line *ln, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                put(ln, *p == '\n' || *p == '\r' ? " " : (const char *)p, 1);
}

static void build(struct line *ln, enum xs_log_format fmt_now, const char *ts,
                  enum xs_log_level lvl, const char *logger, const struct xs_log_kv *kv, size_t n,
                  const char *msg)
{
        char num[32];
        if (fmt_now == XS_LOG_JSON) {
                puts_(ln, "{\"@timestamp\":\"");
                puts_(ln, ts);
                puts_(ln, "\",\"log.level\":\"");
                puts_(ln, level_names[lvl]);
                puts_(ln, "\",\"message\":\"");
                put_json(ln, msg);
                puts_(ln, "\",\"service.name\":\"");
                put_json(ln, log_service);
                puts_(ln, "\",\"log.logger\":\"");
                put_json(ln, logger ? logger : "main");
                puts_(ln, "\"");
                for (size_t i = 0; i < n; i++) {
                        puts_(ln, ",\"");
                        put_json(ln, kv[i].key);
                        puts_(ln, "\":");
                        if (kv[i].str) {
                                puts_(ln, "\"");
                                put_json(ln, kv[i].str);
                                puts_(ln, "\"");
                        } else {
                                snprintf(num, sizeof(num), "%lld", (long long)kv[i].num);
                                puts_(ln, num);
                        }
                }
                ln->buf[ln->len++] = '}';
        } else {
                puts_(ln, ts);
                puts_(ln, " ");
                puts_(ln, level_names[lvl]);
                puts_(ln, " ");
                puts_(ln, log_service);
                puts_(ln, " ");
                put_plain(ln, logger ? logger : "main");
                puts_(ln, ": ");
                put_plain(ln, msg);
                for (size_t i = 0; i < n; i++) {
                        puts_(ln, " ");
                        put_plain(ln, kv[i].key);
                        puts_(ln, "=");
                        if (kv[i].str) {
                                put_plain(ln, kv[i].str);
                        } else {
                                snprintf(num, sizeof(num), "%lld", (long long)kv[i].num);
                                puts_(ln, num);
                        }
                }
        }
}

static enum xs_log_format effective_format(void)
{
        enum xs_log_format f = log_format;
        if (f == XS_LOG_AUTO)
                f = isatty(STDERR_FILENO) ? XS_LOG_PLAIN : XS_LOG_JSON;
        return f;
}

int xs_log_is_json(void)
{
        return effective_format() == XS_LOG_JSON;
}

static void vlog(enum xs_log_level lvl, const char *logger, const struct xs_log_kv *kv, size_t n,
                 const char *fmt, va_list ap)
{
        if (!xs_log_enabled(lvl))
                return;
        if ((unsigned)lvl >= 4)
                lvl = XS_LOG_ERROR;
        atomic_fetch_add(&log_counts[lvl], 1);

        char msg[XS_LOG_LINE_MAX];
        int m = vsnprintf(msg, sizeof(msg), fmt, ap);
        if (m >= (int)sizeof(msg))
                memcpy(msg + sizeof(msg) - 4, "...", 4);
        size_t ml = strlen(msg);
        while (ml && msg[ml - 1] == '\n')
                msg[--ml] = '\0';

        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        gmtime_r(&tv.tv_sec, &tm);
        char ts[64];
        snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(tv.tv_usec / 1000));

        char buf[XS_LOG_LINE_MAX * 2];
        enum xs_log_format fmt_now = effective_format();
        /* Room for the closing bytes is kept out of cap. */
        struct line ln = {buf, 0, sizeof(buf) - 8, 0};
        build(&ln, fmt_now, ts, lvl, logger, kv, n, msg);
        if (ln.truncated) {
                /* Escaping made it too long: the message alone, cut, still one valid line. */
                if (ml > 512)
                        memcpy(msg + 508, "...", 4);
                ln = (struct line){buf, 0, sizeof(buf) - 8, 0};
                build(&ln, fmt_now, ts, lvl, logger, NULL, 0, msg);
        }
        buf[ln.len++] = '\n';
        pthread_mutex_lock(&log_lock);
        fwrite(buf, 1, ln.len, stderr);
        fflush(stderr);
        pthread_mutex_unlock(&log_lock);
}

void xs_log(enum xs_log_level lvl, const char *logger, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vlog(lvl, logger, NULL, 0, fmt, ap);
        va_end(ap);
}

void xs_log_kv(enum xs_log_level lvl, const char *logger, const struct xs_log_kv *kv, size_t n,
               const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vlog(lvl, logger, kv, n, fmt, ap);
        va_end(ap);
}

/* ---- from a signal handler ------------------------------------------------------------ */

/* Appends s to buf at *n (bounded by cap), escaping for JSON when json; signal-safe. */
static void em_put(char *buf, size_t *n, size_t cap, const char *s, int json)
{
        for (; *s && *n + 2 < cap; s++) {
                unsigned char c = (unsigned char)*s;
                if (json && (c == '"' || c == '\\'))
                        buf[(*n)++] = '\\';
                buf[(*n)++] = c < 0x20 ? ' ' : (char)c;
        }
}

/* Writes v as at least width decimal digits; signal-safe. */
static void em_num(char *buf, size_t *n, size_t cap, long v, int width)
{
        char d[24];
        int k = 0;
        do {
                d[k++] = (char)('0' + v % 10);
                v /= 10;
        } while (v > 0 && k < 20);
        while (k < width)
                d[k++] = '0';
        while (k > 0 && *n + 1 < cap)
                buf[(*n)++] = d[--k];
}

void xs_log_emergency(const char *logger, const char *msg)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        /* the civil date of a day count (H. Hinnant's days_from_civil, inverted) */
        long days = (long)(ts.tv_sec / 86400), sod = (long)(ts.tv_sec % 86400);
        long z = days + 719468, era = z / 146097, doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
        long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
        long y = yoe + era * 400 + (m <= 2);
        char tsbuf[40];
        size_t t = 0;
        em_num(tsbuf, &t, sizeof(tsbuf), y, 4);
        tsbuf[t++] = '-';
        em_num(tsbuf, &t, sizeof(tsbuf), m, 2);
        tsbuf[t++] = '-';
        em_num(tsbuf, &t, sizeof(tsbuf), d, 2);
        tsbuf[t++] = 'T';
        em_num(tsbuf, &t, sizeof(tsbuf), sod / 3600, 2);
        tsbuf[t++] = ':';
        em_num(tsbuf, &t, sizeof(tsbuf), sod / 60 % 60, 2);
        tsbuf[t++] = ':';
        em_num(tsbuf, &t, sizeof(tsbuf), sod % 60, 2);
        tsbuf[t++] = '.';
        em_num(tsbuf, &t, sizeof(tsbuf), ts.tv_nsec / 1000000, 3);
        tsbuf[t++] = 'Z';
        tsbuf[t] = '\0';
        atomic_fetch_add(&log_counts[XS_LOG_ERROR], 1);
        char buf[1024];
        size_t n = 0;
        int json = effective_format() == XS_LOG_JSON;
        if (json) {
                em_put(buf, &n, sizeof(buf), "{\"@timestamp\":\"", 0);
                em_put(buf, &n, sizeof(buf), tsbuf, 0);
                em_put(buf, &n, sizeof(buf), "\",\"log.level\":\"error\",\"message\":\"", 0);
                em_put(buf, &n, sizeof(buf) - 64, msg, 1);
                em_put(buf, &n, sizeof(buf), "\",\"service.name\":\"", 0);
                em_put(buf, &n, sizeof(buf) - 48, log_service, 1);
                em_put(buf, &n, sizeof(buf), "\",\"log.logger\":\"", 0);
                em_put(buf, &n, sizeof(buf) - 16, logger, 1);
                em_put(buf, &n, sizeof(buf), "\"}", 0);
        } else {
                em_put(buf, &n, sizeof(buf), tsbuf, 0);
                em_put(buf, &n, sizeof(buf), " error ", 0);
                em_put(buf, &n, sizeof(buf), log_service, 0);
                em_put(buf, &n, sizeof(buf), " ", 0);
                em_put(buf, &n, sizeof(buf), logger, 0);
                em_put(buf, &n, sizeof(buf), ": ", 0);
                em_put(buf, &n, sizeof(buf) - 64, msg, 0);
        }
        buf[n++] = '\n';
        if (write(STDERR_FILENO, buf, n) < 0) {
                /* nothing more can be done from a signal handler */
        }
}
