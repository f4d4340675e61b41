/*
 * Schema Registry client tests against an in-process libmicrohttpd server on 127.0.0.1 (port
 * chosen by the OS) that speaks the Confluent REST contract: GET /schemas/ids/{id},
 * POST /subjects/{s}/versions, POST /subjects/{s}. The server counts the requests it sees, so
 * caching is checked by what reaches the wire, and it can be told to fail, stall, answer
 * garbage or too much, or demand basic auth, so every failure class of registry.h is taken.
 *
 * The server keeps the raw (still percent-encoded) request path and decodes subjects itself, so
 * the tests see exactly what the client put on the wire.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "xsell/codec.h"
#include "xsell/registry.h"

#define SRV_MAX_SCHEMAS 16
#define SRV_HUGE_SIZE   ((size_t)5 << 20) /* over XS_REGISTRY_MAX_ANSWER */

enum srv_mode {
        SRV_NORMAL,
        SRV_MALFORMED,        /* 200 with a body that is not JSON */
        SRV_NO_FIELD,         /* 200 with a JSON object lacking "schema" / "id" */
        SRV_PROTOBUF,         /* GET by id answers a schemaType PROTOBUF */
        SRV_HUGE,             /* 200 with SRV_HUGE_SIZE bytes, Content-Length set */
        SRV_HUGE_CHUNKED,     /* 200 with SRV_HUGE_SIZE bytes, chunked */
        SRV_UNKNOWN_ENDPOINT, /* every path is the registry's 404 for unknown endpoints */
        SRV_INCOMPATIBLE,     /* registration answers 409 */
        SRV_PROXY_502         /* a proxy's HTML 502 page */
};

struct srv_schema {
        char subject[256]; /* "" for schemas only known by id */
        char *text;
        uint32_t id;
};

struct srv {
        struct MHD_Daemon *d;
        uint16_t port;
        char url[64];
        pthread_mutex_t mu;
        /* Settings, written by the test before requests. */
        enum srv_mode mode;
        int fail_first;        /* answer 500 to this many requests first */
        int slow_ms;           /* stall every answer this long */
        const char *auth;      /* expected "Basic ..." header value; NULL: no auth */
        volatile int stopping; /* under mu */
        /* What the server saw, under mu. */
        int requests;
        char last_method[8];
        char last_path[512];    /* raw, percent-encoded */
        char last_subject[256]; /* decoded */
        /* Registry contents, under mu. */
        struct srv_schema schemas[SRV_MAX_SCHEMAS];
        int n_schemas;
        uint32_t next_id;
};

struct srv_req {
        char *body;
        size_t len;
};

/* Keeps the request path as sent: the tests check the client's percent-encoding. */
static size_t srv_unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
        return strlen(s);
}

static void srv_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
        struct srv_req *q = *con_cls;
        if (q) {
                free(q->body);
                free(q);
        }
        *con_cls = NULL;
}

static enum MHD_Result srv_reply(struct MHD_Connection *c, unsigned status, const char *body)
{
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, "Content-Type", "application/vnd.schemaregistry.v1+json");
        enum MHD_Result ret = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result srv_reply_json(struct MHD_Connection *c, unsigned status, json_t *obj)
{
        char *body = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        if (!body)
                return MHD_NO;
        enum MHD_Result ret = srv_reply(c, status, body);
        free(body);
        return ret;
}

static enum MHD_Result srv_error(struct MHD_Connection *c, unsigned status, int code,
                                 const char *msg)
{
        return srv_reply_json(c, status,
                              json_pack("{s:i,s:s}", "error_code", code, "message", msg));
}

static ssize_t srv_huge_chunk(void *cls, uint64_t pos, char *buf, size_t max)
{
        if (pos >= SRV_HUGE_SIZE)
                return MHD_CONTENT_READER_END_OF_STREAM;
        size_t n = SRV_HUGE_SIZE - (size_t)pos < max ? SRV_HUGE_SIZE - (size_t)pos : max;
        memset(buf, 'a', n);
        if (pos == 0 && n > 0)
                buf[0] = '{';
        return (ssize_t)n;
}

static int srv_hex(int ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* Percent-decodes s[0..n) into out; -1 for a bad escape or no room. */
static int srv_decode(const char *s, size_t n, char *out, size_t out_size)
{
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                int ch = (unsigned char)s[i];
                if (ch == '%') {
                        if (i + 2 >= n)
                                return -1;
                        int hi = srv_hex(s[i + 1]), lo = srv_hex(s[i + 2]);
                        if (hi < 0 || lo < 0)
                                return -1;
                        ch = hi * 16 + lo;
                        i += 2;
                }
                if (o + 1 >= out_size)
                        return -1;
                out[o++] = (char)ch;
        }
        out[o] = '\0';
        return 0;
}

/* The id already given to text, or a new one. Under mu. */
static uint32_t srv_id_for(struct srv *s, const char *text)
{
        for (int i = 0; i < s->n_schemas; i++)
                if (strcmp(s->schemas[i].text, text) == 0)
                        return s->schemas[i].id;
        return s->next_id++;
}

