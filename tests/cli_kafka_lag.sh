#!/usr/bin/env bash
# Issue 12: xsell_consumer_lag under processing.guarantee=exactly_once and for the catalog topic.
# librdkafka's own consumer_lag is measured from the committed offset: exactly_once commits
# through the producer's transactions and the catalog's consumer never commits, so both were
# missing from /metrics. The lag is now taken from the stored offset, else the end less the
# position: every partition of the events and the catalog topics has a series, and it is 0 once
# everything is read (the input was produced before the start, so there was a backlog).
source "$(dirname "$0")/lib_kafka.sh" "$@"
PP="$SRC/tests/prom_parse.py"

gen --seed 5 --events 1500 --customers 200 --products 120 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
N=$(wc -l <"$TMP/ev.jsonl")
start_broker 2 -t customer-events,product-catalog,offers,xsell-dead-letters
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" --kind event 2>/dev/null

xrun_bg run -X processing.guarantee=exactly_once -X application.id=lag \
        -X kafka.transactional.id=lag -X kafka.statistics.interval.ms=200 -X commit.interval=200ms
PORT=
for i in $(seq 100); do
        PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/run.err" | head -1)
        [ -n "$PORT" ] && break
        kill -0 "$XPID" 2>/dev/null || fail "xsell run exited: $(tail -5 "$TMP/run.err")"
        sleep 0.1
done
[ -n "$PORT" ] || fail "no 'listening on' line: $(tail -5 "$TMP/run.err")"

# lags: every xsell_consumer_lag sample of a strictly parsed scrape, "topic/partition=value"
lags() {
        curl -s -m 10 -o "$TMP/m.prom" "http://127.0.0.1:$PORT/metrics" || return 0
        "$PY" "$PP" "$TMP/m.prom" >"$TMP/m.json" 2>"$TMP/m.perr" ||
                fail "/metrics does not parse: $(cat "$TMP/m.perr")"
        "$PY" - "$TMP/m.json" <<'PYEOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
out = []
for k, v in d.items():
    m = re.fullmatch(r'xsell_consumer_lag\{topic="([^"]*)",partition="(\d+)"\}', k)
    if m:
        out.append("%s/%s=%d" % (m.group(1), m.group(2), int(v)))
print(" ".join(sorted(out)))
PYEOF
}
want="customer-events/0=0 customer-events/1=0 product-catalog/0=0 product-catalog/1=0"
got=
for i in $(seq 150); do
        got=$(lags)
        [ "$got" = "$want" ] && break
        sleep 0.2
done
[ "$got" = "$want" ] || fail "consumer lag under exactly_once: '$got', want '$want'"
grep -q "summary" "$TMP/run.err" && fail "run ended early"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(int(d["xsell_records_consumed_total{topic=\"customer-events\"}"]) != int(sys.argv[2]))' \
        "$TMP/m.json" "$N" || fail "not every event consumed"
ok "exactly_once: xsell_consumer_lag is 0 on both partitions of the events and the catalog topics after the $N events"

# a backlog shows: more events while the run goes on, and the lag comes back to 0
gen --seed 6 --events 600 --customers 50 --products 120 -o "$TMP/ev2.jsonl"
ku produce "$B" customer-events "$TMP/ev2.jsonl" --kind event 2>/dev/null
for i in $(seq 150); do
        got=$(lags)
        [ "$got" = "$want" ] && break
        sleep 0.2
done
[ "$got" = "$want" ] || fail "consumer lag after more events: '$got'"
ok "the lag returns to 0 after 600 more events"

kill -TERM "$XPID"
wait "$XPID" || fail "xsell run exited $?: $(tail -3 "$TMP/run.err")"
done_testing
