/*
 * Fuzz target: bytes as a file of JSON lines of customer events (and the same bytes as catalog
 * products) -> the reader loop to the end (tests/fuzz/reader_harness.h), and every decoded event
 * through the engine: it is processed or rejected, never a crash, and accepted only with valid,
 * bounded strings (tests/fuzz/engine_oracle.h).
 */
#include "engine_oracle.h"
#include "reader_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        harness_event_hook = oracle_through_engine;
        run(data, size, "", XS_FMT_JSONL, XS_KIND_EVENT);
        run(data, size, "", XS_FMT_JSONL, XS_KIND_PRODUCT);
        return 0;
}
