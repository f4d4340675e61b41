/*
 * Configuration from the declarative table in conf_table.h: defaults, parsing with ranges,
 * properties files with file:line errors, XSELL_* environment variables, and "kafka." keys
 * passed through untouched. Nothing here knows a key by name except xs_conf_check().
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/conf_int.h"

enum conf_type { T_INT, T_DUR, T_MONEY, T_DBL, T_BOOL, T_STR, T_BYTES };

struct conf_def {
        const char *key;
        size_t offset;
        enum conf_type type;
        const char *def;
        int64_t imin, imax;
        double dmin, dmax;
        const char *choices; /* T_STR: "a|b", or "" for any text */
        const char *desc;
};

#define XS_RANGE_INT(a, b)   .imin = (a), .imax = (b)
#define XS_RANGE_DUR(a, b)   .imin = (a), .imax = (b)
#define XS_RANGE_MONEY(a, b) .imin = (a), .imax = (b)
#define XS_RANGE_DBL(a, b)   .dmin = (a), .dmax = (b)
#define XS_RANGE_BOOL(a, b)  .imin = (a), .imax = (b)
#define XS_RANGE_STR(a, b)   .choices = (a)
#define XS_RANGE_BYTES(a, b) .imin = (a), .imax = (b)

static const struct conf_def conf_defs[] = {
#define XS_CONF_DEF(key_, field, type_, def_, min, max, desc_)                                     \
        {.key = key_,                                                                              \
         .offset = offsetof(struct xs_params, field),                                              \
         .type = T_##type_,                                                                        \
         .def = def_,                                                                              \
         XS_RANGE_##type_(min, max),                                                               \
         .desc = desc_},
    XS_CONF_TABLE(XS_CONF_DEF)
#undef XS_CONF_DEF
};
#define N_DEFS (sizeof(conf_defs) / sizeof(conf_defs[0]))

struct kafka_prop {
        char *key, *value;
};

struct xs_conf {
        struct xs_params p;
        struct kafka_prop *kafka;
        size_t n_kafka, cap_kafka;
};

static const char *type_names[] = {"int", "duration", "money", "number", "bool", "string", "size"};

static const struct conf_def *find_def(const char *key)
{
        for (size_t i = 0; i < N_DEFS; i++)
                if (strcmp(conf_defs[i].key, key) == 0)
                        return &conf_defs[i];
        return NULL;
}

/* A unit suffix and what one of it is worth (ms, bytes). */
struct unit {
        const char *name;
        int64_t scale;
};

/* "<digits><unit>" with one of units (the empty unit too, if listed), without overflow. */
static int parse_scaled(const char *text, const struct unit *units, size_t n, int64_t *out)
{
        char *end;
        errno = 0;
        if (!text || !*text || !(isdigit((unsigned char)*text)))
                return -1;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(end, units[i].name) != 0)
                        continue;
                if (v > (unsigned long long)INT64_MAX / (unsigned long long)units[i].scale)
                        return -1;
                *out = (int64_t)v * units[i].scale;
                return 0;
        }
        return -1;
}

int xs_parse_duration(const char *text, int64_t *ms)
{
        static const struct unit units[] = {{"ms", 1},      {"s", 1000},     {"m", 60000},
                                            {"h", 3600000}, {"d", 86400000}, {"w", 604800000},
                                            {"", 1}};
        return parse_scaled(text, units, sizeof(units) / sizeof(units[0]), ms);
}

/* Binary units only: "1GB" would be ambiguous (10^9 or 2^30), so it is an error. */
static const struct unit byte_units[] = {{"TiB", 1LL << 40}, {"GiB", 1LL << 30}, {"MiB", 1LL << 20},
                                         {"KiB", 1LL << 10}, {"B", 1},           {"", 1}};

int xs_parse_bytes(const char *text, int64_t *bytes)
{
        return parse_scaled(text, byte_units, sizeof(byte_units) / sizeof(byte_units[0]), bytes);
}

void xs_format_bytes(int64_t bytes, char *buf, size_t size)
{
        for (size_t i = 0; byte_units[i].scale > 1; i++) {
                if (bytes && bytes % byte_units[i].scale == 0) {
                        snprintf(buf, size, "%" PRId64 "%s", bytes / byte_units[i].scale,
                                 byte_units[i].name);
                        return;
                }
        }
        snprintf(buf, size, "%" PRId64, bytes);
}