/* Adds a schema to the registry contents. Under mu, or before the server answers. */
static uint32_t srv_add(struct srv *s, const char *subject, const char *text)
{
        assert_true(s->n_schemas < SRV_MAX_SCHEMAS);
        uint32_t id = srv_id_for(s, text);
        struct srv_schema *e = &s->schemas[s->n_schemas++];
        e->id = id;
        snprintf(e->subject, sizeof(e->subject), "%s", subject);
        e->text = strdup(text);
        return e->id;
}

static enum MHD_Result srv_route(struct srv *s, struct MHD_Connection *c, const char *url,
                                 const char *method, const struct srv_req *q)
{
        if (s->mode == SRV_UNKNOWN_ENDPOINT)
                return srv_error(c, 404, 404, "HTTP 404 Not Found");
        if (s->mode == SRV_PROXY_502)
                return srv_reply(c, 502, "<html><body>502 Bad Gateway\n</body></html>");
        if (s->mode == SRV_MALFORMED)
                return srv_reply(c, 200, "{\"schema\": \"{\\\"type\\\"");
        if (s->mode == SRV_HUGE) {
                char *big = malloc(SRV_HUGE_SIZE);
                if (!big)
                        return MHD_NO;
                memset(big, ' ', SRV_HUGE_SIZE);
                big[0] = '{';
                big[SRV_HUGE_SIZE - 1] = '}';
                struct MHD_Response *resp =
                    MHD_create_response_from_buffer(SRV_HUGE_SIZE, big, MHD_RESPMEM_MUST_FREE);
                enum MHD_Result ret = MHD_queue_response(c, 200, resp);
                MHD_destroy_response(resp);
                return ret;
        }
        if (s->mode == SRV_HUGE_CHUNKED) {
                struct MHD_Response *resp = MHD_create_response_from_callback(
                    MHD_SIZE_UNKNOWN, 64 * 1024, srv_huge_chunk, NULL, NULL);
                enum MHD_Result ret = MHD_queue_response(c, 200, resp);
                MHD_destroy_response(resp);
                return ret;
        }

        unsigned long id;
        char tail;
        if (strcmp(method, "GET") == 0 && sscanf(url, "/schemas/ids/%lu%c", &id, &tail) == 1) {
                if (s->mode == SRV_NO_FIELD)
                        return srv_reply(c, 200, "{\"schemaType\": \"AVRO\"}");
                pthread_mutex_lock(&s->mu);
                const char *text = NULL;
                for (int i = 0; i < s->n_schemas && !text; i++)
                        if (s->schemas[i].id == id)
                                text = s->schemas[i].text;
                json_t *ans = text ? json_pack("{s:s}", "schema", text) : NULL;
                pthread_mutex_unlock(&s->mu);
                if (!text)
                        return srv_error(c, 404, 40403, "Schema not found");
                if (s->mode == SRV_PROTOBUF)
                        json_object_set_new(ans, "schemaType", json_string("PROTOBUF"));
                return srv_reply_json(c, 200, ans);
        }

        if (strcmp(method, "POST") != 0 || strncmp(url, "/subjects/", 10) != 0)
                return srv_error(c, 404, 404, "HTTP 404 Not Found");
        const char *enc = url + 10;
        size_t enc_len = strcspn(enc, "/");
        int is_register = strcmp(enc + enc_len, "/versions") == 0;
        if (!is_register && enc[enc_len] != '\0')
                return srv_error(c, 404, 404, "HTTP 404 Not Found");
        char subject[256];
        if (srv_decode(enc, enc_len, subject, sizeof(subject)) != 0)
                return srv_error(c, 400, 400, "bad subject");
        json_error_t jerr;
        json_t *req = q->body ? json_loadb(q->body, q->len, 0, &jerr) : NULL;
        json_t *schema = req ? json_object_get(req, "schema") : NULL;
        if (!json_is_string(schema)) {
                json_decref(req);
                return srv_error(c, 422, 42201, "Invalid schema");
        }
        const char *text = json_string_value(schema);

        pthread_mutex_lock(&s->mu);
        snprintf(s->last_subject, sizeof(s->last_subject), "%s", subject);
        int found_subject = 0, found = -1;
        for (int i = 0; i < s->n_schemas; i++) {
                if (strcmp(s->schemas[i].subject, subject) != 0)
                        continue;
                found_subject = 1;
                if (strcmp(s->schemas[i].text, text) == 0)
                        found = i;
        }
        json_t *ans = NULL;
        unsigned status = 200;
        if (is_register && s->mode == SRV_INCOMPATIBLE) {
                status = 409;
                ans = json_pack("{s:i,s:s}", "error_code", 409, "message",
                                "Schema being registered is incompatible with an earlier schema");
        } else if (is_register && s->mode == SRV_NO_FIELD) {
                ans = json_pack("{s:s}", "ID", "seven");
        } else if (is_register) {
                uint32_t new_id = found >= 0 ? s->schemas[found].id : srv_add(s, subject, text);
                ans = json_pack("{s:I}", "id", (json_int_t)new_id);
        } else if (found >= 0) {
                ans = json_pack("{s:s,s:I,s:i,s:s}", "subject", subject, "id",
                                (json_int_t)s->schemas[found].id, "version", 1, "schema", text);
        } else {
                status = 404;
                ans = found_subject ? json_pack("{s:i,s:s}", "error_code", 40403, "message",
                                                "Schema not found")
                                    : json_pack("{s:i,s:s}", "error_code", 40401, "message",
                                                "Subject not found");
        }
        pthread_mutex_unlock(&s->mu);
        json_decref(req);
        return srv_reply_json(c, status, ans);
}

