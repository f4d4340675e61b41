#!/usr/bin/env bash
# Issue 11: the offers depend on the input alone. Three runs of `xsell demo` over 4 partitions
# (the consumer interleaves them differently each time) give identical offers, the same as
# `xsell replay` on 1 partition and on 4 (murmur2 by customer id, as the demo's producer
# partitions) and in any interleaving of those; and `xsell run` over 3 partitions, fed by an
# independent producer while it runs, gives them too. Sealed-pane visibility is what does it
# (README "Same offers on any number of partitions").
source "$(dirname "$0")/lib_kafka.sh" "$@"

# under sanitizers (several times slower) 12,000 events: still over 500 offers
events=30000
[ -z "$SANITIZED" ] || events=12000
gen --seed 61 --events $events --customers $((events / 10)) --products 400 -o "$TMP/g.jsonl" \
        --catalog "$TMP/cat.jsonl"

"$XSELL" replay "$TMP/g.jsonl" -c "$TMP/cat.jsonl" --drain 1h -q | offer_norm >"$TMP/replay1.txt"
n=$(wc -l <"$TMP/replay1.txt")
[ "$n" -gt 500 ] || fail "replay made only $n offers"
for args in "--partitions 4" "--partitions 4 --interleave 11" "--partitions 3 --interleave 12"; do
        # shellcheck disable=SC2086 # the arguments are words
        "$XSELL" replay "$TMP/g.jsonl" -c "$TMP/cat.jsonl" --drain 1h -q $args | offer_norm >"$TMP/r.txt"
        cmp -s "$TMP/replay1.txt" "$TMP/r.txt" ||
                fail "replay $args differs from 1 partition: $(diff "$TMP/replay1.txt" "$TMP/r.txt" | head -4)"
done
ok "replay: the same $n offers on 1, 3 and 4 partitions, in any interleaving"

for i in 1 2 3; do
        "$XSELL" demo -e "$TMP/g.jsonl" -c "$TMP/cat.jsonl" -X demo.partitions=4 -X http.port=0 \
                -X kafka.log_level=3 --print json -q >"$TMP/demo.$i.json" 2>"$TMP/demo.$i.err" ||
                fail "demo $i: $(tail -3 "$TMP/demo.$i.err")"
        offer_norm <"$TMP/demo.$i.json" >"$TMP/demo.$i.txt"
        cmp -s "$TMP/replay1.txt" "$TMP/demo.$i.txt" ||
                fail "demo $i differs from replay: $(diff "$TMP/replay1.txt" "$TMP/demo.$i.txt" | head -4)"
done
ok "three demos over 4 partitions: identical offers, the same as replay's"

# an independent producer writes 3 partitions while `xsell run` consumes them
start_broker 3
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
xrun_bg run -X run.idle_exit=3s -X window.idle_seal=2s --print json
ku produce "$B" customer-events "$TMP/g.jsonl" 2>"$TMP/produce.err" || fail "produce: $(cat "$TMP/produce.err")"
wait "$XPID" || fail "xsell run: $(grep -v '^%' "$TMP/run.err" | tail -5)"
offer_norm <"$TMP/run.out" >"$TMP/run.txt"
# and what the topic holds: the same ids, each once
topic_ids | uniq -d >"$TMP/dup.txt"
[ ! -s "$TMP/dup.txt" ] || fail "offers written twice: $(head -3 "$TMP/dup.txt")"
[ "$(topic_ids | wc -l)" -eq "$n" ] || fail "the offers topic does not hold $n offers"
cmp -s "$TMP/replay1.txt" "$TMP/run.txt" ||
        fail "run on 3 partitions differs from replay: $(diff "$TMP/replay1.txt" "$TMP/run.txt" | head -4)"
grep -q "summary: consumed $events," "$TMP/run.err" || fail "run: $(grep summary "$TMP/run.err")"
ok "run over 3 partitions, fed while it runs: replay's offers"

done_testing
