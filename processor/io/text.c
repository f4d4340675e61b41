/*
 * Exact text of times and money for the readers and writers of record files: UTC timestamps
 * without timegm() or the locale, and decimal money to minor units without floating point
 * (text.h). Used by the CSV readers and by the generator's REES46 writer.
 *
 * Bounds: years 1900..9999 with every date and time field range-checked; money exact to the cent
 * (a fraction of a cent, or an amount past int64 minor units, is refused, never rounded).
 */
#include <stdio.h>
#include <string.h>

#include "io/text.h"

int64_t xs_io_days_from_civil(int64_t y, unsigned m, unsigned d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, unsigned m)
{
        static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return dim[m - 1];
}

/* Reads exactly `digits` digits (or 1..digits when digits < 0) at s[*i]. */
static int num(const char *s, size_t n, size_t *i, int digits, int64_t *out)
{
        int want = digits < 0 ? -digits : digits, got = 0;
        int64_t v = 0;
        while (*i < n && got < want && s[*i] >= '0' && s[*i] <= '9') {
                v = v * 10 + (s[*i] - '0');
                (*i)++;
                got++;
        }
        if (got == 0 || (digits > 0 && got != digits))
                return -1;
        *out = v;
        return 0;
}

static int lit(const char *s, size_t n, size_t *i, char c)
{
        if (*i < n && s[*i] == c) {
                (*i)++;
                return 0;
        }
        return -1;
}

static int to_ms(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t sec, int64_t *ms)
{
        if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
            d > days_in_month(y, (unsigned)mo) || h > 23 || mi > 59 || sec > 59)
                return -1;
        int64_t days = xs_io_days_from_civil(y, (unsigned)mo, (unsigned)d);
        *ms = ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000;
        return 0;
}

int xs_io_parse_utc(const char *s, size_t n, int64_t *ms)
{
        int64_t y, mo, d, h, mi, sec;
        size_t i = 0;
        if (num(s, n, &i, 4, &y) || lit(s, n, &i, '-') || num(s, n, &i, 2, &mo) ||
            lit(s, n, &i, '-') || num(s, n, &i, 2, &d) || lit(s, n, &i, ' ') ||
            num(s, n, &i, 2, &h) || lit(s, n, &i, ':') || num(s, n, &i, 2, &mi) ||
            lit(s, n, &i, ':') || num(s, n, &i, 2, &sec))
                return -1;
        if (i != n && !(n - i == 4 && memcmp(s + i, " UTC", 4) == 0))
                return -1;
        return to_ms(y, mo, d, h, mi, sec, ms);
}

/* The original UCI spelling "12/1/2010 8:26" (month/day/year, minutes), as UTC. */
int xs_io_parse_us_time(const char *s, size_t n, int64_t *ms)
{
        int64_t y, mo, d, h, mi, sec = 0;
        size_t i = 0;
        if (num(s, n, &i, -2, &mo) || lit(s, n, &i, '/') || num(s, n, &i, -2, &d) ||
            lit(s, n, &i, '/') || num(s, n, &i, 4, &y) || lit(s, n, &i, ' ') ||
            num(s, n, &i, -2, &h) || lit(s, n, &i, ':') || num(s, n, &i, 2, &mi))
                return -1;
        if (i < n && (lit(s, n, &i, ':') || num(s, n, &i, 2, &sec)))
                return -1;
        if (i != n)
                return -1;
        return to_ms(y, mo, d, h, mi, sec, ms);
}

void xs_io_format_utc(int64_t ms, char *buf, size_t size)
{
        int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
        int64_t z = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
        int64_t sod = secs - z * 86400;
        z += 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t y = yoe + era * 400;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        int64_t d = doy - (153 * mp + 2) / 5 + 1;
        int64_t m = mp < 10 ? mp + 3 : mp - 9;
        y += m <= 2;
        snprintf(buf, size, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld", (long long)y, (long long)m,
                 (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60),
                 (long long)(sod % 60));
}

int xs_io_parse_money(const char *s, size_t n, int64_t *minor)
{
        size_t i = 0;
        int neg = 0, digits = 0;
        int64_t v = 0;
        if (i < n && (s[i] == '-' || s[i] == '+'))
                neg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
                if (v > (INT64_MAX / 100 - 9) / 10)
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        v *= 100;
        if (i < n && s[i] == '.') {
                i++;
                for (int k = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++, digits++) {
                        int dg = s[i] - '0';
                        if (k == 0)
                                v += dg * 10;
                        else if (k == 1)
                                v += dg;
                        else if (dg != 0)
                                return -1; /* a fraction of a cent is not exact */
                }
        }
        if (digits == 0 || i != n)
                return -1;
        *minor = neg ? -v : v;
        return 0;
}
