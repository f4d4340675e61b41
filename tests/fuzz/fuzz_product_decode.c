/*
 * Fuzz target: bytes -> xs_codec_decode_product with our writer schema; a record that decodes
 * must encode and decode again to the same product id and tombstone flag.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xsell/codec.h"

static struct xs_codec *codec;

/* Frees the codec at exit, so LeakSanitizer's exit check sees only real leaks (avro-c lays out
 * generic values with pointers LSan cannot always follow while they are live). */
static void cleanup(void)
{
        xs_codec_destroy(codec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        struct xs_product p;
        if (!codec) {
                if (!(codec = xs_codec_new(err, sizeof(err))))
                        abort();
                atexit(cleanup);
        }
        xs_err_t e = xs_codec_decode_product(codec, NULL, data, size, &p, err, sizeof(err));
        if (e != XS_OK && e != XS_ERR_DECODE && e != XS_ERR_INVALID)
                abort();
        if (e != XS_OK || p.n_upgrades + p.n_downgrades > 1000)
                return 0;
        int tomb = xs_codec_last_tombstone(codec);
        static unsigned char out[1 << 17];
        size_t len;
        if (xs_codec_encode_product_ex(codec, &p, tomb, out, sizeof(out), &len) != XS_OK)
                return 0;
        char *id = strdup(p.product_id);
        if (!id)
                abort();
        if (xs_codec_decode_product(codec, NULL, out, len, &p, err, sizeof(err)) != XS_OK ||
            strcmp(id, p.product_id) != 0 || xs_codec_last_tombstone(codec) != tomb)
                abort();
        free(id);
        return 0;
}
