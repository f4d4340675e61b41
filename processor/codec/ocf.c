/*
 * Avro object container files, our own reader and writer (see ocf.h for why not avro-c's).
 *
 * Layout: "Obj\x01", a metadata map (string -> bytes, with avro.schema and avro.codec), a 16-byte
 * sync marker, then blocks of (record count, byte size, data, sync marker).
 *
 * Reader bounds: header metadata at most XS_OCF_MAX_META bytes, a block at most
 * XS_OCF_MAX_BLOCK bytes on disk and XS_OCF_MAX_BLOCK once inflated. A block buffer grows with
 * the bytes actually read, so a size field that lies about a truncated file costs nothing. A
 * block whose sync marker does not follow its data makes the reader scan forward for the next
 * sync marker; a block whose records do not validate against the header schema is skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <zlib.h>

#include "util/err.h"
#include "codec/avro_guard.h"
#include "codec/ocf.h"

#define XS_OCF_MAX_META   ((int64_t)1 << 20)  /* header metadata, all entries */
#define XS_OCF_MAX_BLOCK  ((int64_t)64 << 20) /* one block, compressed or inflated */
#define XS_OCF_SYNC       16
#define XS_OCF_FLUSH_SIZE (64 * 1024)
#define XS_OCF_FLUSH_RECS 4096

static const unsigned char ocf_magic[4] = {'O', 'b', 'j', 1};

struct xs_ocf_reader {
        FILE *f;
        uint64_t pos; /* bytes of f consumed */
        char *schema_text;
        avro_schema_t schema;
        struct xs_avro_prog *prog; /* schema compiled for validating each record */
        int deflate;
        unsigned char sync[XS_OCF_SYNC];
        unsigned char *raw; /* block as read */
        size_t raw_cap;
        unsigned char *data; /* block as decoded (raw itself for the null codec) */
        unsigned char *inflated;
        size_t inflated_cap;
        size_t data_len, data_pos;
        int64_t block_left; /* records left in the current block */
        uint64_t block_no;
        uint64_t record_no;
        int eof;
};

/* 0 ok, 1 clean end of file before the first byte, -1 short read. */
static int rd(struct xs_ocf_reader *r, void *buf, size_t n)
{
        size_t got = fread(buf, 1, n, r->f);
        r->pos += got;
        if (got == n)
                return 0;
        return got == 0 && feof(r->f) ? 1 : -1;
}

