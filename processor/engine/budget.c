/* The memory budget: what the engine's state holds, and the over-budget state; see budget.h. */
#include "engine/budget.h"

#include "engine/catalog.h"
#include "engine/customer.h"
#include "engine/engine_ctx.h"
#include "engine/journey.h"
#include "engine/reorder.h"
#include "engine/stepped.h"
#include "engine/window.h"
#include "util/conf_int.h"
#include "util/intern.h"
#include "util/pool.h"

/* The duplicate suppression at its full dedup.capacity from the start: it cannot give way to
 * the budget (forgetting ids early would let duplicates through), so it is reserved, and a
 * budget too small for it is refused when the engine starts. */
static uint64_t dedup_bytes(const struct xs_engine *eng)
{
        uint64_t cap = (uint64_t)(eng->p->dedup_capacity > 0 ? eng->p->dedup_capacity : 0);
        uint64_t held = eng->dedup_pool.bytes;
        /* a walk of the pool's chunk sizes: done once (xs_budget_check keeps it) */
        uint64_t reserved = eng->dedup_reserved ? eng->dedup_reserved
                                                : xs_pool_bytes_for(&eng->dedup_pool, (size_t)cap);
        return (held > reserved ? held : reserved) + XS_HASH_TABLE_BYTES(eng->dedup) +
               cap * sizeof(*eng->dedup_fifo);
}

/* Everything but the customer store. */
static uint64_t rest_bytes(const struct xs_engine *eng)
{
        uint64_t dedup = dedup_bytes(eng);
        return sizeof(*eng) + xs_window_bytes(eng->window) + xs_stepped_bytes(eng) +
               xs_intern_bytes(eng->products) + xs_catalog_bytes(eng->catalog) +
               xs_reorder_bytes(eng->reorder) + eng->cap_timers * sizeof(struct xs_timer) + dedup +
               eng->cand_bytes + eng->cap_scratch * sizeof(*eng->scratch) +
               eng->cap_dirty * sizeof(*eng->dirty) + eng->cap_gone * sizeof(*eng->gone) +
               eng->gone_bytes;
}

uint64_t xs_budget_bytes(const struct xs_engine *eng)
{
        return rest_bytes(eng) + xs_customer_store_bytes(eng);
}

void xs_budget_check(struct xs_engine *eng)
{
        if (!eng->dedup_reserved && eng->p->dedup_capacity > 0)
                eng->dedup_reserved =
                    xs_pool_bytes_for(&eng->dedup_pool, (size_t)eng->p->dedup_capacity);
        uint64_t rest = rest_bytes(eng);
        uint64_t total = rest + xs_customer_store_bytes(eng);
        eng->mem_rest = rest;
        eng->st.memory_bytes = total;
        if (total > eng->st.memory_bytes_peak)
                eng->st.memory_bytes_peak = total;
        int over = eng->p->memory_budget > 0 && total > (uint64_t)eng->p->memory_budget;
        if (over != eng->over_budget) {
                eng->over_budget = over;
                xs_window_refuse_new(eng->window, over);
        }
}
