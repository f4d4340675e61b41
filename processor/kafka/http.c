/*
 * The HTTP endpoint (see http.h) on libmicrohttpd: a listening thread and a thread per
 * connection (at most http.max_connections, refusals counted; each closed after
 * http.connection_timeout idle), so that a debug view waiting for the loop never holds up a
 * scrape or a probe. A client that opens connections and sends nothing holds each for at most
 * the timeout: keep the endpoint off networks such clients reach (http.address).
 *
 * Shared with the loop's thread, under one mutex: the metrics text, the readiness reason and the
 * debug slot (one question at a time: a second one waits for the slot, within the same bound).
 * The loop answers a question while holding the mutex, so a handler sees a slot free, posted or
 * answered, never half written. The time of the loop's last progress is an atomic.
 */
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "kafka/http.h"
#include "util/log.h"

#define XS_HTTP_DEBUG_SIZE ((size_t)1 << 20) /* the largest debug answer */

enum slot_state { SLOT_FREE, SLOT_POSTED, SLOT_ANSWERED };

struct xs_http {
        struct MHD_Daemon *d;
        int port, debug;
        char address[256];
        int64_t live_timeout_ms;
        _Atomic int64_t last_progress_ms; /* monotonic */
        int max_conn;
        _Atomic int open_conn;    /* connections open now */
        _Atomic uint64_t refused; /* refused: max_conn were open */
        pthread_mutex_t lock;
        pthread_cond_t cond; /* the slot changed */
        char *metrics;
        size_t metrics_len;
        char ready_reason[256]; /* empty: ready */
        /* the debug slot */
        enum slot_state state;
        uint64_t seq;
        enum xs_http_view kind;
        char id[XS_HTTP_MAX_ID + 1];
        char *answer;
        size_t answer_len;
        int answer_status;
};

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- what the loop hands over ------------------------------------------------------- */

void xs_http_publish(struct xs_http *h, const char *text, size_t len)
{
        char *copy = malloc(len + 1);
        if (!copy)
                return; /* keep serving the previous text */
        memcpy(copy, text, len);
        copy[len] = '\0';
        pthread_mutex_lock(&h->lock);
        char *old = h->metrics;
        h->metrics = copy;
        h->metrics_len = len;
        pthread_mutex_unlock(&h->lock);
        free(old);
}

void xs_http_set_ready(struct xs_http *h, const char *reason)
{
        pthread_mutex_lock(&h->lock);
        snprintf(h->ready_reason, sizeof(h->ready_reason), "%.200s", reason ? reason : "");
        pthread_mutex_unlock(&h->lock);
}

void xs_http_touch(struct xs_http *h)
{
        atomic_store(&h->last_progress_ms, mono_ms());
}

void xs_http_serve_debug(struct xs_http *h, xs_http_view_cb *cb, void *opaque)
{
        if (!h->debug)
                return;
        pthread_mutex_lock(&h->lock);
        if (h->state == SLOT_POSTED) {
                size_t len = 0;
                h->answer_status = cb(opaque, h->kind, h->id, h->answer, XS_HTTP_DEBUG_SIZE, &len);
                h->answer_len = len < XS_HTTP_DEBUG_SIZE ? len : 0;
                h->state = SLOT_ANSWERED;
                pthread_cond_broadcast(&h->cond);
        }
        pthread_mutex_unlock(&h->lock);
}