/* A zig-zag long from the file: 0 ok, 1 clean EOF before it, -1 truncated or malformed. */
static int rd_long(struct xs_ocf_reader *r, int64_t *out)
{
        uint64_t v = 0;
        for (int i = 0; i < 10; i++) {
                int c = fgetc(r->f);
                if (c == EOF)
                        return i == 0 && feof(r->f) ? 1 : -1;
                r->pos++;
                if (i == 9 && (c & 0x7e))
                        return -1;
                v |= (uint64_t)(c & 0x7f) << (7 * i);
                if (!(c & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return 0;
                }
        }
        return -1;
}

/* Reads n bytes into *buf (grown in steps as bytes arrive, never to n up front). */
static int rd_grow(struct xs_ocf_reader *r, unsigned char **buf, size_t *cap, size_t n)
{
        size_t have = 0;
        while (have < n) {
                size_t step = n - have < (1u << 20) ? n - have : (1u << 20);
                if (have + step > *cap) {
                        size_t ncap = *cap ? *cap : 4096;
                        while (ncap < have + step)
                                ncap *= 2;
                        unsigned char *nb = realloc(*buf, ncap);
                        if (!nb)
                                return -2;
                        *buf = nb;
                        *cap = ncap;
                }
                if (rd(r, *buf + have, step) != 0)
                        return -1;
                have += step;
        }
        return 0;
}

static int read_header(struct xs_ocf_reader *r, char *errstr, size_t errstr_size)
{
        unsigned char magic[4];
        int64_t total = 0;
        char *codec = NULL;
        unsigned char *tmp = NULL;
        size_t tmp_cap = 0;

        if (rd(r, magic, 4) != 0 || memcmp(magic, ocf_magic, 4) != 0) {
                xs_set_err(errstr, errstr_size, "not an Avro object container file (bad magic)");
                goto fail;
        }
        for (;;) {
                int64_t count, bsize;
                if (rd_long(r, &count) != 0)
                        goto truncated;
                if (count == 0)
                        break;
                if (count < 0) {
                        if (count == INT64_MIN || rd_long(r, &bsize) != 0)
                                goto truncated;
                        count = -count;
                }
                for (int64_t i = 0; i < count; i++) {
                        int64_t klen, vlen;
                        char key[64];
                        if (rd_long(r, &klen) != 0)
                                goto truncated;
                        if (klen < 0 || (total += klen) > XS_OCF_MAX_META) {
                                xs_set_err(errstr, errstr_size,
                                           "header metadata key length %" PRId64 " out of range",
                                           klen);
                                goto fail;
                        }
                        if (rd_grow(r, &tmp, &tmp_cap, (size_t)klen) != 0)
                                goto truncated;
                        size_t kn = (size_t)klen < sizeof(key) - 1 ? (size_t)klen : sizeof(key) - 1;
                        if (kn) /* tmp is still NULL after an empty first key */
                                memcpy(key, tmp, kn);
                        key[kn] = '\0';
                        if (rd_long(r, &vlen) != 0)
                                goto truncated;
                        if (vlen < 0 || (total += vlen) > XS_OCF_MAX_META) {
                                xs_set_err(errstr, errstr_size,
                                           "header metadata value length %" PRId64 " out of range",
                                           vlen);
                                goto fail;
                        }
                        if (rd_grow(r, &tmp, &tmp_cap, (size_t)vlen) != 0)
                                goto truncated;
                        char **dst = NULL;
                        if ((size_t)klen == strlen("avro.schema") && !strcmp(key, "avro.schema"))
                                dst = &r->schema_text;
                        else if ((size_t)klen == strlen("avro.codec") && !strcmp(key, "avro.codec"))
                                dst = &codec;
                        if (!dst)
                                continue;
                        free(*dst);
                        *dst = malloc((size_t)vlen + 1);
                        if (!*dst) {
                                xs_set_err(errstr, errstr_size, "out of memory");
                                goto fail;
                        }
                        if (vlen)
                                memcpy(*dst, tmp, (size_t)vlen);
                        (*dst)[vlen] = '\0';
                }
        }
        if (rd(r, r->sync, XS_OCF_SYNC) != 0)
                goto truncated;
        if (!r->schema_text) {
                xs_set_err(errstr, errstr_size, "container header has no avro.schema");
                goto fail;
        }
        if (codec && !strcmp(codec, "deflate")) {
                r->deflate = 1;
        } else if (codec && strcmp(codec, "null") != 0) {
                xs_set_err(errstr, errstr_size, "unsupported container codec \"%.32s\"", codec);
                goto fail;
        }
        avro_set_error("%s", "");
        if (avro_schema_from_json_length(r->schema_text, strlen(r->schema_text), &r->schema)) {
                xs_set_err(errstr, errstr_size, "container schema does not parse: %s",
                           avro_strerror());
                goto fail;
        }
        if (!(r->prog = xs_avro_compile(r->schema))) {
                xs_set_err(errstr, errstr_size, "container schema cannot be compiled");
                goto fail;
        }
        free(codec);
        free(tmp);
        return 0;
truncated:
        xs_set_err(errstr, errstr_size, "container header truncated or malformed at byte %" PRIu64,
                   r->pos);
fail:
        free(codec);
        free(tmp);
        return -1;
}

/* Takes nothing: the caller keeps f. Returns a reader the caller owns (xs_ocf_reader_close). */
struct xs_ocf_reader *xs_ocf_reader_open(FILE *f, char *errstr, size_t errstr_size)
{
        struct xs_ocf_reader *r;

        xs_avro_guard_init(0);
        r = calloc(1, sizeof(*r));
        if (!r) {
                xs_set_err(errstr, errstr_size, "out of memory");
                return NULL;
        }
        r->f = f;
        if (read_header(r, errstr, errstr_size) != 0)
                goto fail;
        return r;
fail:
        xs_ocf_reader_close(r);
        return NULL;
}

const char *xs_ocf_reader_schema(const struct xs_ocf_reader *r)
{
        return r->schema_text;
}

uint64_t xs_ocf_reader_record_no(const struct xs_ocf_reader *r)
{
        return r->record_no;
}

uint64_t xs_ocf_reader_bytes(const struct xs_ocf_reader *r)
{
        return r->pos;
}

void xs_ocf_reader_close(struct xs_ocf_reader *r)
{
        if (!r)
                return;
        xs_avro_prog_free(r->prog);
        if (r->schema)
                avro_schema_decref(r->schema);
        free(r->schema_text);
        free(r->raw);
        free(r->inflated);
        free(r);
}

/* Raw inflate of r->raw[0..n) into r->inflated, at most XS_OCF_MAX_BLOCK bytes. */
static int inflate_block(struct xs_ocf_reader *r, size_t n, char *errstr, size_t errstr_size)
{
        z_stream zs;
        int rc;
        memset(&zs, 0, sizeof(zs));
        if (inflateInit2(&zs, -15) != Z_OK) {
                xs_set_err(errstr, errstr_size, "block %" PRIu64 ": inflate init failed",
                           r->block_no);
                return -1;
        }
        zs.next_in = r->raw;
        zs.avail_in = (uInt)n;
        size_t out = 0;
        do {
                if (out == r->inflated_cap) {
                        size_t ncap = r->inflated_cap ? r->inflated_cap * 2 : 64 * 1024;
                        if (ncap > (size_t)XS_OCF_MAX_BLOCK)
                                ncap = (size_t)XS_OCF_MAX_BLOCK;
                        if (out >= ncap) {
                                xs_set_err(errstr, errstr_size,
                                           "block %" PRIu64 ": inflates to more than %" PRId64
                                           " bytes",
                                           r->block_no, XS_OCF_MAX_BLOCK);
                                goto fail;
                        }
                        unsigned char *nb = realloc(r->inflated, ncap);
                        if (!nb) {
                                xs_set_err(errstr, errstr_size, "out of memory");
                                goto fail;
                        }
                        r->inflated = nb;
                        r->inflated_cap = ncap;
                }
                zs.next_out = r->inflated + out;
                zs.avail_out = (uInt)(r->inflated_cap - out);
                rc = inflate(&zs, Z_NO_FLUSH);
                out = r->inflated_cap - zs.avail_out;
                if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && zs.avail_out == 0)) {
                        xs_set_err(errstr, errstr_size,
                                   "block %" PRIu64 ": corrupt deflate data (%s)", r->block_no,
                                   zs.msg ? zs.msg : "truncated");
                        goto fail;
                }
        } while (rc != Z_STREAM_END);
        inflateEnd(&zs);
        r->data = r->inflated;
        r->data_len = out;
        return 0;
