#!/usr/bin/env bash
# Issue 10 item 11: `xsell run --print json` prints one valid JSON object a line, whatever the ids
# hold: a customer id with a quote, a backslash and a newline is escaped, not pasted.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 51 --events 1500 --customers 150 --products 150 -o "$TMP/g.jsonl" \
        --catalog "$TMP/cat.jsonl"
# every customer id gets a quote, a backslash and a newline
sed -E 's/"customer_id":"([0-9]+)"/"customer_id":"\1\\"q\\\\b\\nl"/' "$TMP/g.jsonl" >"$TMP/ev.jsonl"
grep -qF '\"q\\b\nl"' "$TMP/ev.jsonl" || fail "ids not rewritten"

start_broker 1
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" 2>/dev/null
xrun run --print json || fail "xsell run: $(grep -v '^%' "$TMP/run.err" | tail -5)"
[ -s "$TMP/run.out" ] || fail "nothing printed"
"$KPY" - "$TMP/run.out" <<'PYEOF' || fail "--print json lines are not JSON: $(head -2 "$TMP/run.out")"
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["customer_id"].endswith('"q\\b\nl'), o["customer_id"]
    assert o["products"] and o["type"] and o["offer_id"], o
    n += 1
print("# %d offers printed" % n)
PYEOF
ok "--print json: one valid JSON object a line, ids with quote, backslash and newline escaped"
done_testing
