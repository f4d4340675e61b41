/*
 * Shared by the fuzz targets that feed decoded events to the engine: every event is processed
 * or rejected, never a crash; and whatever decoded it, the engine accepts an event only when
 * every string field is valid UTF-8 and within event.max_id_bytes / event.max_label_bytes
 * (the defaults, 256 and 1024), and rejects every one that is not (issue 10 items 5 and 10).
 * The UTF-8 check here is written apart from the engine's (util/utf8.c): it decodes each code
 * point and then judges its range, where the engine judges byte ranges.
 */
#ifndef XS_ENGINE_ORACLE_H
#define XS_ENGINE_ORACLE_H

#include <stdlib.h>
#include <string.h>

#include "xsell/engine.h"

/* 1 when s is NULL or valid UTF-8 of at most max bytes. */
static int oracle_str_ok(const char *s, size_t max)
{
        if (!s)
                return 1;
        const unsigned char *p = (const unsigned char *)s;
        size_t n = strlen(s);
        if (n > max)
                return 0;
        for (size_t i = 0; i < n;) {
                unsigned c = p[i];
                size_t len = c < 0x80         ? 1
                             : (c >> 5) == 6  ? 2
                             : (c >> 4) == 14 ? 3
                             : (c >> 3) == 30 ? 4
                                              : 0;
                if (!len || i + len > n)
                        return 0;
                unsigned long cp = len == 1 ? c : c & (0x7f >> len);
                for (size_t k = 1; k < len; k++) {
                        if ((p[i + k] >> 6) != 2)
                                return 0;
                        cp = (cp << 6) | (p[i + k] & 0x3f);
                }
                static const unsigned long min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
                if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return 0;
                i += len;
        }
        return 1;
}

static int oracle_event_strings_ok(const struct xs_event *ev)
{
        const size_t id = 256, label = 1024;
        if (!oracle_str_ok(ev->event_id, id) || !oracle_str_ok(ev->customer_id, id) ||
            !oracle_str_ok(ev->session_id, id) || !oracle_str_ok(ev->order_id, id) ||
            !oracle_str_ok(ev->offer_id, id) || !oracle_str_ok(ev->currency, id))
                return 0;
        for (size_t i = 0; i < ev->n_items; i++)
                if (!oracle_str_ok(ev->items[i].product_id, id) ||
                    !oracle_str_ok(ev->items[i].category, label) ||
                    !oracle_str_ok(ev->items[i].brand, label) ||
                    !oracle_str_ok(ev->items[i].category_label, label))
                        return 0;
        return 1;
}

/* The engine lives across inputs (its caps keep it bounded), with the default configuration. */
static void oracle_through_engine(const struct xs_event *ev)
{
        static struct xs_engine *eng;
        char err[512];
        if (!eng) {
                struct xs_conf *conf = xs_conf_new();
                eng = xs_engine_new(conf, NULL, err, sizeof(err));
                xs_conf_destroy(conf);
        }
        if (!eng)
                return;
        xs_err_t e = xs_engine_process(eng, ev, err, sizeof(err));
        if (e != XS_OK && e != XS_ERR_INVALID)
                abort();
        if (e == XS_OK && !oracle_event_strings_ok(ev))
                abort(); /* a bad string became state */
        if (!oracle_event_strings_ok(ev) && e != XS_ERR_INVALID)
                abort();
}

#endif