fail:
        inflateEnd(&zs);
        return -1;
}

/* Scans forward for the sync marker after a block whose own marker was missing. 0: found,
 * positioned after it; 1: end of file. */
static int resync(struct xs_ocf_reader *r)
{
        unsigned char win[XS_OCF_SYNC];
        size_t have = 0;
        int c;
        while ((c = fgetc(r->f)) != EOF) {
                r->pos++;
                if (have < XS_OCF_SYNC) {
                        win[have++] = (unsigned char)c;
                } else {
                        memmove(win, win + 1, XS_OCF_SYNC - 1);
                        win[XS_OCF_SYNC - 1] = (unsigned char)c;
                }
                if (have == XS_OCF_SYNC && !memcmp(win, r->sync, XS_OCF_SYNC))
                        return 0;
        }
        return 1;
}

/* Loads the next block: 0 ok, 1 clean end of file, -1 corrupt (errstr set, resynchronized or
 * at the end), -2 I/O error or truncation (errstr set; the reader is at the end). */
static int load_block(struct xs_ocf_reader *r, char *errstr, size_t errstr_size)
{
        int64_t count, size;
        unsigned char sync[XS_OCF_SYNC];
        int rc = rd_long(r, &count);

        r->block_no++;
        if (rc == 1)
                return 1;
        if (rc != 0 || rd_long(r, &size) != 0)
                goto truncated;
        if (count <= 0 || size < 0 || size > XS_OCF_MAX_BLOCK || count > size + 65536) {
                xs_set_err(errstr, errstr_size,
                           "block %" PRIu64 " at byte %" PRIu64 ": count %" PRId64
                           " / size %" PRId64 " out of range",
                           r->block_no, r->pos, count, size);
                goto corrupt;
        }
        rc = rd_grow(r, &r->raw, &r->raw_cap, (size_t)size);
        if (rc == -2) {
                xs_set_err(errstr, errstr_size, "out of memory for block %" PRIu64, r->block_no);
                r->eof = 1;
                return -2;
        }
        if (rc != 0 || rd(r, sync, XS_OCF_SYNC) != 0)
                goto truncated;
        if (memcmp(sync, r->sync, XS_OCF_SYNC) != 0) {
                xs_set_err(errstr, errstr_size,
                           "block %" PRIu64 ": sync marker missing at byte %" PRIu64, r->block_no,
                           r->pos - XS_OCF_SYNC);
                goto corrupt;
        }
        if (r->deflate) {
                if (inflate_block(r, (size_t)size, errstr, errstr_size) != 0)
                        return -1; /* positioned after the sync: the next block is intact */
        } else {
                r->data = r->raw;
                r->data_len = (size_t)size;
        }
        r->data_pos = 0;
        r->block_left = count;
        return 0;
truncated:
        xs_set_err(errstr, errstr_size, "file truncated in block %" PRIu64 " at byte %" PRIu64 "%s",
                   r->block_no, r->pos, ferror(r->f) ? " (read error)" : "");
        r->eof = 1;
        return -2;
corrupt:
        if (resync(r) != 0)
                r->eof = 1;
        return -1;
}

