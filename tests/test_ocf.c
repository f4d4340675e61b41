/*
 * Object container tests: our writer and reader round trip byte-identically, a file truncated
 * at every byte offset is an error and never a crash, corrupt blocks are skipped, and both
 * directions interoperate with avro-c's own container reader and (deflate) writer.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <avro.h>

#include "codec/ocf.h"
#include "xsell/codec.h"

static struct xs_codec *codec;

static int setup(void **state)
{
        char err[256];
        codec = xs_codec_new(err, sizeof(err));
        return codec ? 0 : -1;
}

static int teardown(void **state)
{
        xs_codec_destroy(codec);
        return 0;
}

/* Event i of a deterministic test stream. */
static void make_event(int i, struct xs_event *ev, struct xs_line_item *item, char *ids)
{
        memset(ev, 0, sizeof(*ev));
        snprintf(ids, 32, "e-%d", i);
        snprintf(ids + 32, 32, "c-%d", i % 7);
        snprintf(ids + 64, 32, "p-%d", i % 11);
        *item =
            (struct xs_line_item){ids + 64, 1 + i % 3, 100 * i, i % 2 ? "cat" : NULL, NULL, NULL};
        ev->event_id = ids;
        ev->customer_id = ids + 32;
        ev->event_time = 1000 + i;
        ev->type = (enum xs_event_type)(i % XS_EV_UNKNOWN);
        ev->items = item;
        ev->n_items = 1;
        strcpy(ev->currency, "EUR");
}

/* Writes n events with our writer into a malloc'd buffer (the caller frees *out). */
static void write_events(int n, char **out, size_t *out_len)
{
        char err[256];
        FILE *f = open_memstream(out, out_len);
        assert_non_null(f);
        struct xs_ocf_writer *w =
            xs_ocf_writer_open(f, xs_codec_schema_text(XS_KIND_EVENT), err, sizeof(err));
        assert_non_null(w);
        for (int i = 0; i < n; i++) {
                struct xs_event ev;
                struct xs_line_item item;
                char ids[96];
                unsigned char buf[256];
                size_t len;
                make_event(i, &ev, &item, ids);
                assert_int_equal(xs_codec_encode_event(codec, &ev, buf, sizeof(buf), &len), XS_OK);
                assert_int_equal(xs_ocf_writer_append(w, buf, len), XS_OK);
        }
        assert_int_equal(xs_ocf_writer_close(w), XS_OK);
        fclose(f);
}

struct readout {
        int records;
        int decode_errors;
        int io_errors;
        int opened;
};

/* Reads every record of a container in memory and decodes it as an event; checks each decoded
 * event against the stream when check is set. */
static struct readout read_all(const void *data, size_t len, int check)
{
        struct readout ro = {0};
        char err[256];
        FILE *f = fmemopen((void *)data, len ? len : 1, "rb");
        assert_non_null(f);
        if (len == 0)
                fgetc(f); /* fmemopen needs a size > 0; consume to be at the end */
        struct xs_ocf_reader *r = xs_ocf_reader_open(f, err, sizeof(err));
        if (!r) {
                assert_true(err[0] != '\0');
                fclose(f);
                return ro;
        }
        ro.opened = 1;
        struct xs_wschema *ws =
            xs_wschema_new(XS_KIND_EVENT, xs_ocf_reader_schema(r), err, sizeof(err));
        assert_non_null(ws);
        for (int guard = 0; guard < 100000; guard++) {
                const void *rec;
                size_t rlen;
                int eof = 0;
                xs_err_t e = xs_ocf_reader_next(r, &rec, &rlen, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        assert_true(err[0] != '\0');
                        ro.io_errors++;
                        break;
                }
                if (e == XS_ERR_DECODE) {
                        assert_true(err[0] != '\0');
                        ro.decode_errors++;
                        continue;
                }
                assert_int_equal(e, XS_OK);
                if (eof)
                        break;
                struct xs_event ev;
                assert_int_equal(xs_codec_decode_event(codec, ws, rec, rlen, &ev, err, sizeof(err)),
                                 XS_OK);
                if (check) {
                        struct xs_event want;
                        struct xs_line_item item;
                        char ids[96];
                        make_event(ro.records, &want, &item, ids);
                        assert_string_equal(ev.event_id, want.event_id);
                        assert_int_equal(ev.type, want.type);
                        assert_true(ev.items[0].unit_price == item.unit_price);
                }
                ro.records++;
        }
        xs_wschema_destroy(ws);
        xs_ocf_reader_close(r);
        fclose(f);
        return ro;
}

