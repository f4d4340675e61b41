#!/usr/bin/env bash
# Replicas beyond the partition count (README "Deploy", the chart's NOTES): two `xsell run` in
# one group on a one-partition events topic. Both are ready (/readyz 200, xsell_ready 1) and
# live; one holds the partition (xsell_assigned_partitions 1) and consumes every event, the other
# holds none (xsell_assigned_partitions 0) and consumes nothing. When the busy one stops
# (SIGTERM: it leaves the group), the idle one takes the partition over and consumes what
# follows.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 5 --events 400 --customers 50 --products 40 -o "$TMP/ev.jsonl" --catalog "$TMP/cat.jsonl"
head -200 "$TMP/ev.jsonl" >"$TMP/ev1.jsonl"
tail -n +201 "$TMP/ev.jsonl" >"$TMP/ev2.jsonl"
start_broker 1 -t customer-events,product-catalog,offers,xsell-dead-letters
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null

# port NAME: the port of a run, from its "listening on" log line
port() {
        local i p
        for i in $(seq 100); do
                p=$(sed -n 's/.*"listening on 127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$TMP/$1.err" 2>/dev/null | head -1 || true)
                [ -n "$p" ] && echo "$p" && return 0
                sleep 0.1
        done
        fail "$1: no 'listening on' line: $(tail -3 "$TMP/$1.err")"
}
# metric NAME SERIES: a series' value from the run's /metrics ("none" if absent), strictly parsed
metric() {
        curl -s -m 5 -o "$TMP/$1.prom" "http://127.0.0.1:${PORTS[$1]}/metrics" || fail "$1: /metrics unreachable"
        "$PY" "$SRC/tests/prom_parse.py" "$TMP/$1.prom" >"$TMP/$1.json" 2>"$TMP/$1.perr" ||
                fail "$1: /metrics does not parse: $(cat "$TMP/$1.perr")"
        "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("none" if v is None else int(v))' \
                "$TMP/$1.json" "$2"
}
status() { # NAME PATH: the HTTP status of a run's endpoint
        curl -s -m 5 -o "$TMP/$1.body" -w '%{http_code}' "http://127.0.0.1:${PORTS[$1]}$2" || echo 000
}

declare -A PORTS RUNPID
for r in r1 r2; do
        xrun_bg "$r" -X shutdown.timeout=3s -X commit.interval=200ms
        RUNPID[$r]=$XPID
        PORTS[$r]=$(port "$r")
done
# until both are ready and the partition has a holder
busy="" idle=""
for _ in $(seq 300); do
        a1=$(metric r1 xsell_assigned_partitions) a2=$(metric r2 xsell_assigned_partitions)
        if [ "$(status r1 /readyz)" = 200 ] && [ "$(status r2 /readyz)" = 200 ] && [ $((a1 + a2)) = 1 ]; then
                [ "$a1" = 1 ] && busy=r1 idle=r2 || busy=r2 idle=r1
                break
        fi
        sleep 0.1
done
[ -n "$busy" ] || fail "not both ready with the partition held once: r1 $(status r1 /readyz) $(cat "$TMP/r1.body") assigned $a1, r2 $(status r2 /readyz) $(cat "$TMP/r2.body") assigned $a2"
[ "$(cat "$TMP/$idle.body")" = ok ] || fail "$idle /readyz: $(cat "$TMP/$idle.body")"
[ "$(metric "$idle" xsell_ready)" = 1 ] && [ "$(status "$idle" /livez)" = 200 ] ||
        fail "the idle replica: xsell_ready $(metric "$idle" xsell_ready), /livez $(status "$idle" /livez)"
ok "one partition, two replicas: both /readyz 200; $busy holds it (xsell_assigned_partitions 1), $idle none (0, xsell_ready 1, /livez 200)"

ku produce "$B" customer-events "$TMP/ev1.jsonl" --kind event 2>/dev/null
n=""
for _ in $(seq 200); do
        n=$(metric "$busy" 'xsell_records_consumed_total{topic="customer-events"}')
        [ "$n" = 200 ] && break
        sleep 0.1
done
[ "$n" = 200 ] || fail "$busy consumed $n of 200"
m=$(metric "$idle" 'xsell_records_consumed_total{topic="customer-events"}')
[ "$m" = 0 ] || [ "$m" = none ] || fail "the idle replica consumed $m events"
[ "$(metric "$idle" xsell_assigned_partitions)" = 0 ] || fail "$idle now holds a partition"
ok "$busy consumed the 200 events, the idle $idle none"

kill -TERM "${RUNPID[$busy]}"
wait "${RUNPID[$busy]}" || fail "$busy exited $? on SIGTERM: $(tail -3 "$TMP/$busy.err")"
a=""
for _ in $(seq 300); do
        a=$(metric "$idle" xsell_assigned_partitions)
        [ "$a" = 1 ] && break
        sleep 0.1
done
[ "$a" = 1 ] || fail "$idle did not take the partition over after $busy left: assigned $a"
ku produce "$B" customer-events "$TMP/ev2.jsonl" --kind event 2>/dev/null
for _ in $(seq 200); do
        n=$(metric "$idle" 'xsell_records_consumed_total{topic="customer-events"}')
        [ "$n" = 200 ] && break
        sleep 0.1
done
[ "$n" = 200 ] || fail "$idle consumed $n of the 200 events after taking over"
[ "$(status "$idle" /readyz)" = 200 ] || fail "$idle /readyz after the takeover: $(cat "$TMP/$idle.body")"
ok "$busy stopped (SIGTERM, left the group): $idle took the partition over (assigned 1), consumed the next 200 events, still ready"
done_testing
