/*
 * Fuzz target: bytes -> xs_codec_decode_product with our writer schema; a record that decodes
 * must encode and decode again to the same product id and tombstone flag.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xsell/codec.h"

/* One codec per input, destroyed before returning, so LeakSanitizer checks each input exactly. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        struct xs_product p;
        static unsigned char out[1 << 17];
        size_t len;
        char *id = NULL;
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        if (!codec)
                abort();
        xs_err_t e = xs_codec_decode_product(codec, NULL, data, size, &p, err, sizeof(err));
        if (e != XS_OK && e != XS_ERR_DECODE && e != XS_ERR_INVALID)
                abort();
        if (e != XS_OK)
                goto done;
        int tomb = xs_codec_last_tombstone(codec);
        if (xs_codec_encode_product_ex(codec, &p, tomb, out, sizeof(out), &len) != XS_OK)
                goto done;
        if (!(id = strdup(p.product_id)))
                abort();
        if (xs_codec_decode_product(codec, NULL, out, len, &p, err, sizeof(err)) != XS_OK ||
            strcmp(id, p.product_id) != 0 || xs_codec_last_tombstone(codec) != tomb)
                abort();
done:
        free(id);
        xs_codec_destroy(codec);
        return 0;
}
