/*
 * The HTTP endpoint (kafka/http.c) on a real socket: /livez answers 200 while the loop touches
 * it and 503 once the last progress is older than live_timeout_ms (a server that always
 * answered 200 fails here), and 200 again after the next touch; /readyz gives the reason set;
 * the connection cap refuses and counts, and idle connections are closed after the timeout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kafka/http.h"

/* GET path on 127.0.0.1:port; returns the status, the body into body. */
static int get(int port, const char *path, char *body, size_t size)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        char req[256];
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
        assert_int_equal(write(fd, req, (size_t)n), n);
        char buf[4096];
        size_t len = 0;
        ssize_t r;
        while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t)r;
        buf[len] = '\0';
        close(fd);
        int status = 0;
        assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &status), 1);
        const char *b = strstr(buf, "\r\n\r\n");
        snprintf(body, size, "%s", b ? b + 4 : "");
        return status;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static void test_livez_fails_without_progress(void **state)
{
        (void)state;
        char err[256], body[512];
        struct xs_http_conf c = {.address = "127.0.0.1", .port = 0, .live_timeout_ms = 300};
        struct xs_http *h = xs_http_start(&c, err, sizeof(err));
        assert_non_null(h);
        int port = xs_http_port(h);
        xs_http_touch(h);
        assert_int_equal(get(port, "/livez", body, sizeof(body)), 200);
        assert_string_equal(body, "ok\n");
        sleep_ms(700); /* no touch: the loop is stalled */
        assert_int_equal(get(port, "/livez", body, sizeof(body)), 503);
        assert_non_null(strstr(body, "no progress of the processing loop"));
        xs_http_touch(h);
        assert_int_equal(get(port, "/livez", body, sizeof(body)), 200);
        /* readiness is independent of liveness */
        xs_http_set_ready(h, "waiting for the schema registry");
        assert_int_equal(get(port, "/readyz", body, sizeof(body)), 503);
        assert_string_equal(body, "waiting for the schema registry\n");
        xs_http_set_ready(h, NULL);
        assert_int_equal(get(port, "/readyz", body, sizeof(body)), 200);
        xs_http_stop(h);
}

static int connect_idle(int port)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        return fd;
}

/* http.max_connections: silent clients hold both slots; the next connection is refused and
 * counted; once http.connection_timeout closes the idle ones, a probe is answered again. */
static void test_connection_cap(void **state)
{
        (void)state;
        char err[256], body[512];
        struct xs_http_conf c = {.address = "127.0.0.1",
                                 .port = 0,
                                 .live_timeout_ms = 60000,
                                 .max_connections = 2,
                                 .conn_timeout_ms = 1000};
        struct xs_http *h = xs_http_start(&c, err, sizeof(err));
        assert_non_null(h);
        int port = xs_http_port(h);
        int a = connect_idle(port), b = connect_idle(port);
        sleep_ms(200); /* both accepted */
        assert_int_equal(xs_http_refused(h), 0);
        int x = connect_idle(port); /* the kernel accepts; the server closes it unanswered */
        char buf[64];
        assert_true(write(x, "GET /livez HTTP/1.0\r\n\r\n", 24) == 24);
        assert_true(read(x, buf, sizeof(buf)) <= 0);
        close(x);
        assert_int_equal(xs_http_refused(h), 1);
        sleep_ms(2500); /* the idle connections time out */
        assert_int_equal(get(port, "/livez", body, sizeof(body)), 200);
        close(a);
        close(b);
        xs_http_stop(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_livez_fails_without_progress),
            cmocka_unit_test(test_connection_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
