#!/usr/bin/env bash
# Issue 11: two instances share what they learn through the internal panes topic
# (`<application.id>-cooccurrence-panes`, state.share_panes=true). Over 4 partitions, two instances of one group each
# own two; every pane is visible to both once every partition has sealed it, so together they
# make exactly the offers of `xsell replay` (by id and content), and each makes cross-sells
# learned from orders only the other one processed. With state.share_panes=false each instance
# learns from its own partitions only, and the offers differ (the control).
#
# Experimental, not in the suite (state.share_panes is off by default): it passed 3 runs of 4
# on this machine; the failing run differed in a few offers (an open question for the next
# step of issue 11) and a run takes 30-130 s. Run it by hand:
#   bash tests/kafka_instances_experimental.sh build/xsell . ../shared/data
source "$(dirname "$0")/lib_kafka.sh" "$@"

# 3 days: instances catching up on a backlog step in lockstep, one pane per round trip of their
# seal markers (README "Internal topics")
gen --seed 81 --events 20000 --customers 2000 --products 300 --days 3 -o "$TMP/g.jsonl" \
        --catalog "$TMP/cat.jsonl"
"$XSELL" replay "$TMP/g.jsonl" -c "$TMP/cat.jsonl" -q >"$TMP/replay.jsonl"
offer_norm <"$TMP/replay.jsonl" >"$TMP/want.txt"
n=$(wc -l <"$TMP/want.txt")

two_instances() { # NAME [args...]: both instances, then the events; union of what they print
        local name="$1"
        shift
        xrun_bg "$name.a" -X application.id="$name" -X run.idle_exit=12s \
                --print json "$@"
        local a=$XPID
        wait_for "$TMP/$name.a.err" "assigned" 30 || fail "$name.a not assigned"
        xrun_bg "$name.b" -X application.id="$name" -X run.idle_exit=12s \
                --print json "$@"
        local b=$XPID
        for i in $(seq 100); do
                [ "$(net_assigned "$name.a")" = 2 ] && [ "$(net_assigned "$name.b")" = 2 ] && break
                sleep 0.2
        done
        [ "$(net_assigned "$name.a")" = 2 ] && [ "$(net_assigned "$name.b")" = 2 ] ||
                fail "$name: partitions not split 2 + 2: $(net_assigned "$name.a") + $(net_assigned "$name.b")"
        ku produce "$B" "$TOPIC" "$TMP/g.jsonl" 2>/dev/null
        wait "$a" || fail "$name.a: $(grep -v '^%' "$TMP/$name.a.err" | tail -3)"
        wait "$b" || fail "$name.b: $(grep -v '^%' "$TMP/$name.b.err" | tail -3)"
        cat "$TMP/$name.a.out" "$TMP/$name.b.out" | offer_norm >"$TMP/$name.txt"
}

start_broker 4 -t customer-events,product-catalog,offers,events-2,offers-2
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null

TOPIC=customer-events two_instances shared -X state.share_panes=true
cmp -s "$TMP/want.txt" "$TMP/shared.txt" ||
        fail "two instances differ from replay: $(diff "$TMP/want.txt" "$TMP/shared.txt" | head -4)"
grep -q "panes_received" "$TMP/shared.a.err" || true
ok "two instances over 4 partitions: together replay's $n offers, by id and content"

TOPIC=events-2 two_instances alone -X topic.events=events-2 -X topic.offers=offers-2 -X state.share_panes=false
cmp -s "$TMP/want.txt" "$TMP/alone.txt" && fail "without shared panes the instances still made replay's offers: the test cannot tell"
# cross-sells that need the other instance's orders: made with shared panes, not without
{ grep CROSS_SELL "$TMP/shared.txt" || true; } | cut -d' ' -f2- | sort >"$TMP/x_shared.txt"
{ grep CROSS_SELL "$TMP/alone.txt" || true; } | cut -d' ' -f2- | sort >"$TMP/x_alone.txt"
comm -23 "$TMP/x_shared.txt" "$TMP/x_alone.txt" >"$TMP/only_shared.txt"
[ -s "$TMP/only_shared.txt" ] || fail "no cross-sell needed the other instance's orders"
ok "the control: with state.share_panes=false the offers differ; $(wc -l <"$TMP/only_shared.txt") cross-sells came from the other instance's orders"
done_testing
