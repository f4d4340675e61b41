/*
 * Fuzz target: bytes as a file of REES46 CSV rows (after the real header, and as given) -> the
 * reader loop to the end (tests/fuzz/reader_harness.h). CSV readers only hand out positive
 * quantities; every event goes through the engine, which accepts it only with valid, bounded
 * strings (tests/fuzz/engine_oracle.h).
 */
#include "engine_oracle.h"
#include "reader_harness.h"

static void positive_quantities(const struct xs_event *ev)
{
        for (size_t i = 0; i < ev->n_items; i++)
                if (ev->items[i].quantity <= 0)
                        abort();
        oracle_through_engine(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        harness_event_hook = positive_quantities;
        run(data, size,
            "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,"
            "user_session\n",
            XS_FMT_REES46, XS_KIND_EVENT);
        /* detection too, but not into Avro containers: fuzz_ocf covers those */
        if (!(size >= 4 && memcmp(data, "Obj\x01", 4) == 0))
                run(data, size, "", XS_FMT_AUTO, XS_KIND_EVENT);
        return 0;
}
