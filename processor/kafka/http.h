/*
 * The HTTP endpoint of `xsell run` (libmicrohttpd, its own threads): /metrics, /livez, /readyz
 * and, with debug on, /customers/ID and /products/ID/related.
 *
 * The server never touches the runtime or the engine. The runtime's loop (one thread) hands it
 * what to serve: the last rendered metrics text (xs_http_publish, copied under a mutex), the
 * readiness verdict (xs_http_set_ready), and the time of its last progress (xs_http_touch, an
 * atomic). A debug view is a question only the loop can answer: the handler posts it and waits
 * (at most XS_HTTP_DEBUG_WAIT_MS) until the loop calls xs_http_serve_debug between records;
 * unanswered, it is a 503.
 */
#ifndef XS_HTTP_H
#define XS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define XS_HTTP_DEBUG_WAIT_MS 5000
#define XS_HTTP_MAX_ID        512 /* longest id a debug view takes (longer: 404) */

struct xs_http;

struct xs_http_conf {
        const char *address;     /* numeric IPv4 or IPv6 address, or a host name */
        int port;                /* 0: an ephemeral port (see xs_http_port) */
        int debug;               /* serve the debug views (else they are 404) */
        int64_t live_timeout_ms; /* /livez fails when the loop made no progress this long */
        int max_connections;     /* served at once (a thread each); beyond, refused and counted */
        int64_t conn_timeout_ms; /* an idle connection is closed after this (at least 1 s) */
};

/* Starts the server on its own threads. conf's strings are copied. Returns NULL with errstr
 * filled when the address does not resolve or cannot be bound. Free with xs_http_stop. */
struct xs_http *xs_http_start(const struct xs_http_conf *conf, char *errstr, size_t errstr_size);
/* Stops the server (waits for the handlers in flight) and frees it. NULL is a no-op. */
void xs_http_stop(struct xs_http *h);
/* The bound port and address (as text, for the log line). */
int xs_http_port(const struct xs_http *h);
const char *xs_http_address(const struct xs_http *h);

/* Connections refused because max_connections were open (0 for NULL). */
uint64_t xs_http_refused(const struct xs_http *h);

/* The text /metrics serves from now on (copied). */
void xs_http_publish(struct xs_http *h, const char *text, size_t len);
/* reason NULL: /readyz is 200 "ok"; else 503 with reason (copied, at most 200 bytes). */
void xs_http_set_ready(struct xs_http *h, const char *reason);
/* The loop made progress now. */
void xs_http_touch(struct xs_http *h);

/* A debug view: kind is XS_HTTP_CUSTOMER or XS_HTTP_PRODUCT; writes JSON into out (out_size
 * bytes) and returns the HTTP status (200, 404 for an unknown id, 500 when it does not fit).
 * *len is the length written. Called on the loop's thread only. */
enum xs_http_view { XS_HTTP_CUSTOMER, XS_HTTP_PRODUCT };
typedef int(xs_http_view_cb)(void *opaque, enum xs_http_view kind, const char *id, char *out,
                             size_t out_size, size_t *len);
/* Answers the debug question waiting, if any (the loop's thread, between records). */
void xs_http_serve_debug(struct xs_http *h, xs_http_view_cb *cb, void *opaque);

#endif