static void test_roundtrip_and_identical(void **state)
{
        char *a = NULL, *b = NULL;
        size_t alen = 0, blen = 0;
        write_events(5000, &a, &alen); /* more than 4096 records: two blocks */
        write_events(5000, &b, &blen);
        assert_int_equal(alen, blen);
        assert_memory_equal(a, b, alen);
        /* the schema is written verbatim */
        assert_non_null(memmem(a, alen, xs_codec_schema_text(XS_KIND_EVENT),
                               strlen(xs_codec_schema_text(XS_KIND_EVENT))));
        struct readout ro = read_all(a, alen, 1);
        assert_int_equal(ro.records, 5000);
        assert_int_equal(ro.decode_errors, 0);
        assert_int_equal(ro.io_errors, 0);

        /* an empty file (header only) */
        free(a);
        write_events(0, &a, &alen);
        ro = read_all(a, alen, 0);
        assert_int_equal(ro.opened, 1);
        assert_int_equal(ro.records, 0);
        free(a);
        free(b);
}

static void test_truncated_every_offset(void **state)
{
        char *a = NULL;
        size_t alen = 0;
        write_events(20, &a, &alen);
        struct readout full = read_all(a, alen, 1);
        assert_int_equal(full.records, 20);
        for (size_t n = 0; n < alen; n++) {
                char *copy = malloc(n ? n : 1); /* exact size, so ASan sees any overread */
                memcpy(copy, a, n);
                struct readout ro = read_all(copy, n, 0);
                /* a cut file is never read as complete without an error */
                assert_true(!ro.opened || ro.io_errors + ro.decode_errors > 0 || ro.records < 20);
                assert_true(ro.records <= 20);
                free(copy);
        }
        free(a);
}

static int64_t rd_varint(const unsigned char **p)
{
        uint64_t v = 0;
        for (int i = 0;; i++) {
                unsigned char b = *(*p)++;
                v |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80))
                        break;
        }
        return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void test_corrupt_blocks_skipped(void **state)
{
        char *a = NULL;
        size_t alen = 0;
        write_events(5000, &a, &alen);
        /* walk the blocks: the first sync ends the header */
        const char *sync = a + alen - 16;
        const char *first = memmem(a, alen - 16, sync, 16);
        assert_non_null(first);
        int64_t counts[16];
        const char *ends[16];
        int nblocks = 0;
        const unsigned char *p = (const unsigned char *)first + 16;
        while ((const char *)p < a + alen) {
                assert_true(nblocks < 16);
                counts[nblocks] = rd_varint(&p);
                int64_t size = rd_varint(&p);
                p += size;
                assert_memory_equal(p, sync, 16);
                ends[nblocks++] = (const char *)p;
                p += 16;
        }
        assert_true(nblocks >= 3);
        assert_true(counts[0] + counts[1] + counts[2] <= 5000);

        /* a broken sync marker after block 1: block 1 is reported; the reader scans for the
         * next marker, which ends block 2, and goes on with block 3 */
        char *c = malloc(alen);
        memcpy(c, a, alen);
        c[ends[0] - a] ^= 0x55;
        struct readout ro = read_all(c, alen, 0);
        assert_int_equal(ro.decode_errors, 1);
        assert_int_equal(ro.records, 5000 - counts[0] - counts[1]);

        /* a record of block 1 broken (an enum index out of range): the rest of block 1 is
         * skipped, the other blocks are read */
        memcpy(c, a, alen);
        const char *rec = memmem(first + 16, (size_t)(ends[0] - first), "e-100", 5);
        assert_non_null(rec);
        /* after event_id "e-100" and customer_id "c-2": session union 0, time, type enum */
        size_t at = (size_t)(rec - a) + 5 + 4 + 1;
        at += 2;      /* event_time 1100 takes 2 bytes */
        c[at] = 0x7e; /* enum index 63 */
        ro = read_all(c, alen, 0);
        assert_int_equal(ro.decode_errors, 1);
        assert_int_equal(ro.records, 100 + (5000 - counts[0]));

        /* a block count one smaller than its records: the bytes left over are reported for
         * that block, the next blocks are read */
        memcpy(c, a, alen);
        assert_true(counts[0] > 64 && counts[0] < 8192);
        unsigned char *q = (unsigned char *)c + (first - a) + 16;
        uint64_t z = (uint64_t)(counts[0] - 1) << 1;
        for (int i = 0; i < 2; i++, z >>= 7) /* the count takes 2 bytes either way */
                q[i] = (unsigned char)((z & 0x7f) | (i == 0 ? 0x80 : 0));
        ro = read_all(c, alen, 0);
        assert_int_equal(ro.decode_errors, 1);
        assert_int_equal(ro.records, 4999);
        free(c);
        free(a);
}

