/*
 * Fuzz target: bytes as a file of REES46 CSV rows (after the real header, and as given) -> the
 * reader loop to the end. Every record handed out is walked (each string read to its NUL, counts
 * checked against the bounds), every error must be one a reader may return for a bad record.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_int.h"

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
                        if (!ev->items[i].product_id || ev->items[i].quantity <= 0)
                                abort();
                        touch(ev->items[i].product_id);
                        touch(ev->items[i].category);
                        touch(ev->items[i].brand);
                }
        }
        xs_reader_close(r);
}

static void run(const uint8_t *data, size_t size, const char *prefix, enum xs_format fmt,
                enum xs_record_kind kind)
{
        size_t n = strlen(prefix);
        uint8_t *buf = malloc(n + size + 1);
        if (!buf)
                return;
        memcpy(buf, prefix, n);
        memcpy(buf + n, data, size);
        if (n + size == 0) {
                free(buf);
                return;
        }
        FILE *f = fmemopen(buf, n + size, "rb");
        if (f) {
                read_to_end(f, fmt, kind);
                fclose(f);
        }
        free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        run(data, size,
            "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,"
            "user_session\n",
            XS_FMT_REES46, XS_KIND_EVENT);
        /* detection too, but not into Avro containers: fuzz_ocf covers those */
        if (!(size >= 4 && memcmp(data, "Obj\x01", 4) == 0))
                run(data, size, "", XS_FMT_AUTO, XS_KIND_EVENT);
        return 0;
}
