/*
 * Fuzz target: bytes as a partition's stage from the customers changelog ->
 * xs_engine_stage_import (changelog.c hands it what a stage record carries). Any input is
 * imported or refused (-1, leaving the stage empty); an imported stage must export to bytes
 * that import again, and is then sealed, so what a broken or hostile record could carry is
 * also applied and folded, not only parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_engine.h"
#include "xsell/xsell.h"

static void sealed(void *opaque, uint32_t part, const struct xs_pane_delta *d)
{
        struct xs_engine *eng = opaque;
        if (xs_engine_pane_add(eng, part, d) < 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint32_t part;
        char err[256];
        struct xs_engine *eng = fuzz_engine(1);
        part = (part + 1) % 1024; /* a new partition each time: no repeats */
        if (xs_engine_stage_import(eng, part, data, size, err, sizeof(err)) != 0) {
                /* refused: nothing half imported */
                unsigned char *buf = NULL;
                size_t len = 0;
                if (xs_engine_stage_export(eng, part, &buf, &len) != 0 || len != 8)
                        abort();
                free(buf);
                return 0;
        }
        unsigned char *buf = NULL;
        size_t len = 0;
        if (xs_engine_stage_export(eng, part, &buf, &len) != 0)
                abort();
        if (xs_engine_stage_import(eng, part, buf, len, err, sizeof(err)) != 0)
                abort();
        unsigned char *again = NULL;
        size_t len2 = 0;
        if (xs_engine_stage_export(eng, part, &again, &len2) != 0 || len2 != len)
                abort();
        free(again);
        free(buf);
        /* sealed and folded: the step passes every pane it held */
        if (xs_engine_seal(eng, part, 4000000000000, sealed, eng) != 0)
                abort();
        xs_engine_step(eng, 4000000000000);
        xs_engine_stage_drop(eng, part);
        return 0;
}
