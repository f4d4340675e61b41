/*
 * Confluent Schema Registry client over libcurl's easy interface (one handle per registry, so
 * the connection is kept alive between requests) and jansson.
 *
 * Bounds: an answer body is at most XS_REGISTRY_MAX_ANSWER bytes (curl rejects a larger
 * Content-Length before reading, and the write callback stops a chunked answer at the cap); a
 * request takes at most timeout_ms, a call at most (retries + 1) requests with waits of
 * retry_backoff_ms doubling up to XS_REG_MAX_WAIT_MS each. The caches grow with the number of
 * distinct ids a stream names that the registry knows (times the record kinds asked for);
 * unknown ids are not cached, so a poison record costs one call each time.
 *
 * A static registry is the same cache filled by xs_registry_static_add() and never by HTTP.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "util/err.h"
#include "util/xs_uthash.h"
#include "xsell/registry.h"

#define XS_REG_MAX_WAIT_MS    10000       /* one backoff wait */
#define XS_REG_MAX_TIMEOUT_MS 3600000     /* timeout_ms range check */
#define XS_REG_MAX_BACKOFF_MS 60000       /* retry_backoff_ms range check */
#define XS_REG_MAX_RETRIES    100         /* retries range check */
#define XS_REG_BUF_INITIAL    (16 * 1024) /* answer buffer, grows by doubling to the cap */
#define XS_REG_BODY_EXCERPT   160         /* bytes of a non-JSON error body quoted in errstr */

/* A schema text by id: filled from the registry, or configured (static registry). */
struct xs_reg_schema {
        uint32_t id;
        char *text;
        UT_hash_handle hh;
};

/* A parsed writer schema per (kind, id), or the reason that schema cannot be read as kind. */
struct xs_reg_wschema {
        uint64_t key; /* kind << 32 | id */
        struct xs_wschema *ws;
        char *err; /* set when ws is NULL */
        UT_hash_handle hh;
};

struct xs_registry {
        int is_static;
        char *url;       /* base URL without a trailing slash */
        char *shown_url; /* url without user:password@, for messages */
        char *basic_auth;
        int64_t timeout_ms;
        int retries;
        int64_t backoff_ms;
        CURL *curl;
        struct curl_slist *headers;
        char curl_err[CURL_ERROR_SIZE];
        char *buf; /* the answer body of the last request */
        size_t len, cap;
        int too_big; /* the last answer went over XS_REGISTRY_MAX_ANSWER */
        struct xs_reg_schema *schemas;
        struct xs_reg_wschema *wschemas;
        struct xs_registry_stats st;
};

static pthread_once_t reg_curl_once = PTHREAD_ONCE_INIT;
static CURLcode reg_curl_init_rc = CURLE_FAILED_INIT;