static enum MHD_Result srv_handle(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
        struct srv *s = cls;
        struct srv_req *q = *con_cls;
        if (!q) {
                if (!(q = calloc(1, sizeof(*q))))
                        return MHD_NO;
                *con_cls = q;
                return MHD_YES;
        }
        if (*upload_size) {
                char *body = realloc(q->body, q->len + *upload_size + 1);
                if (!body)
                        return MHD_NO;
                memcpy(body + q->len, upload, *upload_size);
                q->body = body;
                q->len += *upload_size;
                q->body[q->len] = '\0';
                *upload_size = 0;
                return MHD_YES;
        }

        pthread_mutex_lock(&s->mu);
        s->requests++;
        int fail = s->fail_first > 0;
        if (fail)
                s->fail_first--;
        snprintf(s->last_method, sizeof(s->last_method), "%s", method);
        snprintf(s->last_path, sizeof(s->last_path), "%s", url);
        pthread_mutex_unlock(&s->mu);

        if (s->auth) {
                const char *got =
                    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
                if (!got || strcmp(got, s->auth) != 0)
                        return srv_error(c, 401, 401, "Unauthorized");
        }
        for (int waited = 0; waited < s->slow_ms; waited += 10) {
                pthread_mutex_lock(&s->mu);
                int stop = s->stopping;
                pthread_mutex_unlock(&s->mu);
                if (stop)
                        break;
                nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        if (fail)
                return srv_error(c, 500, 50001, "Error in the backend data store");
        return srv_route(s, c, url, method, q);
}

static int srv_setup(void **state)
{
        struct srv *s = calloc(1, sizeof(*s));
        if (!s)
                return -1;
        pthread_mutex_init(&s->mu, NULL);
        s->next_id = 1;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                NULL, NULL, srv_handle, s, MHD_OPTION_SOCK_ADDR,
                                (const struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
                                srv_completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK,
                                srv_unescape_none, NULL, MHD_OPTION_END);
        if (!s->d) {
                free(s);
                return -1;
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
        if (!info || !info->port) {
                MHD_stop_daemon(s->d);
                free(s);
                return -1;
        }
        s->port = info->port;
        snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", (unsigned)s->port);
        *state = s;
        return 0;
}

static int srv_teardown(void **state)
{
        struct srv *s = *state;
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        pthread_mutex_unlock(&s->mu);
        MHD_stop_daemon(s->d);
        for (int i = 0; i < s->n_schemas; i++)
                free(s->schemas[i].text);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return 0;
}

static int srv_requests(struct srv *s)
{
        pthread_mutex_lock(&s->mu);
        int n = s->requests;
        pthread_mutex_unlock(&s->mu);
        return n;
}

/* A client of s with short waits; url_suffix is appended to the server URL. */
static struct xs_registry *client(struct srv *s, const char *url_suffix, const char *auth,
                                  int retries)
{
        char url[128], err[256];
        snprintf(url, sizeof(url), "%s%s", s->url, url_suffix);
        struct xs_registry_conf conf = {.url = url,
                                        .basic_auth = auth,
                                        .timeout_ms = 2000,
                                        .retries = retries,
                                        .retry_backoff_ms = 10};
        struct xs_registry *r = xs_registry_new(&conf, err, sizeof(err));
        if (!r)
                fail_msg("xs_registry_new: %s", err);
        return r;
}

static const char *event_avsc(void)
{
        return xs_codec_schema_text(XS_KIND_EVENT);
}

static const char *product_avsc(void)
{
        return xs_codec_schema_text(XS_KIND_PRODUCT);
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_new_rejects_bad_conf(void **state)
{
        char err[256];
        struct xs_registry_conf ok = {.url = "http://127.0.0.1:1", .timeout_ms = 100};
        struct xs_registry_conf c;

        c = ok;
        c.url = NULL;
        assert_null(xs_registry_new(&c, err, sizeof(err)));
        assert_non_null(strstr(err, "no URL"));
        c = ok;
        c.url = "ftp://127.0.0.1/";
        assert_null(xs_registry_new(&c, err, sizeof(err)));
        assert_non_null(strstr(err, "ftp://"));
        c = ok;
        c.timeout_ms = 0;
        assert_null(xs_registry_new(&c, err, sizeof(err)));
        c = ok;
        c.retries = -1;
        assert_null(xs_registry_new(&c, err, sizeof(err)));
        c = ok;
        c.retry_backoff_ms = -5;
        assert_null(xs_registry_new(&c, err, sizeof(err)));
        c = ok;
        c.basic_auth = "no-colon";
        assert_null(xs_registry_new(&c, err, sizeof(err)));

        struct xs_registry *r = xs_registry_new(&ok, err, sizeof(err));
        assert_non_null(r);
        xs_registry_destroy(r);
        xs_registry_destroy(NULL);
}

static void test_fetch_by_id_cached(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        struct xs_registry *r = client(s, "/", NULL, 0); /* trailing slash tolerated */
        char err[512] = "";
        const char *text = NULL, *again = NULL;

        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_OK);
        assert_string_equal(text, event_avsc());
        char want[64];
        snprintf(want, sizeof(want), "/schemas/ids/%u", (unsigned)id);
        assert_string_equal(s->last_path, want);
        assert_string_equal(s->last_method, "GET");
        assert_int_equal(srv_requests(s), 1);

        assert_int_equal(xs_registry_schema_text(r, id, &again, err, sizeof(err)), XS_OK);
        assert_ptr_equal(again, text);
        assert_int_equal(srv_requests(s), 1); /* the second answer came from the cache */

        struct xs_registry_stats st;
        xs_registry_stats(r, &st);
        assert_int_equal(st.requests, 1);
        assert_int_equal(st.cache_hits, 1);
        assert_int_equal(st.failures, 0);
        assert_int_equal(st.retries, 0);
        xs_registry_destroy(r);
}

static void test_unknown_id_not_found(void **state)
{
        struct srv *s = *state;
        struct xs_registry *r = client(s, "", NULL, 3);
        char err[512] = "";
        const char *text = NULL;

        assert_int_equal(xs_registry_schema_text(r, 4242, &text, err, sizeof(err)),
                         XS_ERR_NOT_FOUND);
        assert_non_null(strstr(err, "/schemas/ids/4242"));
        assert_non_null(strstr(err, s->url));
        assert_non_null(strstr(err, "404"));
        assert_non_null(strstr(err, "40403"));
        assert_non_null(strstr(err, "Schema not found"));
        assert_int_equal(srv_requests(s), 1); /* a 404 is not retried */
        assert_int_equal(xs_err_action(XS_ERR_NOT_FOUND), XS_ACTION_NONE);

        struct xs_registry_stats st;
        xs_registry_stats(r, &st);
        assert_int_equal(st.failures, 1);
        assert_int_equal(st.retries, 0);
        xs_registry_destroy(r);
}

static void test_retry_after_500(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        s->fail_first = 1;
        struct xs_registry *r = client(s, "", NULL, 2);
        char err[512] = "";
        const char *text = NULL;

        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_OK);
        assert_string_equal(text, event_avsc());
        assert_int_equal(srv_requests(s), 2);
        struct xs_registry_stats st;
        xs_registry_stats(r, &st);
        assert_int_equal(st.requests, 2);
        assert_int_equal(st.retries, 1);
        assert_int_equal(st.failures, 0);
        xs_registry_destroy(r);
}

static void test_always_500_is_retry(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        s->fail_first = 1000;
        struct xs_registry *r = client(s, "", NULL, 2);
        char err[512] = "";
        const char *text = NULL;

        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_RETRY);
        assert_int_equal(xs_err_action(XS_ERR_RETRY), XS_ACTION_RETRY);
        assert_non_null(strstr(err, "HTTP 500"));
        assert_non_null(strstr(err, "50001"));
        assert_non_null(strstr(err, "after 3 attempts"));
        assert_int_equal(srv_requests(s), 3);
        struct xs_registry_stats st;
        xs_registry_stats(r, &st);
        assert_int_equal(st.requests, 3);
        assert_int_equal(st.retries, 2);
        assert_int_equal(st.failures, 1);

        /* The outage ends: the next call succeeds (failures are not cached). */
        pthread_mutex_lock(&s->mu);
        s->fail_first = 0;
        pthread_mutex_unlock(&s->mu);
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_OK);
        xs_registry_destroy(r);
}