/* *buf points into the reader's block buffer (owned by r), valid until the next call. */
xs_err_t xs_ocf_reader_next(struct xs_ocf_reader *r, const void **buf, size_t *len, int *eof,
                            char *errstr, size_t errstr_size)
{
        char why[256];
        *eof = 0;
        *buf = NULL;
        *len = 0;
        while (r->block_left == 0) {
                if (r->data && r->data_pos != r->data_len) {
                        size_t extra = r->data_len - r->data_pos;
                        r->data_pos = r->data_len;
                        xs_set_err(errstr, errstr_size,
                                   "block %" PRIu64 ": %zu bytes after its last record",
                                   r->block_no, extra);
                        return XS_ERR_DECODE;
                }
                if (r->eof) {
                        *eof = 1;
                        return XS_OK;
                }
                int rc = load_block(r, errstr, errstr_size);
                if (rc == 1) {
                        r->eof = 1;
                        *eof = 1;
                        return XS_OK;
                }
                if (rc == -1) {
                        r->data = NULL;
                        return XS_ERR_DECODE;
                }
                if (rc == -2) {
                        r->data = NULL;
                        return XS_ERR_IO;
                }
        }
        size_t consumed = 0;
        /* a block that claims records but holds no bytes has no buffer: validate against
         * nothing (it fails as truncated), never offset a null pointer */
        static const unsigned char none[1];
        const unsigned char *at = r->data ? r->data + r->data_pos : none;
        if (xs_avro_validate_prog(r->prog, at, r->data ? r->data_len - r->data_pos : 0, &consumed,
                                  why, sizeof(why)) != 0) {
                xs_set_err(errstr, errstr_size, "block %" PRIu64 ", record %" PRIu64 ": %s",
                           r->block_no, r->record_no + 1, why);
                r->block_left = 0;
                r->data_pos = r->data_len; /* skip the rest of the block */
                r->record_no++;
                return XS_ERR_DECODE;
        }
        *buf = at;
        *len = consumed;
        r->data_pos += consumed;
        r->block_left--;
        r->record_no++;
        return XS_OK;
}

/*
 * Writer.
 */
struct xs_ocf_writer {
        FILE *f;
        unsigned char sync[XS_OCF_SYNC];
        unsigned char *block;
        size_t block_len, block_cap;
        int64_t block_count;
        int failed;
};