void xs_format_duration(int64_t ms, char *buf, size_t size)
{
        static const struct {
                const char *unit;
                int64_t ms;
        } units[] = {{"w", 604800000}, {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
        if (ms == 0) {
                snprintf(buf, size, "0");
                return;
        }
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (ms % units[i].ms == 0) {
                        snprintf(buf, size, "%" PRId64 "%s", ms / units[i].ms, units[i].unit);
                        return;
                }
        }
        snprintf(buf, size, "%" PRId64 "ms", ms);
}

static int parse_int(const char *text, int64_t *v)
{
        char *end;
        errno = 0;
        if (!text || !*text)
                return -1;
        long long x = strtoll(text, &end, 10);
        if (errno || *end)
                return -1;
        *v = x;
        return 0;
}

static void range_text(const struct conf_def *d, char *buf, size_t size)
{
        char a[32], b[32];
        switch (d->type) {
        case T_INT:
        case T_MONEY:
                snprintf(buf, size, "%" PRId64 "..%" PRId64, d->imin, d->imax);
                break;
        case T_DUR:
                xs_format_duration(d->imin, a, sizeof(a));
                xs_format_duration(d->imax, b, sizeof(b));
                snprintf(buf, size, "%s..%s", a, b);
                break;
        case T_BYTES:
                xs_format_bytes(d->imin, a, sizeof(a));
                xs_format_bytes(d->imax, b, sizeof(b));
                snprintf(buf, size, "%s..%s (B, KiB, MiB, GiB, TiB)", a, b);
                break;
        case T_DBL:
                snprintf(buf, size, "%g..%g", d->dmin, d->dmax);
                break;
        case T_BOOL:
                snprintf(buf, size, "true|false");
                break;
        case T_STR:
                snprintf(buf, size, "%s", *d->choices ? d->choices : "text");
                break;
        }
}

static int choice_ok(const char *choices, const char *value)
{
        if (!*choices)
                return 1;
        size_t n = strlen(value);
        for (const char *c = choices; *c;) {
                const char *bar = strchr(c, '|');
                size_t len = bar ? (size_t)(bar - c) : strlen(c);
                if (len == n && strncmp(c, value, n) == 0)
                        return 1;
                if (!bar)
                        break;
                c = bar + 1;
        }
        return 0;
}

/* Parses value for d into *out (the params field). Returns 0 or -1 with errstr. */
static int set_def(struct xs_params *p, const struct conf_def *d, const char *value, char *errstr,
                   size_t errstr_size)
{
        void *field = (char *)p + d->offset;
        int64_t iv = 0;
        double dv = 0;
        char range[96];
        range_text(d, range, sizeof(range));
        switch (d->type) {
        case T_INT:
        case T_MONEY:
                if (parse_int(value, &iv) != 0 || iv < d->imin || iv > d->imax)
                        goto bad;
                *(int64_t *)field = iv;
                return 0;
        case T_DUR:
                if (xs_parse_duration(value, &iv) != 0 || iv < d->imin || iv > d->imax)
                        goto bad;
                *(int64_t *)field = iv;
                return 0;
        case T_BYTES:
                if (xs_parse_bytes(value, &iv) != 0 || iv < d->imin || iv > d->imax)
                        goto bad;
                *(int64_t *)field = iv;
                return 0;
        case T_DBL: {
                char *end;
                errno = 0;
                dv = strtod(value, &end);
                if (!*value || *end || errno || !isfinite(dv) || dv < d->dmin || dv > d->dmax)
                        goto bad;
                *(double *)field = dv;
                return 0;
        }
        case T_BOOL:
                if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
                        *(int *)field = 1;
                else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
                        *(int *)field = 0;
                else
                        goto bad;
                return 0;
        case T_STR: {
                if (!choice_ok(d->choices, value))
                        goto bad;
                char *copy = strdup(value);
                if (!copy) {
                        snprintf(errstr, errstr_size, "%s: out of memory", d->key);
                        return -1;
                }
                free(*(char **)field);
                *(char **)field = copy;
                return 0;
        }
        }
bad:
        snprintf(errstr, errstr_size, "%s: invalid %s \"%s\" (expected %s)", d->key,
                 type_names[d->type], value, range);
        return -1;
}

struct xs_conf *xs_conf_new(void)
{
        struct xs_conf *conf = calloc(1, sizeof(*conf));
        char err[256];
        if (!conf)
                return NULL;
        for (size_t i = 0; i < N_DEFS; i++) {
                if (set_def(&conf->p, &conf_defs[i], conf_defs[i].def, err, sizeof(err)) != 0) {
                        /* a default outside its own range is a bug in the table */
                        fprintf(stderr, "xsell: bad default: %s\n", err);
                        abort();
                }
        }
        return conf;
}

void xs_conf_destroy(struct xs_conf *conf)
{
        if (!conf)
                return;
        for (size_t i = 0; i < N_DEFS; i++)
                if (conf_defs[i].type == T_STR)
                        free(*(char **)((char *)&conf->p + conf_defs[i].offset));
        for (size_t i = 0; i < conf->n_kafka; i++) {
                free(conf->kafka[i].key);
                free(conf->kafka[i].value);
        }
        free(conf->kafka);
        free(conf);
}

static int kafka_set(struct xs_conf *conf, const char *key, const char *value)
{
        for (size_t i = 0; i < conf->n_kafka; i++) {
                if (strcmp(conf->kafka[i].key, key) == 0) {
                        char *v = strdup(value);
                        if (!v)
                                return -1;
                        free(conf->kafka[i].value);
                        conf->kafka[i].value = v;
                        return 0;
                }
        }
        if (conf->n_kafka == conf->cap_kafka) {
                size_t cap = conf->cap_kafka ? conf->cap_kafka * 2 : 8;
                struct kafka_prop *k = realloc(conf->kafka, cap * sizeof(*k));
                if (!k)
                        return -1;
                conf->kafka = k;
                conf->cap_kafka = cap;
        }
        char *k = strdup(key), *v = strdup(value);
        if (!k || !v) {
                free(k);
                free(v);
                return -1;
        }
        conf->kafka[conf->n_kafka].key = k;
        conf->kafka[conf->n_kafka].value = v;
        conf->n_kafka++;
        return 0;
}

struct xs_conf *xs_conf_dup(const struct xs_conf *src)
{
        struct xs_conf *conf = xs_conf_new();
        char err[256], buf[512];
        if (!conf)
                return NULL;
        for (size_t i = 0; i < N_DEFS; i++) {
                xs_conf_get(src, conf_defs[i].key, buf, sizeof(buf));
                if (set_def(&conf->p, &conf_defs[i], buf, err, sizeof(err)) != 0)
                        goto fail;
        }
        for (size_t i = 0; i < src->n_kafka; i++)
                if (kafka_set(conf, src->kafka[i].key, src->kafka[i].value) != 0)
                        goto fail;
        return conf;
fail:
        xs_conf_destroy(conf);
        return NULL;
}

xs_err_t xs_conf_set(struct xs_conf *conf, const char *key, const char *value, char *errstr,
                     size_t errstr_size)
{
        if (strncmp(key, "kafka.", 6) == 0) {
                if (!key[6]) {
                        snprintf(errstr, errstr_size, "%s: empty librdkafka property name", key);
                        return XS_ERR_CONF;
                }
                if (kafka_set(conf, key + 6, value) != 0) {
                        snprintf(errstr, errstr_size, "%s: out of memory", key);
                        return XS_ERR_NOMEM;
                }
                return XS_OK;
        }
        const struct conf_def *d = find_def(key);
        if (!d) {
                snprintf(errstr, errstr_size,
                         "unknown configuration key \"%s\" (see `xsell config --list`)", key);
                return XS_ERR_CONF;
        }
        return set_def(&conf->p, d, value, errstr, errstr_size) == 0 ? XS_OK : XS_ERR_CONF;
}

static char *trim(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

/* A properties line is at most this long; a longer one is an error, so that a file without
 * newlines (-F /dev/zero) cannot grow memory without bound. */
#define XS_CONF_MAX_LINE 8192

/* Reads one line of f into buf (XS_CONF_MAX_LINE bytes, the newline dropped). Returns 1 for a
 * line, 0 at the end of the file, -1 for a line too long, -2 for a NUL byte (a value must not
 * end silently at one: "1d\0garbage" is not "1d"), -3 for a read error (errno set). */
static int read_line(FILE *f, char *buf)
{
        size_t n = 0;
        int ch;
        while ((ch = getc(f)) != EOF && ch != '\n') {
                if (ch == '\0')
                        return -2;
                if (n == XS_CONF_MAX_LINE - 1)
                        return -1;
                buf[n++] = (char)ch;
        }
        buf[n] = '\0';
        if (ch == EOF && ferror(f))
                return -3;
        return ch == EOF && n == 0 ? 0 : 1;
}

xs_err_t xs_conf_load_file(struct xs_conf *conf, const char *path, char *errstr, size_t errstr_size)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return XS_ERR_CONF;
        }
        struct stat sb;
        if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(EISDIR));
                fclose(f);
                return XS_ERR_CONF;
        }
        char *line = malloc(XS_CONF_MAX_LINE);
        if (!line) {
                fclose(f);
                snprintf(errstr, errstr_size, "%s: out of memory", path);
                return XS_ERR_NOMEM;
        }
        unsigned lineno = 0;
        xs_err_t err = XS_OK;
        int r;
        while ((r = read_line(f, line)) != 0) {
                lineno++;
                if (r < 0) {
                        if (r == -1)
                                snprintf(errstr, errstr_size, "%s:%u: line longer than %d bytes",
                                         path, lineno, XS_CONF_MAX_LINE - 1);
                        else if (r == -2)
                                snprintf(errstr, errstr_size, "%s:%u: NUL byte in line", path,
                                         lineno);
                        else
                                snprintf(errstr, errstr_size, "%s:%u: %s", path, lineno,
                                         strerror(errno));
                        err = XS_ERR_CONF;
                        break;
                }
                char *s = trim(line);
                if (!*s || *s == '#' || *s == '!')
                        continue;
                char *eq = strchr(s, '=');
                if (!eq) {
                        snprintf(errstr, errstr_size, "%s:%u: expected key=value, got \"%.64s\"",
                                 path, lineno, s);
                        err = XS_ERR_CONF;
                        break;
                }
                *eq = '\0';
                char *key = trim(s), *value = trim(eq + 1);
                char inner[384];
                err = xs_conf_set(conf, key, value, inner, sizeof(inner));
                if (err != XS_OK) {
                        snprintf(errstr, errstr_size, "%s:%u: %s", path, lineno, inner);
                        break;
                }
        }
        free(line);
        fclose(f);
        return err;
}