static void test_proxy_html_502_is_retry(void **state)
{
        struct srv *s = *state;
        s->mode = SRV_PROXY_502;
        struct xs_registry *r = client(s, "", NULL, 1);
        char err[512] = "";
        const char *text = NULL;
        assert_int_equal(xs_registry_schema_text(r, 1, &text, err, sizeof(err)), XS_ERR_RETRY);
        assert_non_null(strstr(err, "HTTP 502"));
        assert_non_null(strstr(err, "502 Bad Gateway.</body>")); /* an excerpt, made printable */
        assert_int_equal(srv_requests(s), 2);
        xs_registry_destroy(r);
}

static void test_timeout_is_retry(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        s->slow_ms = 3000;
        char url[128], err[512] = "";
        snprintf(url, sizeof(url), "%s", s->url);
        struct xs_registry_conf conf = {
            .url = url, .timeout_ms = 300, .retries = 1, .retry_backoff_ms = 10};
        struct xs_registry *r = xs_registry_new(&conf, err, sizeof(err));
        assert_non_null(r);
        const char *text = NULL;

        double t0 = now_s();
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_RETRY);
        double took = now_s() - t0;
        assert_true(took < 5.0); /* generous: two attempts of 300 ms */
        assert_non_null(strstr(err, s->url));
        assert_non_null(strstr(err, "after 2 attempts"));
        assert_int_equal(srv_requests(s), 2);
        xs_registry_destroy(r);
}

