#!/usr/bin/env bash
# Issue 10 item 8 on `xsell mock-broker`, 4 partitions and 8,000 events: when the group's
# committed offset is beyond the log end (the topic was recreated or truncated), the restore
# on start used to wait up to 600 s for records that do not exist. Now it sees the log end,
# says so, sets the group's offset to the log start (auto.offset.reset=earliest), restores the
# other partitions and goes on: those partitions are read from the beginning, the run ends in
# seconds with exit 0, and its commits bring the group back to the end (librdkafka alone never
# commits below the committed offset: every start would read them again).
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 53 --events 8000 --customers 600 --products 200 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
start_broker 4
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" 2>/dev/null
xrun first || fail "first run: $(grep -v '^%' "$TMP/first.err" | tail -5)"
ku committed "$B" xsell customer-events >"$TMP/committed"
awk '$2 != $3 {bad = 1} END {exit bad}' "$TMP/committed" || fail "first run did not commit to the end: $(cat "$TMP/committed")"
ok "first run committed every partition to its end: $(tr '\n' ' ' <"$TMP/committed")"

# a recreated topic, as the group sees it: partitions 0 and 1 committed far beyond their end
ku commit "$B" xsell customer-events 0 900000 1 900000
read -r _ c0 e0 < <(sed -n 1p "$TMP/committed")
read -r _ c1 e1 < <(sed -n 2p "$TMP/committed")
start=$(date +%s)
timeout 120 "$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=3s \
        --print none >"$TMP/second.out" 2>"$TMP/second.err" ||
        fail "second run: exit $? after $(($(date +%s) - start)) s: $(grep -v '^%' "$TMP/second.err" | tail -5)"
took=$(($(date +%s) - start))
[ "$took" -lt 60 ] || fail "second run took $took s"
for p in 0 1; do
        grep -q "committed offset 900000 of customer-events \[$p\] is beyond its log end .*set to the log start" "$TMP/second.err" ||
                fail "no warning for partition $p: $(grep -v '^%' "$TMP/second.err" | head -5)"
done
grep -q "restoring state from 2 partition(s)" "$TMP/second.err" || fail "$(grep restor "$TMP/second.err")"
[ "$(consumed second)" = $((e0 + e1)) ] || fail "consumed $(consumed second), want $((e0 + e1)) (partitions 0 and 1 again)"
ku committed "$B" xsell customer-events >"$TMP/committed2"
diff "$TMP/committed" "$TMP/committed2" >/dev/null || fail "not committed back to the end: $(cat "$TMP/committed2")"
ok "restart in $took s, exit 0: partitions 0 and 1 named as beyond their end and read again ($(consumed second) events), 2 and 3 restored"
xrun third || fail "third run: $(grep -v '^%' "$TMP/third.err" | tail -5)"
[ "$(consumed third)" = 0 ] || fail "third run consumed $(consumed third) again"
! grep -q "beyond its log end" "$TMP/third.err" || fail "third run still beyond the end"
ok "a further restart reads nothing again"
done_testing
