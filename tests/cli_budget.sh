#!/usr/bin/env bash
# Issue 10 item 9: memory.budget from the command line. A budget below what the engine holds
# before any event, or a size in ambiguous units, stops with a clear message; long customer ids
# count against the budget, and a budget that bites evicts customers, says so in the summaries
# and keeps the accounted peak within the slack of one event (budget.h).
source "$(dirname "$0")/lib_cli.sh" "$@"

awk -v L=2048 'BEGIN {
        pad = ""; for (i = 0; i < L; i++) pad = pad "x"
        for (i = 1; i <= 3000; i++)
                printf "{\"event_id\":\"e%d\",\"customer_id\":\"%s\",\"event_time\":%.0f,\"type\":\"PRODUCT_VIEW\",\"items\":[{\"product_id\":\"p%d\",\"quantity\":1,\"unit_price\":1000,\"category\":\"c\"}]}\n", i, substr(i "-" pad, 1, L), 1700000000000 + i * 1000, i % 50
}' >"$TMP/long.jsonl"

if "$XSELL" replay -q -X event.max_id_bytes=4096 -X memory.budget=1MiB "$TMP/long.jsonl" -o /dev/null 2>"$TMP/err"; then
        fail "a 1 MiB budget was accepted"
fi
grep -q "memory.budget 1MiB is below what the engine holds before any event" "$TMP/err" ||
        fail "no clear message for a budget below the engine's own: $(cat "$TMP/err")"
ok "a budget below the engine's fixed memory is refused with a clear message"

if "$XSELL" replay -q -X event.max_id_bytes=4096 -X memory.budget=1GB "$TMP/long.jsonl" -o /dev/null 2>"$TMP/err"; then
        fail "1GB (ambiguous) was accepted"
fi
grep -q 'memory.budget: invalid size "1GB"' "$TMP/err" || fail "unclear message: $(cat "$TMP/err")"
ok "an ambiguous unit is refused"

# no budget: the accounted bytes include every id
"$XSELL" replay -q -X event.max_id_bytes=4096 -X memory.budget=0 "$TMP/long.jsonl" -o /dev/null --summary "$TMP/free.json" \
        --summary-format json
# a budget 2 MiB above the engine's fixed bytes (the dedup ring and pair table of these caps)
: >"$TMP/empty.jsonl"
fixed=$("$XSELL" replay -q -X memory.budget=0 "$TMP/empty.jsonl" -o /dev/null --summary - \
        --summary-format json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["counters"]["memory_bytes"])')
budget=$((fixed + 2 * 1024 * 1024))
# the peak within one event's slack: with window.visibility=immediate, where each event's cells
# come alone; sealed visibility folds a pane's cells at once (checked below)
"$XSELL" replay -q -X event.max_id_bytes=4096 -X memory.budget="$budget" -X window.visibility=immediate \
        "$TMP/long.jsonl" -o /dev/null --summary "$TMP/bit.json" --summary-format json
"$XSELL" replay -q -X event.max_id_bytes=4096 -X memory.budget="$budget" "$TMP/long.jsonl" -o /dev/null \
        --summary "$TMP/sealed.json" --summary-format json
"$XSELL" replay -q -X event.max_id_bytes=4096 -X memory.budget="$budget" "$TMP/long.jsonl" -o /dev/null \
        --summary "$TMP/bit.txt"
"$PY" - "$TMP/free.json" "$TMP/bit.json" "$budget" "$TMP/sealed.json" <<'PYEOF' || fail "budget figures wrong"
import json, sys
free = json.load(open(sys.argv[1]))["counters"]
bit = json.load(open(sys.argv[2]))["counters"]
budget = int(sys.argv[3])
# 3,000 ids of 2 KB: at least 6 MB more than the engine's fixed bytes
assert free["memory_bytes"] >= budget - 2 * 1024 * 1024 + 3000 * 2048, free
assert free["customers_live"] == 3000 and free["memory_customers_evicted"] == 0, free
assert bit["memory_customers_evicted"] > 1500, bit
assert bit["customers_live"] == 3000 - bit["memory_customers_evicted"], bit
assert bit["customers_evicted"] == 0, bit
assert bit["memory_bytes_peak"] <= budget + 128 * 1024, (bit, budget)
# sealed visibility (the default): the budget bites the same way; a folded pane's cells (here
# 5 minutes of views, ~300 events) come at once, so the peak may pass it by one pane's worth
sealed = json.load(open(sys.argv[4]))["counters"]
assert sealed["memory_customers_evicted"] > 1500, sealed
assert sealed["panes_folded"] > 0, sealed
assert sealed["memory_bytes_peak"] <= budget + 1024 * 1024, (sealed, budget)
PYEOF
ok "long ids count; the budget evicts customers and the peak stays within its slack"
grep -q "^memory: [0-9]* bytes held, peak [0-9]*$" "$TMP/bit.txt" || fail "no memory line"
grep -q "^memory.budget bit: customers evicted [1-9]" "$TMP/bit.txt" ||
        fail "text summary does not say the budget bit: $(cat "$TMP/bit.txt")"
ok "the text summary shows the memory held and that the budget bit"
done_testing