/* Issue 10 item 7: xs_registry_ping tells an outage from one failing id, in one request. */
static void test_ping_tells_outage_from_one_id(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        struct xs_registry *r = client(s, "", NULL, 3);
        char err[512] = "";
        /* nothing fetched yet: any answer but a failure to retry shows it is up (here the
         * server's 404 for an endpoint it lacks) */
        assert_int_equal(xs_registry_ping(r, err, sizeof(err)), XS_OK);
        assert_int_equal(srv_requests(s), 1);
        pthread_mutex_lock(&s->mu);
        s->fail_first = 1000;
        pthread_mutex_unlock(&s->mu);
        assert_int_equal(xs_registry_ping(r, err, sizeof(err)), XS_ERR_RETRY);
        assert_int_equal(srv_requests(s), 2); /* one request: no retries */
        pthread_mutex_lock(&s->mu);
        s->fail_first = 0;
        pthread_mutex_unlock(&s->mu);
        const char *text = NULL;
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_OK);
        /* with a schema fetched before, that schema must come back */
        assert_int_equal(xs_registry_ping(r, err, sizeof(err)), XS_OK);
        assert_int_equal(srv_requests(s), 4);
        pthread_mutex_lock(&s->mu);
        s->fail_first = 1000;
        pthread_mutex_unlock(&s->mu);
        assert_int_equal(xs_registry_ping(r, err, sizeof(err)), XS_ERR_RETRY);
        assert_non_null(strstr(err, "HTTP 500"));
        xs_registry_destroy(r);
        /* a static registry is always up */
        struct xs_registry *st = xs_registry_new_static(err, sizeof(err));
        assert_int_equal(xs_registry_ping(st, err, sizeof(err)), XS_OK);
        xs_registry_destroy(st);
}

static void test_connection_refused_is_retry(void **state)
{
        /* A bound socket that never listens: connecting to its port is refused, and no other
         * process can take the port while the test runs. */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        socklen_t len = sizeof(sa);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);

        char url[64], err[512] = "";
        snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
        struct xs_registry_conf conf = {
            .url = url, .timeout_ms = 1000, .retries = 2, .retry_backoff_ms = 5};
        struct xs_registry *r = xs_registry_new(&conf, err, sizeof(err));
        assert_non_null(r);
        const char *text = NULL;
        assert_int_equal(xs_registry_schema_text(r, 1, &text, err, sizeof(err)), XS_ERR_RETRY);
        assert_non_null(strstr(err, url));
        uint32_t id = 0;
        assert_int_equal(xs_registry_register(r, "t-value", event_avsc(), &id, err, sizeof(err)),
                         XS_ERR_RETRY);
        struct xs_registry_stats st;
        xs_registry_stats(r, &st);
        assert_int_equal(st.requests, 6);
        assert_int_equal(st.retries, 4);
        assert_int_equal(st.failures, 2);
        xs_registry_destroy(r);
        close(fd);
}

static void test_basic_auth(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        s->auth = "Basic YWxpY2U6czNjcmV0"; /* base64("alice:s3cret") */
        char err[512] = "";
        const char *text = NULL;

        struct xs_registry *r = client(s, "", "alice:s3cret", 3);
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_OK);
        assert_int_equal(srv_requests(s), 1);
        xs_registry_destroy(r);

        /* No credentials: 401, not retried, a configuration error that says so. */
        r = client(s, "", NULL, 3);
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_CONF);
        assert_non_null(strstr(err, "unauthorized"));
        assert_non_null(strstr(err, "401"));
        assert_int_equal(xs_err_action(XS_ERR_CONF), XS_ACTION_STOP);
        assert_int_equal(srv_requests(s), 2);
        xs_registry_destroy(r);

        /* Wrong password. */
        r = client(s, "", "alice:wrong", 3);
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_CONF);
        assert_non_null(strstr(err, "unauthorized"));
        assert_null(strstr(err, "wrong"));
        xs_registry_destroy(r);

        /* Credentials in the URL work, and never appear in messages. */
        char url[128];
        snprintf(url, sizeof(url), "http://alice:s3cret@127.0.0.1:%u", (unsigned)s->port);
        struct xs_registry_conf conf = {
            .url = url, .timeout_ms = 2000, .retries = 0, .retry_backoff_ms = 0};
        r = xs_registry_new(&conf, err, sizeof(err));
        assert_non_null(r);
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_OK);
        assert_int_equal(xs_registry_schema_text(r, 999, &text, err, sizeof(err)),
                         XS_ERR_NOT_FOUND);
        assert_null(strstr(err, "s3cret"));
        assert_non_null(strstr(err, s->url));
        xs_registry_destroy(r);
}