static size_t put_long(unsigned char *p, int64_t v)
{
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        size_t n = 0;
        while (z & ~(uint64_t)0x7f) {
                p[n++] = (unsigned char)((z & 0x7f) | 0x80);
                z >>= 7;
        }
        p[n++] = (unsigned char)z;
        return n;
}

static int wr(struct xs_ocf_writer *w, const void *p, size_t n)
{
        if (n && fwrite(p, 1, n, w->f) != n)
                w->failed = 1;
        return w->failed ? -1 : 0;
}

static int wr_long(struct xs_ocf_writer *w, int64_t v)
{
        unsigned char tmp[10];
        return wr(w, tmp, put_long(tmp, v));
}

static int wr_str(struct xs_ocf_writer *w, const char *s)
{
        size_t n = strlen(s);
        return wr_long(w, (int64_t)n) || wr(w, s, n);
}

/* FNV-1a 64, twice with different offsets: the sync marker depends only on the schema text. */
static void derive_sync(const char *text, unsigned char sync[XS_OCF_SYNC])
{
        uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
        for (int k = 0; k < 2; k++) {
                for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
                        h[k] ^= *p;
                        h[k] *= 0x100000001b3ULL;
                }
                for (int i = 0; i < 8; i++)
                        sync[k * 8 + i] = (unsigned char)(h[k] >> (8 * i));
        }
}

/* Takes nothing: the caller keeps f and schema_json. Returns a writer the caller owns
 * (xs_ocf_writer_close). */
struct xs_ocf_writer *xs_ocf_writer_open(FILE *f, const char *schema_json, char *errstr,
                                         size_t errstr_size)
{
        struct xs_ocf_writer *w = calloc(1, sizeof(*w));
        if (!w) {
                xs_set_err(errstr, errstr_size, "out of memory");
                return NULL;
        }
        w->f = f;
        derive_sync(schema_json, w->sync);
        if (wr(w, ocf_magic, 4) || wr_long(w, 2) || wr_str(w, "avro.codec") || wr_str(w, "null") ||
            wr_str(w, "avro.schema") || wr_str(w, schema_json) || wr_long(w, 0) ||
            wr(w, w->sync, XS_OCF_SYNC)) {
                xs_set_err(errstr, errstr_size, "cannot write the container header: %s",
                           strerror(errno));
                goto fail;
        }
        return w;
fail:
        free(w);
        return NULL;
}

static xs_err_t flush_block(struct xs_ocf_writer *w)
{
        if (w->block_count == 0)
                return w->failed ? XS_ERR_IO : XS_OK;
        wr_long(w, w->block_count);
        wr_long(w, (int64_t)w->block_len);
        wr(w, w->block, w->block_len);
        wr(w, w->sync, XS_OCF_SYNC);
        w->block_len = 0;
        w->block_count = 0;
        return w->failed ? XS_ERR_IO : XS_OK;
}

/* rec is copied; the caller keeps it. */
xs_err_t xs_ocf_writer_append(struct xs_ocf_writer *w, const void *rec, size_t len)
{
        if (w->block_len + len > w->block_cap) {
                size_t ncap = w->block_cap ? w->block_cap : XS_OCF_FLUSH_SIZE;
                while (ncap < w->block_len + len)
                        ncap *= 2;
                unsigned char *nb = realloc(w->block, ncap);
                if (!nb)
                        return XS_ERR_NOMEM;
                w->block = nb;
                w->block_cap = ncap;
        }
        if (len)
                memcpy(w->block + w->block_len, rec, len);
        w->block_len += len;
        w->block_count++;
        if (w->block_len >= XS_OCF_FLUSH_SIZE || w->block_count >= XS_OCF_FLUSH_RECS)
                return flush_block(w);
        return w->failed ? XS_ERR_IO : XS_OK;
}

/* Frees w (not f) in every case. */
xs_err_t xs_ocf_writer_close(struct xs_ocf_writer *w)
{
        if (!w)
                return XS_OK;
        xs_err_t err = flush_block(w);
        if (err == XS_OK && fflush(w->f) != 0)
                err = XS_ERR_IO;
        free(w->block);
        free(w);
        return err;
}