xs_err_t xs_conf_load_env(struct xs_conf *conf, char *const *envp, char *errstr, size_t errstr_size)
{
        static const char prefix[] = "XSELL_";
        for (; envp && *envp; envp++) {
                const char *e = *envp;
                if (strncmp(e, prefix, sizeof(prefix) - 1) != 0)
                        continue;
                const char *eq = strchr(e, '=');
                if (!eq)
                        continue;
                char name[256];
                size_t n = (size_t)(eq - e) - (sizeof(prefix) - 1);
                if (n == 0 || n >= sizeof(name))
                        continue;
                memcpy(name, e + sizeof(prefix) - 1, n);
                name[n] = '\0';
                /* XSELL_KAFKA_X_Y -> kafka.x.y; otherwise match the table case-insensitively
                 * with '.' written as '_' (keys may themselves contain '_'). */
                char key[256];
                const struct conf_def *d = NULL;
                for (size_t i = 0; i < N_DEFS && !d; i++) {
                        const char *k = conf_defs[i].key;
                        size_t j = 0;
                        for (; k[j] && name[j]; j++) {
                                char c = k[j] == '.' ? '_' : (char)toupper((unsigned char)k[j]);
                                if (c != name[j])
                                        break;
                        }
                        if (!k[j] && !name[j])
                                d = &conf_defs[i];
                }
                if (d) {
                        snprintf(key, sizeof(key), "%s", d->key);
                } else if (strncmp(name, "KAFKA_", 6) == 0) {
                        /* '_' is '.', "__" is '_' (librdkafka's log_level; the escape of
                         * Confluent's images): XSELL_KAFKA_LOG__LEVEL -> kafka.log_level */
                        snprintf(key, sizeof(key), "kafka.");
                        for (size_t j = 6, o = 6; name[j] && o + 1 < sizeof(key); j++, o++) {
                                int us = name[j] == '_' && name[j + 1] == '_';
                                key[o] = us               ? '_'
                                         : name[j] == '_' ? '.'
                                                          : (char)tolower((unsigned char)name[j]);
                                key[o + 1] = '\0';
                                j += (size_t)us;
                        }
                } else {
                        snprintf(errstr, errstr_size,
                                 "environment: unknown variable %.*s (no such key)", (int)(eq - e),
                                 e);
                        return XS_ERR_CONF;
                }
                char inner[384];
                if (xs_conf_set(conf, key, eq + 1, inner, sizeof(inner)) != XS_OK) {
                        snprintf(errstr, errstr_size, "environment %.*s: %s", (int)(eq - e), e,
                                 inner);
                        return XS_ERR_CONF;
                }
        }
        return XS_OK;
}