static void test_subject_url_encoding(void **state)
{
        struct srv *s = *state;
        struct xs_registry *r = client(s, "", NULL, 0);
        char err[512] = "";
        uint32_t id = 0;
        const char *subject = "orders topic/v1-value";

        assert_int_equal(xs_registry_register(r, subject, event_avsc(), &id, err, sizeof(err)),
                         XS_OK);
        assert_string_equal(s->last_method, "POST");
        assert_string_equal(s->last_path, "/subjects/orders%20topic%2Fv1-value/versions");
        assert_string_equal(s->last_subject, subject);
        /* The schema arrived as the exact text (JSON-escaped in the body, unescaped again). */
        assert_int_equal(s->n_schemas, 1);
        assert_string_equal(s->schemas[0].subject, subject);
        assert_string_equal(s->schemas[0].text, event_avsc());

        uint32_t found = 0;
        assert_int_equal(xs_registry_lookup(r, subject, event_avsc(), &found, err, sizeof(err)),
                         XS_OK);
        assert_int_equal(found, id);
        assert_string_equal(s->last_path, "/subjects/orders%20topic%2Fv1-value");

        /* Characters that mean something in a URL. */
        const char *odd = "a?b#c%d&e+f.value";
        assert_int_equal(xs_registry_register(r, odd, event_avsc(), &found, err, sizeof(err)),
                         XS_OK);
        assert_string_equal(s->last_subject, odd);
        assert_int_equal(found, id);
        xs_registry_destroy(r);
}

static void test_register_idempotent(void **state)
{
        struct srv *s = *state;
        struct xs_registry *r = client(s, "", NULL, 0);
        char err[512] = "";
        uint32_t a = 0, b = 0, c = 0, d = 0;

        assert_int_equal(
            xs_registry_register(r, "events-value", event_avsc(), &a, err, sizeof(err)), XS_OK);
        assert_int_equal(
            xs_registry_register(r, "events-value", event_avsc(), &b, err, sizeof(err)), XS_OK);
        assert_int_equal(a, b);
        assert_int_equal(
            xs_registry_register(r, "catalog-value", product_avsc(), &c, err, sizeof(err)), XS_OK);
        assert_int_not_equal(a, c);
        /* The same text under another subject keeps its id. */
        assert_int_equal(
            xs_registry_register(r, "replay-value", event_avsc(), &d, err, sizeof(err)), XS_OK);
        assert_int_equal(a, d);
        assert_int_equal(srv_requests(s), 4);

        /* What was registered is what a reader gets by id. */
        const char *text = NULL;
        assert_int_equal(xs_registry_schema_text(r, c, &text, err, sizeof(err)), XS_OK);
        assert_string_equal(text, product_avsc());

        /* A rejected schema is a configuration error, not retried. */
        s->mode = SRV_INCOMPATIBLE;
        int before = srv_requests(s);
        assert_int_equal(
            xs_registry_register(r, "events-value", product_avsc(), &a, err, sizeof(err)),
            XS_ERR_CONF);
        assert_non_null(strstr(err, "409"));
        assert_non_null(strstr(err, "incompatible"));
        assert_non_null(strstr(err, "/subjects/events-value/versions"));
        assert_int_equal(srv_requests(s), before + 1);

        /* Bad arguments. */
        assert_int_equal(xs_registry_register(r, "", event_avsc(), &a, err, sizeof(err)),
                         XS_ERR_CONF);
        assert_int_equal(xs_registry_register(r, "x", NULL, &a, err, sizeof(err)), XS_ERR_CONF);
        xs_registry_destroy(r);
}

static void test_lookup_found_not_found(void **state)
{
        struct srv *s = *state;
        struct xs_registry *r = client(s, "", NULL, 2);
        char err[512] = "";
        uint32_t id = 0, found = 0;

        assert_int_equal(
            xs_registry_register(r, "events-value", event_avsc(), &id, err, sizeof(err)), XS_OK);
        assert_int_equal(
            xs_registry_lookup(r, "events-value", event_avsc(), &found, err, sizeof(err)), XS_OK);
        assert_int_equal(found, id);

        /* A schema never registered under a known subject. */
        assert_int_equal(
            xs_registry_lookup(r, "events-value", product_avsc(), &found, err, sizeof(err)),
            XS_ERR_NOT_FOUND);
        assert_non_null(strstr(err, "40403"));
        /* An unknown subject. */
        assert_int_equal(
            xs_registry_lookup(r, "nobody-value", event_avsc(), &found, err, sizeof(err)),
            XS_ERR_NOT_FOUND);
        assert_non_null(strstr(err, "40401"));
        assert_non_null(strstr(err, "/subjects/nobody-value"));
        assert_int_equal(srv_requests(s), 4); /* not-found is not retried */
        xs_registry_destroy(r);
}

