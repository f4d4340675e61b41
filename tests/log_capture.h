/*
 * For tests of what util/log.h writes: stderr goes to a temporary file for a whole group of
 * tests (cap_open in the group setup, cap_teardown after it); captured() reads back what was
 * written since its last call. Include after <cmocka.h>.
 */
#ifndef XS_TEST_LOG_CAPTURE_H
#define XS_TEST_LOG_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/log.h"

static FILE *cap;
static int saved_fd = -1;
static long cap_done;

/* Redirects stderr and logs in fmt from the debug level up. */
static int cap_open(enum xs_log_format fmt)
{
        fflush(stderr);
        cap = tmpfile();
        assert_non_null(cap);
        saved_fd = dup(STDERR_FILENO);
        assert_true(saved_fd >= 0);
        assert_true(dup2(fileno(cap), STDERR_FILENO) >= 0);
        cap_done = 0;
        xs_log_setup(fmt, XS_LOG_DEBUG, NULL);
        return 0;
}

static int cap_teardown(void **state)
{
        (void)state;
        fflush(stderr);
        dup2(saved_fd, STDERR_FILENO);
        close(saved_fd);
        fclose(cap);
        return 0;
}

/* What was written since the last call, NUL-terminated; the caller frees it. */
static char *captured(void)
{
        fflush(stderr);
        long end = lseek(fileno(cap), 0, SEEK_END);
        char *buf = calloc(1, (size_t)(end - cap_done) + 1);
        assert_non_null(buf);
        assert_int_equal(pread(fileno(cap), buf, (size_t)(end - cap_done), cap_done),
                         end - cap_done);
        cap_done = end;
        return buf;
}

#endif
