#!/usr/bin/env bash
# Issue 10 item 1: records dated in the year 9000 in the middle of the stream are dead-lettered
# and move no stream time, so the events after them are not late: one the contract rejected
# anyway (no line items: it moved the Kafka runtime's time before the engine saw it) and a valid
# one (rejected now as more than event.max_ahead ahead of stream time, in replay too). `xsell
# run` on one partition counts what `xsell replay` of the same file counts, and publishes the
# same offers.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 51 --events 3000 --customers 150 --products 150 -o "$TMP/g.jsonl" \
        --catalog "$TMP/cat.jsonl"
{
        head -n 1500 "$TMP/g.jsonl"
        echo '{"event_id":"x","customer_id":"x","event_time":221845392000000,"type":"PRODUCT_VIEW","items":[]}'
        sed -n 1501,2000p "$TMP/g.jsonl"
        echo '{"event_id":"y","customer_id":"y","event_time":221845392000000,"type":"PRODUCT_VIEW","items":[{"product_id":"1000018","quantity":1,"unit_price":6099}]}'
        tail -n +2001 "$TMP/g.jsonl"
} >"$TMP/ev.jsonl"

"$XSELL" replay -q "$TMP/ev.jsonl" -c "$TMP/cat.jsonl" -o /dev/null --summary "$TMP/replay.sum" \
        2>/dev/null || fail "replay failed"
rline=$(grep '^events processed' "$TMP/replay.sum")
echo "$rline" | grep -q "late 0, rejected 2$" || fail "replay: $rline"
grep -q "no_items=0 too_far_ahead=2" "$TMP/replay.sum" || fail "replay: $(grep rejected "$TMP/replay.sum")"
ok "replay: the valid year-9000 event is rejected as too far ahead, no event late ($rline)"

start_broker 1
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" 2>/dev/null
xrun run || fail "xsell run: $(grep -v '^%' "$TMP/run.err" | tail -5)"
grep -q "dead letters 2," "$TMP/run.err" || fail "$(grep 'summary: consumed' "$TMP/run.err")"
grep -q "rejected 2, late 0," "$TMP/run.err" || fail "run: $(grep 'events processed' "$TMP/run.err")"
ok "run: both year-9000 events are dead-lettered and no event is late"

replay_ids "$TMP/ev.jsonl" "$TMP/cat.jsonl" >"$TMP/want"
topic_ids offers >"$TMP/got"
[ -s "$TMP/want" ] || fail "no offers"
diff "$TMP/want" "$TMP/got" >"$TMP/diff" || fail "offers differ from xsell replay: $(head "$TMP/diff")"
ok "offers = xsell replay of the same file ($(wc -l <"$TMP/got"))"
done_testing