static void test_malformed_answer_is_decode(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        struct xs_registry *r = client(s, "", NULL, 2);
        char err[512] = "";
        const char *text = NULL;
        uint32_t got = 0;

        s->mode = SRV_MALFORMED;
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_DECODE);
        assert_non_null(strstr(err, "malformed"));
        assert_int_equal(srv_requests(s), 1); /* not retried */
        assert_int_equal(xs_registry_register(r, "t-value", event_avsc(), &got, err, sizeof(err)),
                         XS_ERR_DECODE);

        s->mode = SRV_NO_FIELD;
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_DECODE);
        assert_non_null(strstr(err, "\"schema\""));
        assert_int_equal(xs_registry_register(r, "t-value", event_avsc(), &got, err, sizeof(err)),
                         XS_ERR_DECODE);
        assert_non_null(strstr(err, "\"id\""));

        s->mode = SRV_PROTOBUF;
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_INVALID);
        assert_non_null(strstr(err, "PROTOBUF"));

        /* None of the bad answers was cached. */
        s->mode = SRV_NORMAL;
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_OK);
        assert_string_equal(text, event_avsc());
        struct xs_registry_stats st;
        xs_registry_stats(r, &st);
        assert_int_equal(st.failures, 5);
        assert_int_equal(st.retries, 0);
        xs_registry_destroy(r);
}

static void test_oversized_answer_rejected(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        struct xs_registry *r = client(s, "", NULL, 2);
        char err[512] = "";
        const char *text = NULL;

        s->mode = SRV_HUGE; /* Content-Length says it up front */
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_DECODE);
        assert_non_null(strstr(err, "larger than"));
        s->mode = SRV_HUGE_CHUNKED; /* only counting the bytes can tell */
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_ERR_DECODE);
        assert_non_null(strstr(err, "larger than"));
        assert_int_equal(srv_requests(s), 2);

        /* The client still works afterwards. */
        s->mode = SRV_NORMAL;
        assert_int_equal(xs_registry_schema_text(r, id, &text, err, sizeof(err)), XS_OK);
        xs_registry_destroy(r);
}

static void test_unknown_endpoint_is_conf(void **state)
{
        struct srv *s = *state;
        s->mode = SRV_UNKNOWN_ENDPOINT; /* e.g. registry.url points at the wrong path */
        struct xs_registry *r = client(s, "/not-the-registry", NULL, 2);
        char err[512] = "";
        const char *text = NULL;
        assert_int_equal(xs_registry_schema_text(r, 1, &text, err, sizeof(err)), XS_ERR_CONF);
        assert_non_null(strstr(err, "URL"));
        assert_non_null(strstr(err, "/not-the-registry/schemas/ids/1"));
        assert_string_equal(s->last_path, "/not-the-registry/schemas/ids/1");
        xs_registry_destroy(r);
}

static void test_wschema_parsed_and_cached(void **state)
{
        struct srv *s = *state;
        uint32_t id = srv_add(s, "", event_avsc());
        struct xs_registry *r = client(s, "", NULL, 0);
        char err[512] = "";
        const struct xs_wschema *ws = NULL, *again = NULL;

        assert_int_equal(xs_registry_wschema(r, XS_KIND_EVENT, id, &ws, err, sizeof(err)), XS_OK);
        assert_non_null(ws);
        assert_int_equal(xs_registry_wschema(r, XS_KIND_EVENT, id, &again, err, sizeof(err)),
                         XS_OK);
        assert_ptr_equal(ws, again);
        assert_int_equal(srv_requests(s), 1);

        /* A framed record decodes through it. */
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        assert_non_null(codec);
        struct xs_line_item item = {.product_id = "p1", .quantity = 2, .unit_price = 1999};
        struct xs_event ev = {.event_id = "e1",
                              .customer_id = "c1",
                              .event_time = 1700000000000,
                              .type = XS_EV_PURCHASE,
                              .items = &item,
                              .n_items = 1,
                              .currency = "EUR",
                              .order_id = "o1"};
        unsigned char buf[1024];
        size_t len = 0;
        xs_frame_header(buf, id);
        assert_int_equal(xs_codec_encode_event(codec, &ev, buf + XS_FRAME_HEADER,
                                               sizeof(buf) - XS_FRAME_HEADER, &len),
                         XS_OK);
        uint32_t framed_id = 0;
        const void *body = NULL;
        size_t body_len = 0;
        assert_int_equal(xs_frame_parse(buf, XS_FRAME_HEADER + len, &framed_id, &body, &body_len),
                         XS_OK);
        assert_int_equal(framed_id, id);
        assert_int_equal(xs_registry_wschema(r, XS_KIND_EVENT, framed_id, &ws, err, sizeof(err)),
                         XS_OK);
        struct xs_event out;
        assert_int_equal(xs_codec_decode_event(codec, ws, body, body_len, &out, err, sizeof(err)),
                         XS_OK);
        assert_string_equal(out.event_id, "e1");
        assert_int_equal(out.n_items, 1);
        assert_int_equal(out.items[0].unit_price, 1999);
        xs_codec_destroy(codec);

        /* The event schema cannot be read as a product: poison for that kind, and the verdict
         * is cached (no new request, the same message). */
        const struct xs_wschema *pws = NULL;
        assert_int_equal(xs_registry_wschema(r, XS_KIND_PRODUCT, id, &pws, err, sizeof(err)),
                         XS_ERR_INVALID);
        assert_null(pws);
        char first[512];
        snprintf(first, sizeof(first), "%s", err);
        assert_non_null(strstr(first, "as product"));
        assert_int_equal(xs_registry_wschema(r, XS_KIND_PRODUCT, id, &pws, err, sizeof(err)),
                         XS_ERR_INVALID);
        assert_string_equal(err, first);
        assert_int_equal(srv_requests(s), 1);

        /* An unknown id. */
        assert_int_equal(xs_registry_wschema(r, XS_KIND_EVENT, 777, &ws, err, sizeof(err)),
                         XS_ERR_NOT_FOUND);
        struct xs_registry_stats st;
        xs_registry_stats(r, &st);
        assert_int_equal(st.requests, 2);
        /* hits: event again, event after framing, product (text cached), product verdict */
        assert_int_equal(st.cache_hits, 4);
        xs_registry_destroy(r);
}

