/*
 * Fuzz target: bytes as a file of UCI Online Retail CSV (after the real header, and as given; also
 * as Groceries baskets) -> the reader loop to the end (tests/fuzz/reader_harness.h). CSV readers
 * only hand out positive quantities; every event goes through the engine, which accepts it only
 * with valid, bounded strings (tests/fuzz/engine_oracle.h).
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
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n",
            XS_FMT_RETAIL, XS_KIND_EVENT);
        run(data, size, "", XS_FMT_RETAIL, XS_KIND_EVENT); /* maybe gzip */
        run(data, size, "", XS_FMT_GROCERIES, XS_KIND_EVENT);
        return 0;
}