static void reg_curl_init(void)
{
        reg_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *reg_strdup(const char *s)
{
        size_t n = strlen(s) + 1;
        char *d = malloc(n);
        if (d)
                memcpy(d, s, n);
        return d;
}

static struct xs_registry *reg_alloc(char *errstr, size_t errstr_size)
{
        struct xs_registry *r = calloc(1, sizeof(*r));
        if (!r)
                xs_set_err(errstr, errstr_size, "out of memory");
        return r;
}

/* url with any "user:password@" removed, so messages never show credentials. */
static char *reg_shown_url(const char *url)
{
        const char *auth = strstr(url, "://");
        auth = auth ? auth + 3 : url;
        size_t host_len = strcspn(auth, "/?#");
        const char *at = NULL;
        for (const char *p = auth; p < auth + host_len; p++)
                if (*p == '@')
                        at = p;
        if (!at)
                return reg_strdup(url);
        size_t prefix = (size_t)(auth - url);
        size_t rest = strlen(at + 1);
        char *s = malloc(prefix + rest + 1);
        if (!s)
                return NULL;
        memcpy(s, url, prefix);
        memcpy(s + prefix, at + 1, rest + 1);
        return s;
}

struct xs_registry *xs_registry_new(const struct xs_registry_conf *conf, char *errstr,
                                    size_t errstr_size)
{
        struct xs_registry *r = NULL;

        if (!conf || !conf->url || !*conf->url) {
                xs_set_err(errstr, errstr_size, "registry: no URL");
                return NULL;
        }
        if (strncasecmp(conf->url, "http://", 7) != 0 &&
            strncasecmp(conf->url, "https://", 8) != 0) {
                xs_set_err(errstr, errstr_size, "registry: URL %s is not http:// or https://",
                           conf->url);
                return NULL;
        }
        if (conf->timeout_ms <= 0 || conf->timeout_ms > XS_REG_MAX_TIMEOUT_MS) {
                xs_set_err(errstr, errstr_size,
                           "registry: timeout %" PRId64 " ms is out of range 1..%d",
                           conf->timeout_ms, XS_REG_MAX_TIMEOUT_MS);
                return NULL;
        }
        if (conf->retries < 0 || conf->retries > XS_REG_MAX_RETRIES) {
                xs_set_err(errstr, errstr_size, "registry: retries %d is out of range 0..%d",
                           conf->retries, XS_REG_MAX_RETRIES);
                return NULL;
        }
        if (conf->retry_backoff_ms < 0 || conf->retry_backoff_ms > XS_REG_MAX_BACKOFF_MS) {
                xs_set_err(errstr, errstr_size,
                           "registry: retry backoff %" PRId64 " ms is out of range 0..%d",
                           conf->retry_backoff_ms, XS_REG_MAX_BACKOFF_MS);
                return NULL;
        }
        if (conf->basic_auth && !strchr(conf->basic_auth, ':')) {
                xs_set_err(errstr, errstr_size, "registry: basic auth is not user:password");
                return NULL;
        }

        pthread_once(&reg_curl_once, reg_curl_init);
        if (reg_curl_init_rc != CURLE_OK) {
                xs_set_err(errstr, errstr_size, "registry: curl_global_init: %s",
                           curl_easy_strerror(reg_curl_init_rc));
                return NULL;
        }

        if (!(r = reg_alloc(errstr, errstr_size)))
                return NULL;
        r->timeout_ms = conf->timeout_ms;
        r->retries = conf->retries;
        r->backoff_ms = conf->retry_backoff_ms;
        if (!(r->url = reg_strdup(conf->url)) || !(r->shown_url = reg_shown_url(conf->url)))
                goto nomem;
        for (size_t n = strlen(r->url); n > 0 && r->url[n - 1] == '/'; n--)
                r->url[n - 1] = '\0';
        for (size_t n = strlen(r->shown_url); n > 0 && r->shown_url[n - 1] == '/'; n--)
                r->shown_url[n - 1] = '\0';
        if (conf->basic_auth && !(r->basic_auth = reg_strdup(conf->basic_auth)))
                goto nomem;

        static const char *const headers[] = {
            "Content-Type: application/vnd.schemaregistry.v1+json",
            ("Accept: application/vnd.schemaregistry.v1+json, "
             "application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5"),
            "Expect:", /* no 100-continue round trip before a POST body */
        };
        for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
                struct curl_slist *h = curl_slist_append(r->headers, headers[i]);
                if (!h)
                        goto nomem;
                r->headers = h;
        }

        if (!(r->curl = curl_easy_init())) {
                xs_set_err(errstr, errstr_size, "registry: curl_easy_init failed");
                goto fail;
        }
        CURL *c = r->curl;
        if (curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)r->timeout_ms) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)XS_REGISTRY_MAX_ANSWER) !=
                CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_err) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_USERAGENT,
                             "xsell/"
                             "0.1") != CURLE_OK) {
                xs_set_err(errstr, errstr_size, "registry: libcurl lacks a needed option");
                goto fail;
        }
        if (r->basic_auth &&
            (curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK ||
             curl_easy_setopt(c, CURLOPT_USERPWD, r->basic_auth) != CURLE_OK)) {
                xs_set_err(errstr, errstr_size, "registry: libcurl cannot do basic auth");
                goto fail;
        }
        return r;

nomem:
        xs_set_err(errstr, errstr_size, "out of memory");
fail:
        xs_registry_destroy(r);
        return NULL;
}

struct xs_registry *xs_registry_new_static(char *errstr, size_t errstr_size)
{
        struct xs_registry *r = reg_alloc(errstr, errstr_size);
        if (r)
                r->is_static = 1;
        return r;
}