/* headers.passthrough: at most XS_HEADERS_PASSTHROUGH_MAX names of 1..255 characters, none
 * with a space inside (a name is matched exactly, so "trace parent" is surely a typo). */
static int check_name_list(const char *text, char *errstr, size_t errstr_size)
{
        int n = 0;
        for (const char *c = text; *c;) {
                c += strspn(c, " \t,");
                if (!*c)
                        break;
                size_t len = strcspn(c, ",");
                while (len && (c[len - 1] == ' ' || c[len - 1] == '\t'))
                        len--;
                if (len > 255 || memchr(c, ' ', len) || memchr(c, '\t', len)) {
                        snprintf(errstr, errstr_size,
                                 "headers.passthrough: \"%.*s\" is not a header name (1 to 255 "
                                 "characters, no spaces)",
                                 (int)(len > 60 ? 60 : len), c);
                        return -1;
                }
                if (++n > XS_HEADERS_PASSTHROUGH_MAX) {
                        snprintf(errstr, errstr_size, "headers.passthrough: more than %d names",
                                 XS_HEADERS_PASSTHROUGH_MAX);
                        return -1;
                }
                c += strcspn(c, ",");
        }
        return 0;
}

xs_err_t xs_conf_check(const struct xs_conf *conf, char *errstr, size_t errstr_size)
{
        const struct xs_params *p = &conf->p;
        if (p->window_pane > p->window_size || p->window_size % p->window_pane != 0) {
                snprintf(errstr, errstr_size,
                         "window.pane (%" PRId64 " ms) must divide window.size (%" PRId64 " ms)",
                         p->window_pane, p->window_size);
                return XS_ERR_CONF;
        }
        if (p->window_size / p->window_pane > 100000) {
                snprintf(errstr, errstr_size, "window.size / window.pane is above 100000 panes");
                return XS_ERR_CONF;
        }
        if (p->upsell_min_ratio > p->upsell_max_ratio) {
                snprintf(errstr, errstr_size, "upsell.min_ratio is above upsell.max_ratio");
                return XS_ERR_CONF;
        }
        if (p->downsell_min_ratio > p->downsell_max_ratio) {
                snprintf(errstr, errstr_size, "downsell.min_ratio is above downsell.max_ratio");
                return XS_ERR_CONF;
        }
        if (p->caps_per_type_per_day > p->caps_per_day) {
                snprintf(errstr, errstr_size, "caps.per_type_per_day is above caps.per_day");
                return XS_ERR_CONF;
        }
        if (check_name_list(p->headers_passthrough, errstr, errstr_size) != 0)
                return XS_ERR_CONF;
        return XS_OK;
}

