/* Formats the message of a failure into the caller's errstr buffer (util/err.h). */
#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

void xs_set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
        if (!errstr || !errstr_size)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}
