#!/usr/bin/env bash
# Restarts under at-least-once: a second `xsell run` in the same group rebuilds its state by
# replaying the partition up to the committed offset ("restored"), then goes on from there, so
# that the offers of both runs together are exactly those of `xsell replay` on all the events:
# no gap, no input offset skipped; repeats are allowed (and counted). The same after a SIGTERM
# in the middle of a stream: a graceful stop (exit 0), and the next run completes the output.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 31 --events 3000 --customers 300 --products 200 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
replay_ids "$TMP/ev.jsonl" "$TMP/cat.jsonl" >"$TMP/want"
start_broker 1 -t customer-events,product-catalog,offers,events-2,offers-2
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null

# -- stop and restart between two halves of the input --
ku produce "$B" customer-events "$TMP/ev.jsonl" --count 1500 2>/dev/null
xrun r1 -X application.id=halves || fail "first run: $(tail -5 "$TMP/r1.err")"
[ "$(consumed r1)" = 1500 ] || fail "first run consumed $(consumed r1)"
ku produce "$B" customer-events "$TMP/ev.jsonl" --from 1500 2>/dev/null
xrun r2 -X application.id=halves || fail "second run: $(tail -5 "$TMP/r2.err")"
grep -q "restored 1500 events" "$TMP/r2.err" ||
        fail "second run did not restore: $(grep -v '^%' "$TMP/r2.err")"
[ "$(consumed r2)" = 1500 ] || fail "second run consumed $(consumed r2), not the 1500 new events"
ok "second run restored 1500 events by replay and consumed the other 1500"
topic_ids offers >"$TMP/got"
sort -u "$TMP/got" >"$TMP/got.u"
diff "$TMP/want" "$TMP/got.u" >"$TMP/diff" ||
        fail "offers of the two runs differ from xsell replay: $(head "$TMP/diff")"
ok "union of both runs' offers = xsell replay of all events ($(wc -l <"$TMP/want") offers, $(($(wc -l <"$TMP/got") - $(wc -l <"$TMP/got.u"))) repeats)"

# -- SIGTERM while the input is flowing --
# the events arrive at 1,500 a second; the first run gets SIGTERM once it has had 10 offers
# acknowledged (printed)
S=(-X application.id=sigterm -X topic.events=events-2 -X topic.offers=offers-2)
xrun_bg s1 "${S[@]}" -X run.idle_exit=0 --print json
S1=$XPID
wait_for "$TMP/s1.err" "assigned" 20 || fail "s1 not assigned: $(cat "$TMP/s1.err")"
ku produce "$B" events-2 "$TMP/ev.jsonl" --rate 1500 2>/dev/null &
PROD=$!
PIDS+=("$PROD")
wait_for_lines "$TMP/s1.out" 10 20 || fail "s1 printed no offers: $(grep -v '^%' "$TMP/s1.err")"
kill -TERM "$S1"
set +e
wait "$S1"
rc=$?
set -e
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc: $(grep -v '^%' "$TMP/s1.err" | tail -5)"
c1=$(consumed s1)
[ "$c1" -gt 0 ] || fail "s1 consumed nothing before SIGTERM: $(grep -v '^%' "$TMP/s1.err")"
wait "$PROD" || fail "paced producer failed"
ok "SIGTERM after $c1 of 3000 events: graceful exit 0"
[ "$c1" -lt 3000 ] || echo "# note: SIGTERM came after the last event (not mid-stream)"
xrun s2 "${S[@]}" || fail "run after SIGTERM: $(tail -5 "$TMP/s2.err")"
c2=$(consumed s2)
grep -q "restored $c1 events" "$TMP/s2.err" || [ "$c1" = 0 ] ||
        fail "run after SIGTERM did not restore $c1 events: $(grep -v '^%' "$TMP/s2.err")"
[ $((c1 + c2)) -ge 3000 ] || fail "consumed $c1 + $c2 < 3000: an input offset was skipped"
topic_ids offers-2 >"$TMP/got2"
sort -u "$TMP/got2" >"$TMP/got2.u"
diff "$TMP/want" "$TMP/got2.u" >"$TMP/diff2" ||
        fail "offers around a SIGTERM differ from xsell replay: $(head "$TMP/diff2")"
ok "after the SIGTERM a second run restored $c1 events, consumed $c2; union = xsell replay ($(($(wc -l <"$TMP/got2") - $(wc -l <"$TMP/got2.u"))) repeats)"
done_testing
