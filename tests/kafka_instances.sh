#!/usr/bin/env bash
# Issue 11: instances share what they learn (state.share_panes=true: the internal panes topic)
# and hand partitions over with their customers and staged panes (the customers changelog).
# Over 4 partitions and input flowing at a steady rate: instances a and b split the partitions,
# a third, c, joins mid-stream, then a leaves. The union of the offers the three print is
# exactly `xsell replay`'s, by offer id and content, every repeat identical; each partition that
# moved brought its staged panes along (changelog_stages_restored). Two controls show the
# checks can fail: with state.share_panes=false the offers differ, and cross-sells learned from
# orders only another instance processed are missing.
#
# Not in the suite yet: it passes most runs, but in some a few offers (up to 20 of 232) differ.
# Every such run had a member lose its session (the embedded broker refuses a commit sent while
# another member joins with ILLEGAL_GENERATION, which librdkafka takes as the assignment lost),
# and with seal markers that wait for the changelog (state.durable_markers) it still happens
# when the group thrashes (README "Internal topics", what is not there yet). Run it by hand:
#   bash tests/kafka_instances.sh build/xsell . ../shared/data
source "$(dirname "$0")/lib_kafka.sh" "$@"

# 2 days over 4 partitions: each partition has panes staged, not sealed (window.pane 5 min,
# window.allowed_lateness 10 min) when c joins and when a leaves
gen --seed 81 --events 12000 --customers 1200 --products 300 --days 2 -o "$TMP/g.jsonl" \
        --catalog "$TMP/cat.jsonl"
"$XSELL" replay "$TMP/g.jsonl" -c "$TMP/cat.jsonl" -q >"$TMP/replay.jsonl"
offer_norm <"$TMP/replay.jsonl" >"$TMP/want.txt"
n=$(wc -l <"$TMP/want.txt")
[ "$n" -ge 200 ] || fail "replay made only $n offers"

# union NAME: the offers a run set printed, each once (NAME.txt); with shared panes a repeat
# (an offer made again after a partition moved) must be identical: two contents under one id fail
union() {
        cat "$TMP/$1".*.out | offer_norm | sort -u >"$TMP/$1.txt"
        local dup
        dup=$(cut -d' ' -f1 "$TMP/$1.txt" | uniq -d | head -3)
        [ "$1" != shared ] || [ -z "$dup" ] || fail "$1: offer ids printed with different contents: $dup"
}

# instances NAME TOPIC [args...]: a and b, the input paced over ~24 s, c joining after a third
# of it, a leaving after two thirds
instances() {
        local name="$1" topic="$2"
        shift 2
        local G=(-X application.id="$name" -X topic.events="$topic" -X topic.offers="$topic-offers"
                --print json "$@")
        xrun_bg "$name.a" "${G[@]}" -X run.idle_exit=0
        local a=$XPID
        wait_for "$TMP/$name.a.err" "assigned [1-9]" 30 || fail "$name.a not assigned"
        xrun_bg "$name.b" "${G[@]}" -X run.idle_exit=15s
        local b=$XPID
        for _ in $(seq 150); do
                [ "$(net_assigned "$name.a")" = 2 ] && [ "$(net_assigned "$name.b")" = 2 ] && break
                sleep 0.2
        done
        [ "$(net_assigned "$name.b")" = 2 ] ||
                fail "$name: partitions not split 2 + 2: $(net_assigned "$name.a") + $(net_assigned "$name.b")"
        ku produce "$B" "$topic" "$TMP/g.jsonl" --rate 500 2>"$TMP/$name.produce.err" &
        local prod=$!
        PIDS+=("$prod")
        sleep 8
        xrun_bg "$name.c" "${G[@]}" -X run.idle_exit=15s
        local c=$XPID
        for _ in $(seq 150); do
                [ "$(net_assigned "$name.c")" -ge 1 ] && break
                sleep 0.2
        done
        [ "$(net_assigned "$name.c")" -ge 1 ] || fail "$name.c was given no partition"
        sleep 6
        kill -TERM "$a"
        wait "$a" || fail "$name.a did not stop cleanly: $(grep -v '^%' "$TMP/$name.a.err" | tail -3)"
        wait "$prod" || fail "producer: $(cat "$TMP/$name.produce.err")"
        wait "$b" || fail "$name.b: $(grep -v '^%' "$TMP/$name.b.err" | tail -3)"
        wait "$c" || fail "$name.c: $(grep -v '^%' "$TMP/$name.c.err" | tail -3)"
        union "$name"
}

# the topics of both runs, and their internal topics, partitioned like the input
topics=product-catalog
for t in shared alone; do
        topics+=,ev-$t,ev-$t-offers,$t-customers-changelog,$t-cooccurrence-panes
done
start_broker 4 -t "$topics,journey-signals,offer-outcomes,xsell-dead-letters"
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null

instances shared ev-shared -X state.share_panes=true
moved=$(cat "$TMP"/shared.[bc].err | sed -n 's/.*"changelog_stages_restored":\([0-9]*\).*/\1/p' |
        awk '{s += $1} END {print s + 0}')
[ "$moved" -ge 2 ] || fail "partitions moved without their staged panes: $moved restored"
if ! cmp -s "$TMP/want.txt" "$TMP/shared.txt"; then
        lost=$(comm -23 "$TMP/want.txt" "$TMP/shared.txt" | wc -l)
        extra=$(comm -13 "$TMP/want.txt" "$TMP/shared.txt" | wc -l)
        fail "three instances differ from replay ($n offers): $lost missing or changed, $extra extra or changed: $(diff "$TMP/want.txt" "$TMP/shared.txt" | head -4)"
fi
ok "a, b, then c joining and a leaving, over 4 partitions: together replay's $n offers, by id and content ($moved staged pane sets moved)"

instances alone ev-alone -X state.share_panes=false
cmp -s "$TMP/want.txt" "$TMP/alone.txt" &&
        fail "without shared panes the instances still made replay's offers: the test cannot tell"
# cross-sells that need another instance's orders: made with shared panes, not without
{ grep CROSS_SELL "$TMP/shared.txt" || true; } | cut -d' ' -f2- | sort >"$TMP/x_shared.txt"
{ grep CROSS_SELL "$TMP/alone.txt" || true; } | cut -d' ' -f2- | sort >"$TMP/x_alone.txt"
comm -23 "$TMP/x_shared.txt" "$TMP/x_alone.txt" >"$TMP/only_shared.txt"
[ -s "$TMP/only_shared.txt" ] || fail "no cross-sell needed another instance's orders"
ok "the control: with state.share_panes=false the offers differ; $(wc -l <"$TMP/only_shared.txt") cross-sells came from another instance's orders"
done_testing