static void test_bad_headers(void **state)
{
        char err[256] = "";
        static const char not_avro[] = "PAR1 this is not an avro file";
        FILE *f = fmemopen((void *)not_avro, sizeof(not_avro), "rb");
        assert_null(xs_ocf_reader_open(f, err, sizeof(err)));
        assert_non_null(strstr(err, "magic"));
        fclose(f);

        /* a codec we do not support */
        unsigned char hdr[256];
        size_t n = 0;
        memcpy(hdr, "Obj\x01", 4);
        n = 4;
        hdr[n++] = 4; /* 2 entries */
        hdr[n++] = 20;
        memcpy(hdr + n, "avro.codec", 10);
        n += 10;
        hdr[n++] = 12;
        memcpy(hdr + n, "snappy", 6);
        n += 6;
        hdr[n++] = 22;
        memcpy(hdr + n, "avro.schema", 11);
        n += 11;
        hdr[n++] = 16;
        memcpy(hdr + n, "\"string\"", 8);
        n += 8;
        hdr[n++] = 0;
        memset(hdr + n, 7, 16);
        n += 16;
        f = fmemopen(hdr, n, "rb");
        assert_null(xs_ocf_reader_open(f, err, sizeof(err)));
        assert_non_null(strstr(err, "snappy"));
        fclose(f);

        /* an empty first metadata key (fuzz regression: memcpy from a NULL buffer) */
        static const unsigned char empty_key[] = {'O', 'b', 'j', 1, 2, 0, 0, 0};
        f = fmemopen((void *)empty_key, sizeof(empty_key), "rb");
        assert_null(xs_ocf_reader_open(f, err, sizeof(err)));
        assert_non_null(strstr(err, "truncated"));
        fclose(f);

        /* a metadata value length of 2^60 */
        n = 4;
        hdr[n++] = 2;
        hdr[n++] = 22;
        memcpy(hdr + n, "avro.schema", 11);
        n += 11;
        for (int i = 0; i < 8; i++)
                hdr[n++] = 0x80;
        hdr[n++] = 0x20;
        f = fmemopen(hdr, n, "rb");
        assert_null(xs_ocf_reader_open(f, err, sizeof(err)));
        assert_non_null(strstr(err, "out of range"));
        fclose(f);
}

static void tmp_path(char *path, size_t n)
{
        snprintf(path, n, "/tmp/xs_test_ocf_%ld.avro", (long)getpid());
}

