#!/usr/bin/env bash
# xsell run against a Schema Registry (a stdlib-Python fake speaking the REST contract on
# loopback): input events written with an evolved writer schema (a field added with a default,
# an optional field dropped) are fetched by id and decoded by field name; the offer schema is
# registered under offers-value as the exact .avsc text and every offer carries its id; a record
# with an id the registry does not know is dead-lettered.
source "$(dirname "$0")/lib_cli.sh" "$@"
PYD=/usr/bin/python3
if ! "$PYD" -c 'import confluent_kafka' 2>/dev/null; then
        echo "# skip: Debian's python3-confluent-kafka is not installed"
        done_testing
        exit 0
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

"$XSELL" mock-broker -p 1 >"$TMP/broker.txt" 2>"$TMP/broker.err" &
pids+=($!)
"$PYD" "$SRC/tests/fake_registry.py" "$TMP/registry.port" "$TMP/registry.log" &
pids+=($!)
for _ in $(seq 50); do [ -s "$TMP/broker.txt" ] && [ -s "$TMP/registry.port" ] && break; sleep 0.1; done
B=$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.txt")
R="http://127.0.0.1:$(cat "$TMP/registry.port")"
[ -n "$B" ] || fail "no broker"

"$XSELL" generate --seed 5 --events 2000 --customers 200 --products 150 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl" 2>/dev/null
# the events, encoded by Python with the evolved writer schema registered as id 7, plus one
# record that names schema id 4242, which the registry does not know
"$PYD" "$SRC/tests/evolved_producer.py" "$B" "$R" "$TMP/ev.jsonl" "$SRC/schemas/customer_event.avsc"
"$XSELL" produce -X kafka.bootstrap.servers="$B" -X registry.url="$R" --catalog "$TMP/cat.jsonl" 2>/dev/null
"$XSELL" run -X kafka.bootstrap.servers="$B" -X registry.url="$R" -X run.idle_exit=3s -X http.port=0 \
        -X kafka.session.timeout.ms=6000 --print json >"$TMP/printed.jsonl" 2>"$TMP/run.err" ||
        fail "xsell run failed: $(tail -5 "$TMP/run.err")"
grep -q "consumed 2001" "$TMP/run.err" || fail "not all records consumed: $(grep consumed "$TMP/run.err")"
grep -q "dead letters 1" "$TMP/run.err" || fail "unknown schema id not dead-lettered: $(grep consumed "$TMP/run.err")"
grep -q "rejected 0" "$TMP/run.err" || fail "evolved events were rejected"
ok "events written with an evolved schema (id 7) decode; an unknown id is dead-lettered"

"$XSELL" replay "$TMP/ev.jsonl" -c "$TMP/cat.jsonl" -q -o "$TMP/replay.jsonl"
sed -n 's/.*"offer_id":"\([0-9a-f]*\)".*/\1/p' "$TMP/replay.jsonl" | sort >"$TMP/expect.ids"
sed -n 's/.*"offer_id":"\([0-9a-f]*\)".*/\1/p' "$TMP/printed.jsonl" | sort >"$TMP/got.ids"
[ -s "$TMP/expect.ids" ] || fail "replay made no offers"
cmp -s "$TMP/expect.ids" "$TMP/got.ids" || fail "offers differ from replay ($(wc -l <"$TMP/got.ids") vs $(wc -l <"$TMP/expect.ids"))"
ok "the same offers as xsell replay of the same events ($(wc -l <"$TMP/got.ids"))"

# the offer schema was registered under offers-value as the exact .avsc text, and offers carry its id
"$PYD" - "$TMP/registry.log" "$SRC/schemas/offer.avsc" "$B" <<'PYEOF' || fail "offer schema registration"
import json, sys
from confluent_kafka import Consumer
log = [json.loads(l) for l in open(sys.argv[1])]
reg = [e for e in log if e["op"] == "register" and e["subject"] == "offers-value"]
assert reg, log
assert reg[0]["schema"] == open(sys.argv[2]).read(), "registered text is not the .avsc"
oid = reg[0]["id"]
c = Consumer({"bootstrap.servers": sys.argv[3], "group.id": "check", "auto.offset.reset": "earliest"})
c.subscribe(["offers"])
n = 0
idle = 0
while idle < 30:
    m = c.poll(0.2)
    if m is None or m.error():
        idle += 1
        continue
    idle = 0
    v = m.value()
    assert v[0] == 0 and int.from_bytes(v[1:5], "big") == oid, (v[:5], oid)
    n += 1
c.close()
assert n > 0
print(f"# {n} offers framed with schema id {oid}")
PYEOF
ok "offers-value registered with the exact .avsc text; offers framed with its id"
done_testing