static void value_text(const struct xs_params *p, const struct conf_def *d, char *buf, size_t size)
{
        const void *field = (const char *)p + d->offset;
        switch (d->type) {
        case T_INT:
        case T_MONEY:
                snprintf(buf, size, "%" PRId64, *(const int64_t *)field);
                break;
        case T_DUR:
                xs_format_duration(*(const int64_t *)field, buf, size);
                break;
        case T_BYTES:
                xs_format_bytes(*(const int64_t *)field, buf, size);
                break;
        case T_DBL:
                snprintf(buf, size, "%.17g", *(const double *)field);
                /* shortest text that reads back to the same double */
                for (int prec = 1; prec <= 17; prec++) {
                        char tmp[64];
                        snprintf(tmp, sizeof(tmp), "%.*g", prec, *(const double *)field);
                        if (strtod(tmp, NULL) == *(const double *)field) {
                                snprintf(buf, size, "%s", tmp);
                                break;
                        }
                }
                break;
        case T_BOOL:
                snprintf(buf, size, "%s", *(const int *)field ? "true" : "false");
                break;
        case T_STR:
                snprintf(buf, size, "%s", *(char *const *)field);
                break;
        }
}

xs_err_t xs_conf_get(const struct xs_conf *conf, const char *key, char *buf, size_t size)
{
        const struct conf_def *d = find_def(key);
        if (!d) {
                if (strncmp(key, "kafka.", 6) == 0)
                        for (size_t i = 0; i < conf->n_kafka; i++)
                                if (strcmp(conf->kafka[i].key, key + 6) == 0) {
                                        snprintf(buf, size, "%s", conf->kafka[i].value);
                                        return XS_OK;
                                }
                return XS_ERR_NOT_FOUND;
        }
        value_text(&conf->p, d, buf, size);
        return XS_OK;
}

