# Shared by the tests/cli_kafka_*.sh tests, on top of lib_cli.sh: an `xsell mock-broker` on
# loopback (real TCP), the independent client tests/kafka_util.py (Debian's
# python3-confluent-kafka, hence /usr/bin/python3 and not the first python3 on PATH), and
# cleanup of every process a test started.
# Usage in a test: source "$(dirname "$0")/lib_kafka.sh" "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh" "$@"
KPY=/usr/bin/python3
KU="$SRC/tests/kafka_util.py"
PIDS=()
cleanup() {
        local p
        for p in "${PIDS[@]}"; do
                kill "$p" 2>/dev/null || true
        done
        for _ in $(seq 30); do
                jobs -rp | grep -q . || break
                sleep 0.1
        done
        for p in $(jobs -rp); do
                kill -9 "$p" 2>/dev/null || true
        done
        wait 2>/dev/null || true
        [ -n "${KEEP:-}" ] && echo "kept $TMP" && return
        rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE # so that cleanup runs when the test itself is stopped
# a command failing under set -e says where, instead of ending the test in silence
set -E
trap '[[ $- != *e* ]] || echo "FAIL: ${BASH_SOURCE[0]##*/} line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
if ! [ -x "$KPY" ] || ! "$KPY" "$KU" ok 2>/dev/null; then
        echo "# skip: $KPY cannot import confluent_kafka (apt-get install python3-confluent-kafka)"
        done_testing
        exit 0
fi
ku() { "$KPY" "$KU" "$@"; }

# gen ARGS...: xsell generate, failing loudly
gen() {
        "$XSELL" generate "$@" 2>"$TMP/generate.err" || fail "xsell generate: $(cat "$TMP/generate.err")"
}

# start_broker PARTITIONS [mock-broker options...]: sets B (bootstrap) and BROKER_PID; its
# stderr goes to $TMP/broker.N.err (N counts the brokers of a test from 1)
NBROKERS=0
start_broker() {
        local parts="$1"
        shift
        NBROKERS=$((NBROKERS + 1))
        local out="$TMP/broker.$NBROKERS.out"
        "$XSELL" mock-broker -p "$parts" "$@" >"$out" 2>"$TMP/broker.$NBROKERS.err" &
        BROKER_PID=$!
        PIDS+=("$BROKER_PID")
        local i
        for i in $(seq 100); do
                # the background shell may not have created $out yet: not an error
                B="$(sed -n 's/^bootstrap.servers=//p' "$out" 2>/dev/null || true)"
                [ -n "$B" ] && return 0
                sleep 0.1
        done
        fail "mock-broker did not start: $(cat "$TMP/broker.$NBROKERS.err")"
}

# Common settings of `xsell run` against the mock: a quick rebalance, no librdkafka warnings
# about consumer-only keys on the producer, and the HTTP endpoint on an ephemeral port (tests
# run several instances at once; the default port 9464 may be taken).
RUNX=(-X kafka.session.timeout.ms=6000 -X kafka.heartbeat.interval.ms=500 -X kafka.log_level=3
        -X http.port=0)

# xrun NAME [args...]: `xsell run` in the foreground, stderr to $TMP/NAME.err; returns its status
xrun() {
        local name="$1"
        shift
        "$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=1s --print none \
                "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
}

# xrun_bg NAME [args...]: the same in the background; sets XPID
xrun_bg() {
        local name="$1"
        shift
        "$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" --print none \
                "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
        XPID=$!
        PIDS+=("$XPID")
}

# wait_for FILE REGEX SECONDS
wait_for() {
        local i
        for i in $(seq $(($3 * 10))); do
                grep -qE "$2" "$1" 2>/dev/null && return 0
                sleep 0.1
        done
        return 1
}

# wait_for_lines FILE N SECONDS: until FILE has N lines
wait_for_lines() {
        local i
        for i in $(seq $(($3 * 20))); do
                [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
                sleep 0.05
        done
        return 1
}

# offer ids of `xsell replay EVENTS -c CATALOG`, one a line, sorted
replay_ids() {
        "$XSELL" replay "$1" -c "$2" -q | sed -n 's/^{"offer_id":"\([^"]*\)".*/\1/p' | sort
}

# offer ids in the offers topic (by kafka_util.py), one a line, sorted, repeats kept
topic_ids() {
        ku consume "$B" "${1:-offers}" --mode offers --eof --idle 5 |
                "$KPY" -c 'import json,sys; [print(json.loads(l)["offer_id"]) for l in sys.stdin]' | sort
}

# net_assigned NAME: partitions assigned minus revoked, from a run's log (its messages
# "assigned N partition(s)" and "revoked N partition(s)")
net_assigned() {
        { grep -oE '(assigned|revoked) [0-9]+ partition' "$TMP/$1.err" || true; } |
                awk '$1 == "assigned" {n += $2} $1 == "revoked" {n -= $2} END {print n + 0}'
}

# "consumed N" of a run's summary
consumed() {
        sed -n 's/.*summary: consumed \([0-9]*\),.*/\1/p' "$TMP/$1.err"
}

# offer_norm: offers (JSON lines on stdin: replay's with items, or --print json's with
# products) as "id customer type stage rule products", sorted
offer_norm() {
        "$PY" -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    items = o.get("products") or [i["product_id"] for i in o["items"]]
    print(o["offer_id"], o["customer_id"], o["type"], o["stage"], o["rule"], ",".join(items))
' | sort
}
