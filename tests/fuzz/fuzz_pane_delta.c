/*
 * Fuzz target: bytes as a pane delta from the internal panes topic -> xs_pane_delta_decode.
 * Any input is decoded or refused (-1); a decoded delta must encode to bytes that decode to the
 * same delta, and is then folded into a stepped engine and stepped over, so what a broken or
 * hostile record could carry is also applied, not only parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_engine.h"
#include "xsell/xsell.h"

static int same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct xs_engine *eng = fuzz_engine(1);
        struct xs_pane_delta d;
        if (xs_pane_delta_decode(data, size, &d) != 0)
                return 0;
        size_t len = 0;
        unsigned char *again = xs_pane_delta_encode(&d, &len);
        if (!again)
                abort();
        struct xs_pane_delta e;
        if (xs_pane_delta_decode(again, len, &e) != 0)
                abort();
        if (e.pane_start != d.pane_start || e.pane_end != d.pane_end ||
            e.n_entries != d.n_entries || e.n_products != d.n_products ||
            memcmp(e.tx, d.tx, sizeof(e.tx)) != 0)
                abort();
        for (size_t i = 0; i < d.n_entries; i++)
                if (!same_str(d.entries[i].a, e.entries[i].a) ||
                    !same_str(d.entries[i].b, e.entries[i].b) ||
                    memcmp(d.entries[i].rel, e.entries[i].rel, sizeof(d.entries[i].rel)) != 0)
                        abort();
        for (size_t i = 0; i < d.n_products; i++)
                if (!same_str(d.products[i].id, e.products[i].id) ||
                    !same_str(d.products[i].category, e.products[i].category) ||
                    !same_str(d.products[i].brand, e.products[i].brand) ||
                    d.products[i].price != e.products[i].price)
                        abort();
        free((void *)e.entries);
        free(again);
        /* applied: a new partition each time (no repeats), folded by stepping over it */
        static uint32_t part;
        xs_engine_pane_add(eng, part++ % 4096, &d);
        if (d.pane_end > 1000000000000 && d.pane_end < 2000000000000 &&
            d.pane_end - d.pane_start == 3600000)
                xs_engine_step(eng, d.pane_end);
        free((void *)d.entries);
        return 0;
}
