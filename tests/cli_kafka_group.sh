#!/usr/bin/env bash
# Two `xsell run` in one consumer group on a 4-partition topic share the events between them:
# each consumes some, together all, and no offer is produced twice. The events are loaded with
# `xsell produce`, and read back by the independent client to check the framing (magic byte 0,
# schema id 1) and that every field survived our encoder.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 21 --events 3000 --customers 300 --products 200 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
start_broker 4
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null

# idle_exit counts from the last rebalance: long enough to produce the input after the group settled
G=(-X application.id=grp -X run.idle_exit=6s)
xrun_bg a "${G[@]}"
A=$XPID
wait_for "$TMP/a.err" "assigned" 20 || fail "instance a not assigned: $(cat "$TMP/a.err")"
xrun_bg b "${G[@]}"
BP=$XPID
# settled: both own partitions, 4 in all (cooperative-sticky moves 2 from a to b; the mock
# delays a rebalance by session.timeout.ms - 1 s)
for _ in $(seq 250); do
        na=$(net_assigned a)
        nb=$(net_assigned b)
        [ "$na" -gt 0 ] && [ "$nb" -gt 0 ] && [ $((na + nb)) -eq 4 ] && break
        sleep 0.1
done
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] && [ $((na + nb)) -eq 4 ] ||
        fail "group did not settle: a has $na, b has $nb partitions"
ok "two instances in group grp, $na and $nb of 4 partitions"

"$XSELL" produce -X kafka.bootstrap.servers="$B" -X kafka.log_level=3 "$TMP/ev.jsonl" \
        2>"$TMP/produce.err" || fail "xsell produce: $(cat "$TMP/produce.err")"
grep -q "3000 records to customer-events" "$TMP/produce.err" || fail "$(cat "$TMP/produce.err")"
ku consume "$B" customer-events --mode events --eof >"$TMP/events.read"
"$KPY" - "$TMP/ev.jsonl" "$TMP/events.read" <<'PYEOF' || fail "xsell produce framing or content wrong"
import json, sys
want = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    want[e["event_id"]] = e
n = 0
for l in open(sys.argv[2]):
    r = json.loads(l)
    assert r["magic"] == 0 and r["schema_id"] == 1 and r["trailing"] == 0, r
    e = r["event"]
    assert r["key"] == e["customer_id"], r
    assert e == want[e["event_id"]], (e, want[e["event_id"]])
    n += 1
assert n == len(want), (n, len(want))
PYEOF
ok "xsell produce: 3000 records, magic byte 0, schema id 1, keyed by customer_id, every field decodes as written"

wait "$A" || fail "instance a failed: $(tail -5 "$TMP/a.err")"
wait "$BP" || fail "instance b failed: $(tail -5 "$TMP/b.err")"
ca=$(consumed a)
cb=$(consumed b)
[ "$ca" -gt 0 ] && [ "$cb" -gt 0 ] && [ $((ca + cb)) -eq 3000 ] ||
        fail "consumed $ca + $cb, not 3000 split between two"
ok "both instances consumed events: $ca + $cb = 3000"
# the partitions fill one after the other: stream time must wait for the other partitions of the
# burst instead of jumping ahead to the first one's newest event and making the rest late
la=$(sed -n 's/.*, late \([0-9]*\),.*/\1/p' "$TMP/a.err")
lb=$(sed -n 's/.*, late \([0-9]*\),.*/\1/p' "$TMP/b.err")
[ "$la" = 0 ] && [ "$lb" = 0 ] || fail "late events: $la and $lb"
ok "no event counted late by either instance"

topic_ids offers >"$TMP/got"
dups=$(uniq -d "$TMP/got" | wc -l)
[ "$dups" -eq 0 ] || fail "$dups offer ids appear twice"
ngroup=$(wc -l <"$TMP/got")
[ "$ngroup" -gt 0 ] || fail "no offers"
ok "$ngroup offers, no offer id twice"

# A single instance on the same 4 partitions. The counts need not be equal: with several
# partitions the interleaving differs from file order (and between runs), and each instance of
# a group counts co-occurrence only on what it consumes (README), so scores near a threshold
# can tip either way. Allow 10% (at least 5).
xrun single -X application.id=single -X topic.offers=offers-single ||
        fail "single instance failed: $(tail -5 "$TMP/single.err")"
nsingle=$(topic_ids offers-single | wc -l)
nreplay=$(replay_ids "$TMP/ev.jsonl" "$TMP/cat.jsonl" | wc -l)
diff=$((ngroup > nsingle ? ngroup - nsingle : nsingle - ngroup))
tol=$((nsingle / 10 > 5 ? nsingle / 10 : 5))
echo "# group $ngroup, single $nsingle, replay $nreplay"
[ "$diff" -le "$tol" ] || fail "group made $ngroup offers, one instance $nsingle (tolerance $tol)"
ok "group $ngroup offers, single instance $nsingle, replay of the file $nreplay (within $tol)"
done_testing
