/*
 * Avro object container files for the readers and writers of io.h (avro_file.h): records are split
 * by the container reader (ocf.h) and decoded by the guarded codec (codec.h) against the file's own
 * writer schema, so files written with an older or newer version of our schemas still read.
 * Writing encodes with our schema and appends to a container whose sync marker is derived from
 * the schema, so the same records give the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "io/avro_file.h"
#include "codec/ocf.h"

struct xs_avro_state {
        struct xs_ocf_reader *ocf;
        struct xs_wschema *ws;
        struct xs_codec *codec;
};

static int avro_open(struct xs_reader *r, char *errstr, size_t errstr_size)
{
        struct xs_avro_state *as = calloc(1, sizeof(*as));
        char why[256] = "";
        if (!as) {
                snprintf(errstr, errstr_size, "%s: out of memory", r->name);
                return -1;
        }
        r->avro = as;
        as->ocf = xs_ocf_reader_open(r->f, why, sizeof(why));
        if (!as->ocf) {
                snprintf(errstr, errstr_size, "%s: %s", r->name, why);
                return -1;
        }
        as->ws = xs_wschema_new(r->kind, xs_ocf_reader_schema(as->ocf), why, sizeof(why));
        if (!as->ws) {
                snprintf(errstr, errstr_size, "%s: writer schema: %s", r->name, why);
                return -1;
        }
        as->codec = xs_codec_new(why, sizeof(why));
        if (!as->codec) {
                snprintf(errstr, errstr_size, "%s: %s", r->name, why);
                return -1;
        }
        return 0;
}

static void avro_close(struct xs_reader *r)
{
        struct xs_avro_state *as = r->avro;
        if (!as)
                return;
        xs_codec_destroy(as->codec);
        xs_wschema_destroy(as->ws);
        xs_ocf_reader_close(as->ocf);
        free(as);
        r->avro = NULL;
}

static xs_err_t avro_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                          size_t errstr_size)
{
        struct xs_avro_state *as = r->avro;
        const void *buf;
        size_t len;
        char why[256] = "";
        xs_err_t err = xs_ocf_reader_next(as->ocf, &buf, &len, eof, why, sizeof(why));
        r->bytes_in = xs_ocf_reader_bytes(as->ocf);
        rec->position = xs_ocf_reader_record_no(as->ocf);
        if (err != XS_OK) {
                snprintf(errstr, errstr_size, "%s: %s", r->name, why);
                return err;
        }
        if (*eof)
                return XS_OK;
        if (r->kind == XS_KIND_EVENT)
                err =
                    xs_codec_decode_event(as->codec, as->ws, buf, len, &rec->ev, why, sizeof(why));
        else
                err = xs_codec_decode_product(as->codec, as->ws, buf, len, &rec->product, why,
                                              sizeof(why));
        if (err != XS_OK) {
                snprintf(errstr, errstr_size, "%s: record %llu: %s", r->name,
                         (unsigned long long)rec->position, why);
                return err;
        }
        if (r->kind == XS_KIND_PRODUCT)
                rec->tombstone = xs_codec_last_tombstone(as->codec);
        return XS_OK;
}

/* ---- writing ---- */

struct xs_avro_out {
        struct xs_ocf_writer *ocf;
        struct xs_codec *codec;
        unsigned char *buf;
        size_t cap;
};

#define AVRO_MAX_RECORD (64u << 20) /* bytes of one encoded record */

struct xs_avro_out *xs_avro_out_new(FILE *f, enum xs_record_kind kind, char *errstr,
                                    size_t errstr_size)
{
        struct xs_avro_out *ao = calloc(1, sizeof(*ao));
        if (!ao) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        ao->cap = 4096;
        ao->buf = malloc(ao->cap);
        ao->codec = xs_codec_new(errstr, errstr_size);
        if (!ao->buf || !ao->codec)
                goto fail;
        const char *schema = xs_codec_schema_text(kind);
        if (!schema) {
                snprintf(errstr, errstr_size, "no schema for record kind %d", (int)kind);
                goto fail;
        }
        ao->ocf = xs_ocf_writer_open(f, schema, errstr, errstr_size);
        if (!ao->ocf)
                goto fail;
        return ao;
fail:
        xs_codec_destroy(ao->codec);
        free(ao->buf);
        free(ao);
        return NULL;
}

static xs_err_t encode(struct xs_avro_out *ao, enum xs_record_kind kind, const void *rec,
                       int tombstone, size_t *len)
{
        switch (kind) {
        case XS_KIND_EVENT:
                return xs_codec_encode_event(ao->codec, rec, ao->buf, ao->cap, len);
        case XS_KIND_PRODUCT:
                return xs_codec_encode_product_ex(ao->codec, rec, tombstone, ao->buf, ao->cap, len);
        case XS_KIND_OFFER:
                return xs_codec_encode_offer(ao->codec, rec, ao->buf, ao->cap, len);
        case XS_KIND_SIGNAL:
                return xs_codec_encode_signal(ao->codec, rec, ao->buf, ao->cap, len);
        default:
                return xs_codec_encode_outcome(ao->codec, rec, ao->buf, ao->cap, len);
        }
}

xs_err_t xs_avro_out_write(struct xs_avro_out *ao, enum xs_record_kind kind, const void *rec,
                           int tombstone)
{
        size_t len = 0;
        xs_err_t err;
        err = encode(ao, kind, rec, tombstone, &len);
        while (err == XS_ERR_NOMEM) {
                /* too small: grow to the size asked for, or double when it is not known */
                size_t cap = len > ao->cap ? len : ao->cap * 2;
                if (cap > AVRO_MAX_RECORD)
                        return XS_ERR_NOMEM;
                unsigned char *buf = realloc(ao->buf, cap);
                if (!buf)
                        return XS_ERR_NOMEM;
                ao->buf = buf;
                ao->cap = cap;
                err = encode(ao, kind, rec, tombstone, &len);
        }
        if (err != XS_OK)
                return err;
        return xs_ocf_writer_append(ao->ocf, ao->buf, len);
}

xs_err_t xs_avro_out_close(struct xs_avro_out *ao)
{
        xs_err_t err = xs_ocf_writer_close(ao->ocf);
        xs_codec_destroy(ao->codec);
        free(ao->buf);
        free(ao);
        return err;
}

const struct xs_format_ops xs_avro_format = {avro_open, avro_next, avro_close};