/* ---- requests ----------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             const char *body, size_t len)
{
        struct MHD_Response *r =
            MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, "Content-Type", type);
        MHD_add_response_header(r, "Cache-Control", "no-store");
        enum MHD_Result ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
        return reply(conn, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void deadline_in(struct timespec *ts, int64_t ms)
{
        clock_gettime(CLOCK_REALTIME, ts);
        ts->tv_sec += ms / 1000;
        ts->tv_nsec += (ms % 1000) * 1000000;
        if (ts->tv_nsec >= 1000000000) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000;
        }
}

/* Posts the question and waits for the loop's answer (see the top comment). */
static enum MHD_Result debug_view(struct xs_http *h, struct MHD_Connection *conn,
                                  enum xs_http_view kind, const char *id, size_t id_len)
{
        if (!id_len || id_len > XS_HTTP_MAX_ID)
                return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
        struct timespec until;
        deadline_in(&until, XS_HTTP_DEBUG_WAIT_MS);
        enum MHD_Result ret;
        pthread_mutex_lock(&h->lock);
        int timed_out = 0;
        while (h->state != SLOT_FREE && !timed_out)
                timed_out = pthread_cond_timedwait(&h->cond, &h->lock, &until) != 0;
        if (timed_out) {
                pthread_mutex_unlock(&h->lock);
                return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                                  "busy: another debug view is waiting for the processor\n");
        }
        uint64_t mine = ++h->seq;
        h->kind = kind;
        memcpy(h->id, id, id_len);
        h->id[id_len] = '\0';
        h->state = SLOT_POSTED;
        while (h->seq == mine && h->state == SLOT_POSTED && !timed_out)
                timed_out = pthread_cond_timedwait(&h->cond, &h->lock, &until) != 0;
        if (h->seq == mine && h->state == SLOT_ANSWERED) {
                int st = h->answer_status;
                if (st == 200)
                        ret =
                            reply(conn, MHD_HTTP_OK, "application/json", h->answer, h->answer_len);
                else if (st == 404)
                        ret = reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
                else
                        ret = reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                         "the view does not fit in 1 MiB\n");
        } else {
                ret = reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                                 "the processor did not answer in time (busy or blocked)\n");
        }
        h->state = SLOT_FREE;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
        return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
        struct xs_http *h = cls;
        (void)version;
        (void)upload_data;
        if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
                return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n");
        if (*upload_data_size)
                return reply_text(conn, MHD_HTTP_BAD_REQUEST, "no body expected\n");
        (void)con_cls;
        if (!strcmp(url, "/metrics")) {
                pthread_mutex_lock(&h->lock);
                enum MHD_Result ret =
                    reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                          h->metrics ? h->metrics : "", h->metrics ? h->metrics_len : 0);
                pthread_mutex_unlock(&h->lock);
                return ret;
        }
        if (!strcmp(url, "/livez")) {
                int64_t age = mono_ms() - atomic_load(&h->last_progress_ms);
                if (age <= h->live_timeout_ms)
                        return reply_text(conn, MHD_HTTP_OK, "ok\n");
                char msg[128];
                snprintf(msg, sizeof(msg), "no progress of the processing loop for %lld s\n",
                         (long long)(age / 1000));
                return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
        }
        if (!strcmp(url, "/readyz")) {
                char msg[300];
                pthread_mutex_lock(&h->lock);
                int ready = !h->ready_reason[0];
                snprintf(msg, sizeof(msg), "%s\n", ready ? "ok" : h->ready_reason);
                pthread_mutex_unlock(&h->lock);
                return reply_text(conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, msg);
        }
        /* the debug views; the path is percent-decoded already, so an id may hold '/' */
        static const char cust[] = "/customers/", prod[] = "/products/", rel[] = "/related";
        if (h->debug && !strncmp(url, cust, sizeof(cust) - 1))
                return debug_view(h, conn, XS_HTTP_CUSTOMER, url + sizeof(cust) - 1,
                                  strlen(url + sizeof(cust) - 1));
        size_t n = strlen(url);
        if (h->debug && !strncmp(url, prod, sizeof(prod) - 1) &&
            n > sizeof(prod) - 1 + sizeof(rel) - 1 && !strcmp(url + n - (sizeof(rel) - 1), rel))
                return debug_view(h, conn, XS_HTTP_PRODUCT, url + sizeof(prod) - 1,
                                  n - (sizeof(prod) - 1) - (sizeof(rel) - 1));
        return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
        char msg[512];
        (void)cls;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        size_t n = strlen(msg);
        while (n && msg[n - 1] == '\n')
                msg[--n] = '\0';
        xs_log(XS_LOG_WARN, "http", "%s", msg);
}