void xs_registry_destroy(struct xs_registry *r)
{
        if (!r)
                return;
        struct xs_reg_schema *s, *stmp;
        HASH_ITER(hh, r->schemas, s, stmp)
        {
                HASH_DEL(r->schemas, s);
                free(s->text);
                free(s);
        }
        struct xs_reg_wschema *w, *wtmp;
        HASH_ITER(hh, r->wschemas, w, wtmp)
        {
                HASH_DEL(r->wschemas, w);
                xs_wschema_destroy(w->ws);
                free(w->err);
                free(w);
        }
        if (r->curl)
                curl_easy_cleanup(r->curl);
        curl_slist_free_all(r->headers);
        free(r->buf);
        free(r->basic_auth);
        free(r->shown_url);
        free(r->url);
        free(r);
}

void xs_registry_stats(const struct xs_registry *r, struct xs_registry_stats *st)
{
        *st = r->st;
}

static struct xs_reg_schema *reg_find(struct xs_registry *r, uint32_t id)
{
        struct xs_reg_schema *s;
        HASH_FIND(hh, r->schemas, &id, sizeof(id), s);
        return s;
}

/* Adds id -> text (copied) to the cache; NULL when out of memory. */
static struct xs_reg_schema *reg_add(struct xs_registry *r, uint32_t id, const char *text)
{
        struct xs_reg_schema *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        if (!(s->text = reg_strdup(text))) {
                free(s);
                return NULL;
        }
        s->id = id;
        HASH_ADD(hh, r->schemas, id, sizeof(s->id), s);
        return s;
}

xs_err_t xs_registry_static_add(struct xs_registry *r, uint32_t id, const char *schema_json)
{
        if (!r || !r->is_static || !schema_json)
                return XS_ERR_CONF;
        json_error_t jerr;
        json_t *root = json_loads(schema_json, JSON_DECODE_ANY, &jerr);
        if (!root)
                return XS_ERR_CONF;
        json_decref(root);
        struct xs_reg_schema *s = reg_find(r, id);
        if (s)
                return strcmp(s->text, schema_json) == 0 ? XS_OK : XS_ERR_CONF;
        return reg_add(r, id, schema_json) ? XS_OK : XS_ERR_NOMEM;
}

/* The write callback: appends to r->buf up to XS_REGISTRY_MAX_ANSWER bytes; returning less
 * than given makes curl abort the transfer with CURLE_WRITE_ERROR. */
static size_t reg_write(char *ptr, size_t size, size_t nmemb, void *opaque)
{
        struct xs_registry *r = opaque;
        size_t n = size * nmemb;
        if (n > XS_REGISTRY_MAX_ANSWER - r->len) {
                r->too_big = 1;
                return 0;
        }
        if (r->len + n > r->cap) {
                size_t cap = r->cap ? r->cap : XS_REG_BUF_INITIAL;
                while (cap < r->len + n)
                        cap *= 2;
                if (cap > XS_REGISTRY_MAX_ANSWER)
                        cap = XS_REGISTRY_MAX_ANSWER;
                char *buf = realloc(r->buf, cap);
                if (!buf)
                        return 0;
                r->buf = buf;
                r->cap = cap;
        }
        memcpy(r->buf + r->len, ptr, n);
        r->len += n;
        return n;
}

static void reg_sleep_ms(int64_t ms)
{
        struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                              .tv_nsec = (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

/* Transport failures that retrying cannot fix. */
static int reg_curl_is_conf(CURLcode rc)
{
        switch (rc) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_LOGIN_DENIED:
        case CURLE_TOO_MANY_REDIRECTS:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
                return 1;
        default:
                return 0;
        }
}

/* Describes a non-2xx answer: the registry's error_code and message when the body is its JSON
 * error, otherwise an excerpt of the body. Sets *error_code (0 if none). */
static void reg_describe(struct xs_registry *r, char *out, size_t out_size, long *error_code)
{
        *error_code = 0;
        out[0] = '\0';
        if (!r->len)
                return;
        json_error_t jerr;
        json_t *root = json_loadb(r->buf, r->len, 0, &jerr);
        json_t *code = root ? json_object_get(root, "error_code") : NULL;
        json_t *msg = root ? json_object_get(root, "message") : NULL;
        if (json_is_integer(code) || json_is_string(msg)) {
                if (json_is_integer(code))
                        *error_code = (long)json_integer_value(code);
                snprintf(out, out_size, ", error_code %ld: %s", *error_code,
                         json_is_string(msg) ? json_string_value(msg) : "(no message)");
                json_decref(root);
                return;
        }
        json_decref(root);
        size_t n = r->len < XS_REG_BODY_EXCERPT ? r->len : XS_REG_BODY_EXCERPT;
        char excerpt[XS_REG_BODY_EXCERPT + 1];
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)r->buf[i];
                excerpt[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
        }
        excerpt[n] = '\0';
        snprintf(out, out_size, ": %s%s", excerpt, r->len > n ? "..." : "");
}

