/*
 * Fuzz target: bytes as a file of JSON lines of customer events (and the same bytes as catalog
 * products) -> the reader loop to the end (tests/fuzz/reader_harness.h), and every decoded event
 * through the engine: it is processed or rejected, never a crash.
 */
#include "reader_harness.h"
#include "xsell/engine.h"

static void through_engine(const struct xs_event *ev)
{
        /* the engine lives across inputs; its caps keep it bounded */
        static struct xs_engine *eng;
        char err[512];
        if (!eng) {
                struct xs_conf *conf = xs_conf_new();
                eng = xs_engine_new(conf, NULL, err, sizeof(err));
                xs_conf_destroy(conf);
        }
        if (eng) {
                xs_err_t e = xs_engine_process(eng, ev, err, sizeof(err));
                if (e != XS_OK && e != XS_ERR_INVALID)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        harness_event_hook = through_engine;
        run(data, size, "", XS_FMT_JSONL, XS_KIND_EVENT);
        run(data, size, "", XS_FMT_JSONL, XS_KIND_PRODUCT);
        return 0;
}
