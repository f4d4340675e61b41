/*
 * Shared by the file-reader fuzz targets: feeds bytes (after an optional prefix such as a CSV
 * header) to a reader through fmemopen and reads to the end. Every record handed out is walked
 * (each string read to its NUL, counts checked against the bounds), every error must be one a
 * reader may return for a bad record. A target may check each decoded event further through
 * harness_event_hook.
 */
#ifndef XS_READER_HARNESS_H
#define XS_READER_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader.h"

/* Called for every decoded event (may be NULL). */
static void (*harness_event_hook)(const struct xs_event *ev);

static void touch(const char *s)
{
        if (s && strlen(s) > XS_IO_MAX_LINE + 64)
                abort();
}

static void read_to_end(FILE *f, enum xs_format fmt, enum xs_record_kind kind)
{
        char err[512];
        struct xs_reader *r = xs_reader_open_stream(f, "fuzz", fmt, kind, err, sizeof(err));
        if (!r)
                return;
        for (int guard = 0; guard < 1000000; guard++) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t e = xs_reader_next(r, &rec, &eof, err, sizeof(err));
                if (e == XS_OK && eof)
                        break;
                if (e == XS_ERR_IO)
                        break;
                if (e != XS_OK) {
                        if (e != XS_ERR_DECODE && e != XS_ERR_INVALID && e != XS_ERR_NOMEM)
                                abort();
                        touch(err);
                        continue;
                }
                if (kind == XS_KIND_PRODUCT) {
                        touch(rec.product.product_id);
                        touch(rec.product.category);
                        touch(rec.product.category_label);
                        touch(rec.product.addon);
                        for (size_t i = 0; i < rec.product.n_upgrades; i++)
                                touch(rec.product.upgrades[i]);
                        continue;
                }
                const struct xs_event *ev = &rec.ev;
                if (!ev->event_id || !ev->customer_id || ev->n_items > XS_IO_MAX_ITEMS)
                        abort();
                touch(ev->event_id);
                touch(ev->customer_id);
                touch(ev->session_id);
                touch(ev->order_id);
                for (size_t i = 0; i < ev->n_items; i++) {
                        if (!ev->items[i].product_id)
                                abort();
                        touch(ev->items[i].product_id);
                        touch(ev->items[i].category);
                        touch(ev->items[i].brand);
                        touch(ev->items[i].category_label);
                }
                if (harness_event_hook)
                        harness_event_hook(ev);
        }
        xs_reader_close(r);
}

/* Reads prefix + data to the end as fmt records of kind. */
static void run(const uint8_t *data, size_t size, const char *prefix, enum xs_format fmt,
                enum xs_record_kind kind)
{
        size_t n = strlen(prefix);
        if (n + size == 0)
                return;
        uint8_t *buf = malloc(n + size + 1);
        if (!buf)
                return;
        memcpy(buf, prefix, n);
        memcpy(buf + n, data, size);
        FILE *f = fmemopen(buf, n + size, "rb");
        if (f) {
                read_to_end(f, fmt, kind);
                fclose(f);
        }
        free(buf);
}

#endif