static void test_static_registry(void **state)
{
        char err[256] = "";
        struct xs_registry *r = xs_registry_new_static(err, sizeof(err));
        assert_non_null(r);
        assert_int_equal(xs_registry_static_add(r, 1, event_avsc()), XS_OK);
        assert_int_equal(xs_registry_static_add(r, 2, product_avsc()), XS_OK);
        assert_int_equal(xs_registry_static_add(r, 1, event_avsc()), XS_OK); /* same again */
        assert_int_equal(xs_registry_static_add(r, 1, product_avsc()), XS_ERR_CONF);
        assert_int_equal(xs_registry_static_add(r, 3, "{not json"), XS_ERR_CONF);
        assert_int_equal(xs_registry_static_add(r, 3, NULL), XS_ERR_CONF);

        const char *text = NULL;
        assert_int_equal(xs_registry_schema_text(r, 1, &text, err, sizeof(err)), XS_OK);
        assert_string_equal(text, event_avsc());
        assert_int_equal(xs_registry_schema_text(r, 3, &text, err, sizeof(err)), XS_ERR_NOT_FOUND);
        assert_non_null(strstr(err, "static"));

        const struct xs_wschema *ws = NULL, *again = NULL;
        assert_int_equal(xs_registry_wschema(r, XS_KIND_EVENT, 1, &ws, err, sizeof(err)), XS_OK);
        assert_int_equal(xs_registry_wschema(r, XS_KIND_EVENT, 1, &again, err, sizeof(err)), XS_OK);
        assert_ptr_equal(ws, again);
        assert_int_equal(xs_registry_wschema(r, XS_KIND_PRODUCT, 2, &ws, err, sizeof(err)), XS_OK);
        assert_int_equal(xs_registry_wschema(r, XS_KIND_PRODUCT, 1, &ws, err, sizeof(err)),
                         XS_ERR_INVALID);

        uint32_t id = 0;
        assert_int_equal(
            xs_registry_register(r, "events-value", event_avsc(), &id, err, sizeof(err)), XS_OK);
        assert_int_equal(id, 1);
        assert_int_equal(
            xs_registry_lookup(r, "catalog-value", product_avsc(), &id, err, sizeof(err)), XS_OK);
        assert_int_equal(id, 2);
        assert_int_equal(xs_registry_lookup(r, "offers-value", xs_codec_schema_text(XS_KIND_OFFER),
                                            &id, err, sizeof(err)),
                         XS_ERR_NOT_FOUND);
        assert_int_equal(xs_registry_register(r, "offers-value",
                                              xs_codec_schema_text(XS_KIND_OFFER), &id, err,
                                              sizeof(err)),
                         XS_ERR_NOT_FOUND);

        struct xs_registry_stats st;
        xs_registry_stats(r, &st);
        assert_int_equal(st.requests, 0);
        assert_int_equal(st.failures, 0);
        xs_registry_destroy(r);

        /* static_add is for static registries only. */
        struct xs_registry_conf conf = {.url = "http://127.0.0.1:1", .timeout_ms = 100};
        r = xs_registry_new(&conf, err, sizeof(err));
        assert_non_null(r);
        assert_int_equal(xs_registry_static_add(r, 1, event_avsc()), XS_ERR_CONF);
        xs_registry_destroy(r);
}

#define SRV_TEST(t) cmocka_unit_test_setup_teardown(t, srv_setup, srv_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_new_rejects_bad_conf),
            SRV_TEST(test_fetch_by_id_cached),
            SRV_TEST(test_unknown_id_not_found),
            SRV_TEST(test_retry_after_500),
            SRV_TEST(test_always_500_is_retry),
            SRV_TEST(test_proxy_html_502_is_retry),
            SRV_TEST(test_timeout_is_retry),
            cmocka_unit_test(test_connection_refused_is_retry),
            SRV_TEST(test_ping_tells_outage_from_one_id),
            SRV_TEST(test_basic_auth),
            SRV_TEST(test_subject_url_encoding),
            SRV_TEST(test_register_idempotent),
            SRV_TEST(test_lookup_found_not_found),
            SRV_TEST(test_malformed_answer_is_decode),
            SRV_TEST(test_oversized_answer_rejected),
            SRV_TEST(test_unknown_endpoint_is_conf),
            SRV_TEST(test_wschema_parsed_and_cached),
            cmocka_unit_test(test_static_registry),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
