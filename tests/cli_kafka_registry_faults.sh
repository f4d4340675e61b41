#!/usr/bin/env bash
# Issue 10 item 7 on `xsell mock-broker` (4 partitions, 10,000 events) with a fake Schema
# Registry that fails three schema ids in three ways -- HTTP 500, a hang past registry.timeout,
# a connection closed without an answer -- while serving the others. The records that name
# them (5 of each, in the middle of the stream) are dead-lettered after registry.retries, each
# id's failure is remembered for registry.failure_ttl (one retry cycle per id, not per record),
# and every other record flows: all good events are processed, none late.
# errors.tolerance=none stops at the first such record instead; registry.failure_ttl=0 asks
# again for every record. Before the fix the first record of a failing id stalled everything.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 54 --events 10000 --customers 700 --products 250 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
gen --seed 55 --events 15 --customers 15 --products 10 -o "$TMP/poison.jsonl"
start_broker 4
"$KPY" "$SRC/tests/fake_registry.py" "$TMP/registry.port" "$TMP/registry.log" \
        '{"900": "500", "901": "hang", "902": "close"}' &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$TMP/registry.port" ] && break; sleep 0.1; done
R="http://127.0.0.1:$(cat "$TMP/registry.port")"
# our own schemas, registered like any client: events get id 7, catalog products id 8
"$KPY" - "$R" "$SRC/schemas" <<'PYEOF' || fail "registering schemas"
import json, sys, urllib.request
for subject, f in (("customer-events-value", "customer_event.avsc"), ("product-catalog-value", "catalog_product.avsc")):
    req = urllib.request.Request(sys.argv[1] + "/subjects/%s/versions" % subject,
                                 data=json.dumps({"schema": open(sys.argv[2] + "/" + f).read()}).encode(),
                                 headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    print(json.load(urllib.request.urlopen(req))["id"])
PYEOF
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product --schema-id 8 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" --schema-id 7 --count 5000 2>/dev/null
for i in 0 1 2; do
        ku produce "$B" customer-events "$TMP/poison.jsonl" --schema-id $((900 + i)) --from $((i * 5)) --count 5 2>/dev/null
done
ku produce "$B" customer-events "$TMP/ev.jsonl" --schema-id 7 --from 5000 2>/dev/null
ok "10000 events (schema id 7) and 15 naming failing ids 900 (HTTP 500), 901 (hang), 902 (closed)"

REG=(-X registry.url="$R" -X registry.timeout=500ms -X registry.retries=2)
start=$(date +%s)
timeout 150 "$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=3s \
        --print none "${REG[@]}" >"$TMP/run.out" 2>"$TMP/run.err" ||
        fail "xsell run: exit $? after $(($(date +%s) - start)) s: $(grep -v '^%' "$TMP/run.err" | tail -5)"
took=$(($(date +%s) - start))
grep -q "summary: consumed 10015,.*dead letters 15," "$TMP/run.err" || fail "$(grep '^consumed' "$TMP/run.err")"
for id in 900 901 902; do
        n=$(grep -c "\"id\": $id," "$TMP/registry.log" || true)
        [ "$n" = 3 ] || fail "schema id $id asked $n times, want 3 (registry.retries=2, then remembered)"
        grep -q "schema id $id keeps failing while the registry serves other requests" "$TMP/run.err" ||
                fail "no warning for schema id $id"
done
ok "exit 0 in $took s: all 15 dead-lettered, each failing id asked once (3 attempts), then remembered"

ku consume "$B" xsell-dead-letters --mode dead --eof >"$TMP/dead.jsonl"
"$KPY" - "$TMP/dead.jsonl" <<'PYEOF' || fail "dead letters wrong"
import json, sys
dead = [json.loads(l) for l in open(sys.argv[1])]
assert len(dead) == 15, len(dead)
by = {}
for d in dead:
    msg = d["headers"]["__xsell.errors.error.message"]
    sid = int(d["value_hex"][2:10], 16)
    assert "schema id %d" % sid in msg, msg
    by.setdefault(sid, []).append(msg)
assert sorted(by) == [900, 901, 902], sorted(by)
for sid, msgs in by.items():
    assert len(msgs) == 5, (sid, len(msgs))
    assert sum("remembered for registry.failure_ttl" in m for m in msgs) == 4, (sid, msgs)
    print("# %d: %s" % (sid, msgs[0][:150]))
PYEOF
ok "each dead letter names its schema id and why; 4 of 5 per id from the remembered failure"

# every good record was processed, none late (the offers themselves depend on how the 4
# partitions interleave, which is not fixed until state is sealed per partition, issue 11)
grep -q "events processed 10000, rejected 0, late 0, duplicate 0" "$TMP/run.err" ||
        fail "$(grep 'events processed' "$TMP/run.err")"
ok "the other ids flowed: all 10000 good events processed, none late"

# errors.tolerance=none: stop at the first record of a failing id, naming it
set +e
timeout 150 "$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=3s \
        --print none "${REG[@]}" -X application.id=strict -X errors.tolerance=none \
        -X topic.offers=offers-strict >"$TMP/strict.out" 2>"$TMP/strict.err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "errors.tolerance=none: exit $rc: $(grep -v '^%' "$TMP/strict.err" | tail -3)"
grep -q "errors.tolerance=none: customer-events \[[0-3]\] offset [0-9]*: schema id 90[0-2]" "$TMP/strict.err" ||
        fail "$(grep -v '^%' "$TMP/strict.err" | tail -3)"
ok "errors.tolerance=none: exit 1 at the first such record: $(grep -o 'errors.tolerance=none: .*' "$TMP/strict.err" | head -1 | cut -c1-120)"

# registry.failure_ttl=0: nothing remembered, every record of id 900 waits its retries
before=$(grep -c '"id": 900,' "$TMP/registry.log")
timeout 200 "$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=3s \
        --print none "${REG[@]}" -X application.id=nottl -X registry.failure_ttl=0 \
        -X topic.offers=offers-nottl >"$TMP/nottl.out" 2>"$TMP/nottl.err" ||
        fail "registry.failure_ttl=0: $(grep -v '^%' "$TMP/nottl.err" | tail -3)"
n=$(($(grep -c '"id": 900,' "$TMP/registry.log") - before))
[ "$n" = 15 ] || fail "registry.failure_ttl=0: id 900 asked $n times, want 15 (5 records x 3)"
grep -q "dead letters 15," "$TMP/nottl.err" || fail "$(grep '^consumed' "$TMP/nottl.err")"
ok "registry.failure_ttl=0: every record asks again (id 900: $n requests), all dead-lettered"
done_testing