/* One request. On a 2xx answer that is a JSON object, sets *answer (the caller decrefs) and
 * returns XS_OK; otherwise classifies the failure, sets *retryable and errstr. */
static xs_err_t reg_perform(struct xs_registry *r, const char *url, const char *shown,
                            const char *body, json_t **answer, int *retryable, char *errstr,
                            size_t errstr_size)
{
        CURL *c = r->curl;
        *retryable = 0;
        r->len = 0;
        r->too_big = 0;
        r->curl_err[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reg_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        if (body) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        } else {
                curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        }

        CURLcode rc = curl_easy_perform(c);
        if (rc != CURLE_OK) {
                if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
                        xs_set_err(errstr, errstr_size, "registry %s: answer larger than %zu bytes",
                                   shown, XS_REGISTRY_MAX_ANSWER);
                        return XS_ERR_DECODE;
                }
                xs_set_err(errstr, errstr_size, "registry %s: %s", shown,
                           r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc));
                if (rc == CURLE_OUT_OF_MEMORY)
                        return XS_ERR_NOMEM;
                if (reg_curl_is_conf(rc))
                        return XS_ERR_CONF;
                *retryable = 1;
                return XS_ERR_RETRY;
        }

        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
                json_error_t jerr;
                json_t *root = json_loadb(r->buf ? r->buf : "", r->len, 0, &jerr);
                if (!json_is_object(root)) {
                        xs_set_err(errstr, errstr_size,
                                   "registry %s: HTTP %ld with a malformed answer: %s", shown,
                                   status, root ? "not a JSON object" : jerr.text);
                        json_decref(root);
                        return XS_ERR_DECODE;
                }
                *answer = root;
                return XS_OK;
        }

        char detail[512];
        long error_code;
        reg_describe(r, detail, sizeof(detail), &error_code);
        const char *why = "";
        xs_err_t err = XS_ERR_CONF;
        if (status == 401) {
                why = " unauthorized (check the registry basic auth)";
        } else if (status == 403) {
                why = " forbidden (check the registry credentials' permissions)";
        } else if (status == 404 && error_code == 404) {
                /* The registry's answer for a path it has no endpoint for. */
                why = " no such endpoint (check the registry URL)";
        } else if (status == 404) {
                err = XS_ERR_NOT_FOUND;
        } else if (status == 408 || status == 429 || status >= 500) {
                err = XS_ERR_RETRY;
                *retryable = 1;
        } else if (status >= 300 && status < 400) {
                why = " redirect (set the registry URL to where it points)";
        }
        xs_set_err(errstr, errstr_size, "registry %s: HTTP %ld%s%s", shown, status, why, detail);
        return err;
}

/* A request with retries: GET path (body NULL) or POST body to path. path starts with '/'. */
static xs_err_t reg_call(struct xs_registry *r, const char *path, const char *body, json_t **answer,
                         char *errstr, size_t errstr_size)
{
        size_t plen = strlen(path);
        size_t ulen = strlen(r->url), slen = strlen(r->shown_url);
        char *url = malloc(ulen + plen + 1);
        char *shown = malloc(slen + plen + 1);
        xs_err_t err = XS_ERR_NOMEM;
        if (!url || !shown) {
                xs_set_err(errstr, errstr_size, "out of memory");
                goto done;
        }
        memcpy(url, r->url, ulen);
        memcpy(url + ulen, path, plen + 1);
        memcpy(shown, r->shown_url, slen);
        memcpy(shown + slen, path, plen + 1);

        int64_t wait = r->backoff_ms;
        for (int attempt = 0;; attempt++) {
                if (attempt > 0) {
                        r->st.retries++;
                        reg_sleep_ms(wait);
                        wait = wait * 2 > XS_REG_MAX_WAIT_MS ? XS_REG_MAX_WAIT_MS : wait * 2;
                }
                int retryable;
                r->st.requests++;
                err = reg_perform(r, url, shown, body, answer, &retryable, errstr, errstr_size);
                if (err == XS_OK || !retryable)
                        break;
                if (attempt >= r->retries) {
                        if (attempt > 0 && errstr && errstr_size) {
                                size_t n = strlen(errstr);
                                xs_set_err(errstr + n, errstr_size - n, " (after %d attempts)",
                                           attempt + 1);
                        }
                        break;
                }
        }
done:
        free(url);
        free(shown);
        return err;
}

