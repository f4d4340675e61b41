/*
 * Fuzz target: bytes as a whole Avro object container file (through fmemopen) -> every record
 * read with our reader and decoded as an event and as a product with the header's schema.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/ocf.h"
#include "xsell/codec.h"

/* One codec per input, destroyed before returning, so LeakSanitizer checks each input exactly. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        if (size == 0)
                return 0;
        FILE *f = fmemopen((void *)data, size, "rb");
        if (!f)
                return 0;
        struct xs_codec *codec = xs_codec_new(err, sizeof(err));
        if (!codec)
                abort();
        struct xs_ocf_reader *r = xs_ocf_reader_open(f, err, sizeof(err));
        if (!r)
                goto done;
        struct xs_wschema *wev =
            xs_wschema_new(XS_KIND_EVENT, xs_ocf_reader_schema(r), err, sizeof(err));
        struct xs_wschema *wpr =
            xs_wschema_new(XS_KIND_PRODUCT, xs_ocf_reader_schema(r), err, sizeof(err));
        for (int i = 0; i < 100000; i++) {
                const void *rec;
                size_t len;
                int eof = 0;
                xs_err_t e = xs_ocf_reader_next(r, &rec, &len, &eof, err, sizeof(err));
                if (e == XS_ERR_IO || (e == XS_OK && eof))
                        break;
                if (e == XS_ERR_DECODE)
                        continue;
                if (e != XS_OK)
                        abort();
                struct xs_event ev;
                struct xs_product p;
                if (wev)
                        xs_codec_decode_event(codec, wev, rec, len, &ev, err, sizeof(err));
                if (wpr)
                        xs_codec_decode_product(codec, wpr, rec, len, &p, err, sizeof(err));
        }
        xs_wschema_destroy(wev);
        xs_wschema_destroy(wpr);
        xs_ocf_reader_close(r);
done:
        xs_codec_destroy(codec);
        fclose(f);
        return 0;
}