/* avro-c writes a deflate container; we read and decode it. */
static void test_interop_avro_c_deflate(void **state)
{
        char path[128];
        tmp_path(path, sizeof(path));
        unlink(path);
        const char *text = xs_codec_schema_text(XS_KIND_EVENT);
        avro_schema_t schema;
        avro_file_writer_t fw;
        assert_int_equal(avro_schema_from_json_length(text, strlen(text), &schema), 0);
        assert_int_equal(avro_file_writer_create_with_codec(path, schema, &fw, "deflate", 4096), 0);
        for (int i = 0; i < 300; i++) {
                struct xs_event ev;
                struct xs_line_item item;
                char ids[96];
                unsigned char buf[256];
                size_t len;
                make_event(i, &ev, &item, ids);
                assert_int_equal(xs_codec_encode_event(codec, &ev, buf, sizeof(buf), &len), XS_OK);
                assert_int_equal(avro_file_writer_append_encoded(fw, buf, (int64_t)len), 0);
        }
        assert_int_equal(avro_file_writer_close(fw), 0);
        avro_schema_decref(schema);

        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *data = malloc((size_t)size);
        assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        unlink(path);
        assert_non_null(memmem(data, (size_t)size, "deflate", 7));
        struct readout ro = read_all(data, (size_t)size, 1);
        assert_int_equal(ro.records, 300);
        assert_int_equal(ro.decode_errors, 0);

        /* corrupt the compressed data of the first block: an error, not a crash */
        const char *sync = data + size - 16;
        const char *first = memmem(data, (size_t)size - 16, sync, 16);
        data[first - data + 16 + 6] ^= 0xff;
        ro = read_all(data, (size_t)size, 0);
        assert_true(ro.decode_errors >= 1);
        assert_true(ro.records < 300);
        free(data);
}

/* We write; avro-c's container reader reads it back. */
static void test_interop_avro_c_reader(void **state)
{
        char path[128];
        char err[256];
        tmp_path(path, sizeof(path));
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        struct xs_ocf_writer *w =
            xs_ocf_writer_open(f, xs_codec_schema_text(XS_KIND_EVENT), err, sizeof(err));
        assert_non_null(w);
        for (int i = 0; i < 250; i++) {
                struct xs_event ev;
                struct xs_line_item item;
                char ids[96];
                unsigned char buf[256];
                size_t len;
                make_event(i, &ev, &item, ids);
                assert_int_equal(xs_codec_encode_event(codec, &ev, buf, sizeof(buf), &len), XS_OK);
                assert_int_equal(xs_ocf_writer_append(w, buf, len), XS_OK);
        }
        assert_int_equal(xs_ocf_writer_close(w), XS_OK);
        fclose(f);

        avro_file_reader_t fr;
        assert_int_equal(avro_file_reader(path, &fr), 0);
        avro_schema_t schema = avro_file_reader_get_writer_schema(fr);
        avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
        avro_value_t v, fld;
        assert_int_equal(avro_generic_value_new(iface, &v), 0);
        int n = 0;
        while (avro_file_reader_read_value(fr, &v) == 0) {
                const char *s;
                size_t len;
                int64_t t;
                char want[32];
                assert_int_equal(avro_value_get_by_name(&v, "event_id", &fld, NULL), 0);
                assert_int_equal(avro_value_get_string(&fld, &s, &len), 0);
                snprintf(want, sizeof(want), "e-%d", n);
                assert_string_equal(s, want);
                assert_int_equal(avro_value_get_by_name(&v, "event_time", &fld, NULL), 0);
                assert_int_equal(avro_value_get_long(&fld, &t), 0);
                assert_true(t == 1000 + n);
                n++;
                avro_value_reset(&v);
        }
        assert_int_equal(n, 250);
        avro_value_decref(&v);
        avro_value_iface_decref(iface);
        avro_file_reader_close(fr);
        /* avro-c 1.11.1's container reader keeps one reference too many on the writer schema
         * (LeakSanitizer shows it); drop it so this test stays leak-clean */
        avro_schema_decref(schema);
        unlink(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_roundtrip_and_identical),
            cmocka_unit_test(test_truncated_every_offset),
            cmocka_unit_test(test_corrupt_blocks_skipped),
            cmocka_unit_test(test_bad_headers),
            cmocka_unit_test(test_interop_avro_c_deflate),
            cmocka_unit_test(test_interop_avro_c_reader),
        };
        return cmocka_run_group_tests_name("ocf", tests, setup, teardown);
}