/* Reads a schema id out of an answer's "id" member. */
static int reg_answer_id(json_t *answer, uint32_t *id)
{
        json_t *v = json_object_get(answer, "id");
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > (json_int_t)UINT32_MAX)
                return -1;
        *id = (uint32_t)json_integer_value(v);
        return 0;
}

xs_err_t xs_registry_schema_text(struct xs_registry *r, uint32_t id, const char **json,
                                 char *errstr, size_t errstr_size)
{
        json_t *answer = NULL;
        xs_err_t err;

        struct xs_reg_schema *s = reg_find(r, id);
        if (s) {
                r->st.cache_hits++;
                *json = s->text;
                return XS_OK;
        }
        if (r->is_static) {
                xs_set_err(errstr, errstr_size,
                           "registry: schema id %" PRIu32 " is not configured (static registry)",
                           id);
                return XS_ERR_NOT_FOUND;
        }

        char path[48];
        snprintf(path, sizeof(path), "/schemas/ids/%" PRIu32, id);
        if ((err = reg_call(r, path, NULL, &answer, errstr, errstr_size)) != XS_OK)
                goto fail;
        json_t *schema = json_object_get(answer, "schema");
        if (!json_is_string(schema) ||
            strlen(json_string_value(schema)) != json_string_length(schema)) {
                xs_set_err(errstr, errstr_size,
                           "registry %s%s: malformed answer: no \"schema\" string", r->shown_url,
                           path);
                err = XS_ERR_DECODE;
                goto fail;
        }
        json_t *type = json_object_get(answer, "schemaType");
        if (type && !(json_is_string(type) && strcmp(json_string_value(type), "AVRO") == 0)) {
                xs_set_err(errstr, errstr_size, "registry %s%s: schema %" PRIu32 " is %s, not AVRO",
                           r->shown_url, path, id,
                           json_is_string(type) ? json_string_value(type) : "of no known type");
                err = XS_ERR_INVALID;
                goto fail;
        }
        if (!(s = reg_add(r, id, json_string_value(schema)))) {
                xs_set_err(errstr, errstr_size, "out of memory");
                err = XS_ERR_NOMEM;
                goto fail;
        }
        json_decref(answer);
        *json = s->text;
        return XS_OK;

fail:
        r->st.failures++;
        json_decref(answer);
        return err;
}

xs_err_t xs_registry_wschema(struct xs_registry *r, enum xs_record_kind kind, uint32_t id,
                             const struct xs_wschema **ws, char *errstr, size_t errstr_size)
{
        if ((int)kind < 0 || kind >= XS_KIND_COUNT) {
                xs_set_err(errstr, errstr_size, "registry: no record kind %d", (int)kind);
                return XS_ERR_CONF;
        }
        uint64_t key = (uint64_t)kind << 32 | id;
        struct xs_reg_wschema *w;
        HASH_FIND(hh, r->wschemas, &key, sizeof(key), w);
        if (w) {
                r->st.cache_hits++;
                if (!w->ws) {
                        xs_set_err(errstr, errstr_size, "%s", w->err);
                        return XS_ERR_INVALID;
                }
                *ws = w->ws;
                return XS_OK;
        }

        const char *text;
        xs_err_t err = xs_registry_schema_text(r, id, &text, errstr, errstr_size);
        if (err != XS_OK)
                return err;
        char why[512];
        struct xs_wschema *parsed = xs_wschema_new(kind, text, why, sizeof(why));
        if (!(w = calloc(1, sizeof(*w))))
                goto nomem;
        w->key = key;
        w->ws = parsed;
        if (!parsed) {
                char msg[640];
                snprintf(msg, sizeof(msg), "registry: schema id %" PRIu32 " as %s: %s", id,
                         xs_record_kind_name(kind), why);
                if (!(w->err = reg_strdup(msg)))
                        goto nomem;
        }
        HASH_ADD(hh, r->wschemas, key, sizeof(w->key), w);
        if (!parsed) {
                xs_set_err(errstr, errstr_size, "%s", w->err);
                return XS_ERR_INVALID;
        }
        *ws = parsed;
        return XS_OK;

nomem:
        free(w);
        xs_wschema_destroy(parsed);
        xs_set_err(errstr, errstr_size, "out of memory");
        return XS_ERR_NOMEM;
}