void xs_conf_foreach(const struct xs_conf *conf, xs_conf_visit_cb *cb, void *opaque)
{
        for (size_t i = 0; i < N_DEFS; i++) {
                char value[512], range[96];
                value_text(&conf->p, &conf_defs[i], value, sizeof(value));
                range_text(&conf_defs[i], range, sizeof(range));
                cb(opaque, conf_defs[i].key, type_names[conf_defs[i].type], value, conf_defs[i].def,
                   range, conf_defs[i].desc);
        }
}

void xs_conf_kafka_foreach(const struct xs_conf *conf,
                           void (*cb)(void *opaque, const char *key, const char *value),
                           void *opaque)
{
        for (size_t i = 0; i < conf->n_kafka; i++)
                cb(opaque, conf->kafka[i].key, conf->kafka[i].value);
}

const struct xs_params *xs_conf_params(const struct xs_conf *conf)
{
        return &conf->p;
}

/* Secrets are recognized by name, so that a librdkafka property added later (or a key of ours)
 * is masked as long as its name says what it is: every password (sasl.password,
 * ssl.key.password, ssl.keystore.password, ...), every secret (sasl.oauthbearer.client.secret),
 * the registry's user:password (basic_auth, basic.auth.*), every ssl.key.* (the private key and its
 * password) and sasl.oauthbearer.config (which may carry a client secret). */
int xs_conf_is_secret(const char *key)
{
        static const char *const words[] = {"password",   "secret",     "basic_auth",
                                            "basic.auth", "credential", "sasl.oauthbearer.config",
                                            "ssl.key."};
        char low[256];
        size_t n = 0;
        if (!strncmp(key, "kafka.", 6))
                key += 6;
        for (; key[n] && n < sizeof(low) - 1; n++)
                low[n] = (char)tolower((unsigned char)key[n]);
        low[n] = '\0';
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strstr(low, words[i]))
                        return 1;
        return 0;
}

const char *xs_conf_shown(const char *key, const char *value, char *buf, size_t size)
{
        if (xs_conf_is_secret(key)) {
                if (!*value)
                        return value; /* unset: nothing to hide, and "unset" is worth seeing */
                snprintf(buf, size, "%s", XS_CONF_MASK);
                return buf;
        }
        /* scheme://user:password@host...: the user information goes */
        const char *scheme = strstr(value, "://");
        if (scheme) {
                const char *host = scheme + 3, *at = NULL;
                size_t auth = strcspn(host, "/?#");
                /* the last '@' of the authority: a password may hold a raw '@' */
                for (const char *c = host; c < host + auth; c++)
                        if (*c == '@')
                                at = c;
                if (at) {
                        snprintf(buf, size, "%.*s%s%s", (int)(host - value), value, XS_CONF_MASK,
                                 at);
                        return buf;
                }
        }
        return value;
}
