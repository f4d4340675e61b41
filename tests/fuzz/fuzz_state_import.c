/*
 * Fuzz target: bytes as a per-customer state record -> xs_engine_customer_import. Any input is
 * accepted or rejected with XS_ERR_DECODE; an accepted customer is exported again and then
 * driven by an event, so restored state is also used, not only parsed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_engine.h"
#include "xsell/xsell.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        struct xs_engine *eng = fuzz_engine(0);
        xs_err_t rc = xs_engine_customer_import(eng, data, size, err, sizeof(err));
        if (rc == XS_ERR_DECODE || rc == XS_ERR_NOMEM)
                return 0;
        if (rc != XS_OK)
                abort();
        /* the record names its customer; find it by exporting every id is not possible, so
         * drive a fixed event for the id stored after the 4-byte magic */
        size_t n = size > 4 ? data[4] >> 1 : 0; /* zig-zag varint length (short ids) */
        if (n == 0 || 5 + n > size)
                return 0;
        char id[128];
        if (n >= sizeof(id))
                return 0;
        for (size_t i = 0; i < n; i++)
                id[i] = (char)data[5 + i];
        id[n] = '\0';
        unsigned char *buf = NULL;
        size_t len = 0;
        if (xs_engine_customer_export(eng, id, &buf, &len) == XS_OK)
                free(buf);
        struct xs_line_item li = {.product_id = "p", .quantity = 1, .unit_price = 100};
        struct xs_event ev = {.event_id = "e",
                              .customer_id = id,
                              .event_time = 1700000000000,
                              .type = XS_EV_PURCHASE,
                              .items = &li,
                              .n_items = 1};
        xs_engine_process(eng, &ev, err, sizeof(err));
        return 0;
}