xs_err_t xs_registry_ping(struct xs_registry *r, char *errstr, size_t errstr_size)
{
        if (r->is_static)
                return XS_OK;
        /* a schema this client fetched before must come back: the registry serves schemas;
         * with none yet, any answer that is not a failure to retry (even a 404) shows that it
         * is up */
        char path[48] = "/config";
        int need_schema = r->schemas != NULL;
        if (need_schema)
                snprintf(path, sizeof(path), "/schemas/ids/%" PRIu32, r->schemas->id);
        json_t *answer = NULL;
        int saved = r->retries;
        r->retries = 0; /* one request */
        xs_err_t err = reg_call(r, path, NULL, &answer, errstr, errstr_size);
        r->retries = saved;
        json_decref(answer);
        if (err == XS_OK || (!need_schema && err != XS_ERR_RETRY && err != XS_ERR_NOMEM))
                return XS_OK;
        return XS_ERR_RETRY;
}

/* POST {"schema": schema_json} to /subjects/{subject}{suffix}; sets *id from the answer. */
static xs_err_t reg_subject_call(struct xs_registry *r, const char *what, const char *subject,
                                 const char *suffix, const char *schema_json, uint32_t *id,
                                 char *errstr, size_t errstr_size)
{
        json_t *req = NULL, *answer = NULL;
        char *body = NULL, *escaped = NULL, *path = NULL;
        xs_err_t err = XS_ERR_CONF;

        if (!subject || !*subject || !schema_json || !id) {
                xs_set_err(errstr, errstr_size, "registry: %s needs a subject and a schema", what);
                return XS_ERR_CONF;
        }
        if (r->is_static) {
                struct xs_reg_schema *s, *tmp;
                HASH_ITER(hh, r->schemas, s, tmp)
                {
                        if (strcmp(s->text, schema_json) == 0) {
                                *id = s->id;
                                return XS_OK;
                        }
                }
                xs_set_err(errstr, errstr_size,
                           "registry: %s %s: the schema is not configured (static registry)", what,
                           subject);
                return XS_ERR_NOT_FOUND;
        }

        if (!(req = json_pack("{s:s}", "schema", schema_json))) {
                xs_set_err(errstr, errstr_size, "registry: %s %s: the schema is not UTF-8 text",
                           what, subject);
                goto fail;
        }
        if (!(body = json_dumps(req, JSON_COMPACT)) ||
            !(escaped = curl_easy_escape(r->curl, subject, 0))) {
                xs_set_err(errstr, errstr_size, "out of memory");
                err = XS_ERR_NOMEM;
                goto fail;
        }
        size_t plen = strlen("/subjects/") + strlen(escaped) + strlen(suffix) + 1;
        if (!(path = malloc(plen))) {
                xs_set_err(errstr, errstr_size, "out of memory");
                err = XS_ERR_NOMEM;
                goto fail;
        }
        snprintf(path, plen, "/subjects/%s%s", escaped, suffix);
        if ((err = reg_call(r, path, body, &answer, errstr, errstr_size)) != XS_OK)
                goto fail;
        if (reg_answer_id(answer, id) != 0) {
                xs_set_err(errstr, errstr_size, "registry %s%s: malformed answer: no \"id\" number",
                           r->shown_url, path);
                err = XS_ERR_DECODE;
                goto fail;
        }
        err = XS_OK;
        goto done;

fail:
        if (path)
                r->st.failures++;
done:
        json_decref(answer);
        json_decref(req);
        free(body);
        free(path);
        curl_free(escaped);
        return err;
}

xs_err_t xs_registry_register(struct xs_registry *r, const char *subject, const char *schema_json,
                              uint32_t *id, char *errstr, size_t errstr_size)
{
        return reg_subject_call(r, "register", subject, "/versions", schema_json, id, errstr,
                                errstr_size);
}

xs_err_t xs_registry_lookup(struct xs_registry *r, const char *subject, const char *schema_json,
                            uint32_t *id, char *errstr, size_t errstr_size)
{
        return reg_subject_call(r, "lookup", subject, "", schema_json, id, errstr, errstr_size);
}