/* ---- the connection cap ------------------------------------------------------------- */

/* Every connection holds a thread until it closes (a request answered, or conn_timeout_ms
 * idle): the cap bounds the threads, and each refusal is counted (xsell_cap_hits_total
 * {cap="http.max_connections"}). Called on the listening thread, one accept at a time. */
static enum MHD_Result accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
        struct xs_http *h = cls;
        (void)addr;
        (void)addrlen;
        if (atomic_load(&h->open_conn) >= h->max_conn) {
                atomic_fetch_add(&h->refused, 1);
                return MHD_NO;
        }
        return MHD_YES;
}

static void notify_cb(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode toe)
{
        struct xs_http *h = cls;
        (void)c;
        (void)socket_context;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED)
                atomic_fetch_add(&h->open_conn, 1);
        else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
                atomic_fetch_sub(&h->open_conn, 1);
}

uint64_t xs_http_refused(const struct xs_http *h)
{
        return h ? atomic_load(&((struct xs_http *)h)->refused) : 0;
}

/* ---- start and stop ----------------------------------------------------------------- */

struct xs_http *xs_http_start(const struct xs_http_conf *conf, char *errstr, size_t errstr_size)
{
        struct xs_http *h = calloc(1, sizeof(*h));
        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        pthread_mutex_init(&h->lock, NULL);
        pthread_cond_init(&h->cond, NULL);
        h->debug = conf->debug;
        h->live_timeout_ms = conf->live_timeout_ms;
        h->max_conn = conf->max_connections > 0 ? conf->max_connections : 16;
        unsigned conn_timeout_s =
            conf->conn_timeout_ms >= 1000 ? (unsigned)(conf->conn_timeout_ms / 1000) : 1;
        xs_http_touch(h);
        snprintf(h->ready_reason, sizeof(h->ready_reason), "starting");
        if (h->debug && !(h->answer = malloc(XS_HTTP_DEBUG_SIZE))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        char port[16];
        snprintf(port, sizeof(port), "%d", conf->port);
        struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *ai = NULL;
        int gai = getaddrinfo(conf->address, port, &hints, &ai);
        if (gai != 0 || !ai) {
                snprintf(errstr, errstr_size, "http.address %s: %s", conf->address,
                         gai ? gai_strerror(gai) : "no address");
                goto fail;
        }
        /* MHD_USE_ITC: a connection's thread wakes the listening thread as it ends, so that the
         * connection is cleaned up (and leaves the count) at once, not at the next accept */
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_ITC | MHD_USE_ERROR_LOG |
                         (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
        h->d = MHD_start_daemon(flags, (uint16_t)conf->port, accept_cb, h, handle, h,
                                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
                                ai->ai_addr, MHD_OPTION_NOTIFY_CONNECTION, notify_cb, h,
                                /* a backstop: accept_cb refuses (and counts) first */
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->max_conn + 1,
                                MHD_OPTION_CONNECTION_TIMEOUT, conn_timeout_s, MHD_OPTION_END);
        int family = ai->ai_family;
        freeaddrinfo(ai);
        if (!h->d) {
                snprintf(errstr, errstr_size,
                         "http: cannot listen on %s port %d (in use, or not an address of this "
                         "host; see http.address, http.port)",
                         conf->address, conf->port);
                goto fail;
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
        h->port = info ? info->port : conf->port;
        snprintf(h->address, sizeof(h->address), family == AF_INET6 ? "[%s]" : "%s", conf->address);
        return h;
fail:
        xs_http_stop(h);
        return NULL;
}

void xs_http_stop(struct xs_http *h)
{
        if (!h)
                return;
        if (h->d)
                MHD_stop_daemon(h->d);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->cond);
        free(h->metrics);
        free(h->answer);
        free(h);
}

int xs_http_port(const struct xs_http *h)
{
        return h->port;
}

const char *xs_http_address(const struct xs_http *h)
{
        return h->address;
}
