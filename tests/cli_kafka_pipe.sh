#!/usr/bin/env bash
# Issue 12 defect 5: `xsell run` prints offers only when asked (--print; they carry customer
# ids), and when it prints into a pipe, each offer comes through as it is acknowledged, while
# the process runs (it was block-buffered: 24 of 46 offers appeared only at exit).
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 31 --events 3000 --customers 300 --products 200 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
start_broker 2 -t customer-events,product-catalog,offers,offers-b,xsell-dead-letters
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" 2>/dev/null

# no --print: nothing on stdout, the offers on the topic
"$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=3s \
        -X application.id=pipe-quiet -X topic.offers=offers-b >"$TMP/quiet.out" 2>"$TMP/quiet.err" ||
        fail "xsell run: $(tail -5 "$TMP/quiet.err")"
nb=$(ku consume "$B" offers-b --mode offers --eof | wc -l)
[ "$nb" -gt 0 ] || fail "no offers produced"
[ ! -s "$TMP/quiet.out" ] || fail "xsell run printed without --print: $(head -2 "$TMP/quiet.out")"
ok "xsell run without --print: $nb offers on the topic, nothing on stdout"

# --print json into a pipe, the process left running (run.idle_exit=0): every offer on the topic
# is on the pipe before the process is stopped
mkfifo "$TMP/pipe"
cat "$TMP/pipe" >"$TMP/printed" &
CATPID=$!
PIDS+=("$CATPID")
"$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" --print json >"$TMP/pipe" \
        2>"$TMP/run.err" &
XPID=$!
PIDS+=("$XPID")
n=0 printed=0
for _ in $(seq 60); do
        sleep 1
        kill -0 "$XPID" 2>/dev/null || fail "xsell run exited early: $(tail -5 "$TMP/run.err")"
        n=$(ku consume "$B" offers --mode offers --eof --idle 2 | wc -l)
        printed=$(wc -l <"$TMP/printed")
        [ "$n" -gt 0 ] && [ "$printed" -eq "$n" ] && [ "$n" -ge "$nb" ] && break
done
[ "$n" -ge "$nb" ] && [ "$printed" -eq "$n" ] ||
        fail "while running: $printed offers on the pipe, $n on the topic (of $nb)"
kill -0 "$XPID" 2>/dev/null || fail "xsell run is not running any more"
"$KPY" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/printed" ||
        fail "printed lines are not JSON"
ok "--print json on a pipe: all $n offers arrived while xsell run was still running"
kill -TERM "$XPID"
wait "$XPID" || fail "xsell run did not stop cleanly on SIGTERM: $(tail -5 "$TMP/run.err")"
wait "$CATPID" || true
[ "$(wc -l <"$TMP/printed")" -eq "$n" ] || fail "more offers printed at exit"
ok "nothing more came at exit"
done_testing
