#!/usr/bin/env bash
# Issue 12 defect 6 and item 6, against `xsell mock-broker` and the fake Schema Registry:
# - registry.auto_register=false (read-only registry credentials): the output schema is looked up
#   under its subject, never registered; a subject without it stops the start with a clear
#   message; once registered, offers carry its id.
# - SIGTERM while the registry is down at startup stops with exit 0 and says why (it exited 1
#   saying nothing); likewise while the catalog topic is awaited from unreachable brokers (it
#   exited 1 with "Broker transport failure").
# - secrets given with -F, the environment and -X (SASL, TLS key, registry basic_auth, a registry
#   URL with credentials) never show on stdout or stderr: logs, errors or the exit summary.
source "$(dirname "$0")/lib_kafka.sh" "$@"

start_broker 1
"$KPY" "$SRC/tests/fake_registry.py" "$TMP/registry.port" "$TMP/registry.log" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$TMP/registry.port" ] && break; sleep 0.1; done
PORT=$(cat "$TMP/registry.port")
R="http://127.0.0.1:$PORT"
gen --seed 7 --events 2000 --customers 200 --products 150 -o "$TMP/ev.jsonl" --catalog "$TMP/cat.jsonl"
"$XSELL" produce -X kafka.bootstrap.servers="$B" -X registry.url="$R" --catalog "$TMP/cat.jsonl" 2>/dev/null
"$XSELL" produce -X kafka.bootstrap.servers="$B" -X registry.url="$R" "$TMP/ev.jsonl" 2>/dev/null
registrations() { grep -c "\"subject\": \"$1\"" "$TMP/registry.log" || true; }

# the secrets, each unique so that any leak is found by grep
printf 'kafka.sasl.password=FileSaslPw1\nregistry.timeout=4s\n' >"$TMP/secret.properties"
export XSELL_REGISTRY_BASIC_AUTH=envuser:EnvRegPw2
SECRETS=(FileSaslPw1 EnvRegPw2 XKeyPw3 UrlPw4 envuser urluser)
RS="http://urluser:UrlPw4@127.0.0.1:$PORT"
SEC=(-F "$TMP/secret.properties" -X kafka.sasl.username=visible-user
        -X kafka.ssl.key.password=XKeyPw3 -X registry.url="$RS" -X registry.auto_register=false)
leaks() {
        local s
        for s in "${SECRETS[@]}"; do
                if grep -l "$s" "$@" >/dev/null 2>&1; then
                        echo "$s in $(grep -l "$s" "$@" | xargs -n1 basename | tr '\n' ' ')"
                fi
        done
}

set +e
"$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=3s "${SEC[@]}" \
        >"$TMP/ro1.out" 2>"$TMP/ro1.err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "xsell run started with offers-value not registered and auto_register=false"
grep -q "not registered under subject offers-value" "$TMP/ro1.err" &&
        grep -q "registry.auto_register" "$TMP/ro1.err" || fail "unclear message: $(tail -3 "$TMP/ro1.err")"
[ "$(registrations offers-value)" = 0 ] || fail "xsell registered offers-value with auto_register=false"
ok "auto_register=false and offers-value unknown: exit $rc, clear message, nothing registered"

# an administrator registers offer.avsc under offers-value
id=$("$KPY" - "$R" "$SRC/schemas/offer.avsc" <<'PYEOF'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/subjects/offers-value/versions",
                             data=json.dumps({"schema": open(sys.argv[2]).read()}).encode(),
                             headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
print(json.load(urllib.request.urlopen(req))["id"])
PYEOF
)
"$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=3s "${SEC[@]}" \
        --print json >"$TMP/ro2.out" 2>"$TMP/ro2.err" || fail "xsell run: $(tail -5 "$TMP/ro2.err")"
grep -q "consumed 2000" "$TMP/ro2.err" || fail "not all consumed: $(grep consumed "$TMP/ro2.err")"
[ "$(registrations offers-value)" = 1 ] || fail "xsell registered offers-value itself"
"$KPY" - "$B" "$id" <<'PYEOF' || fail "offers not framed with the looked-up id $id"
import sys
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "ro-check", "enable.partition.eof": True})
c.assign([TopicPartition("offers", 0, OFFSET_BEGINNING)])
n = 0
while True:
    m = c.poll(5)
    if m is None or m.error():
        break
    assert m.value()[0] == 0 and int.from_bytes(m.value()[1:5], "big") == int(sys.argv[2])
    n += 1
assert n > 0
print("# %d offers framed with id %s" % (n, sys.argv[2]))
PYEOF
ok "auto_register=false with offers-value registered (id $id): looked up, offers framed with it"

# a registry that is down: retries are logged, with the URL and never its credentials
"$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" "${SEC[@]}" -X application.id=down \
        -X registry.url="http://urluser:UrlPw4@127.0.0.1:1" -X registry.retries=0 \
        >"$TMP/down.out" 2>"$TMP/down.err" &
DPID=$!
PIDS+=("$DPID")
wait_for "$TMP/down.err" "retrying" 20 || fail "no retry logged: $(tail -3 "$TMP/down.err")"
kill -TERM "$DPID"
set +e
wait "$DPID"
rc=$?
set -e
[ $rc -eq 0 ] && grep -q "stopped by a signal while waiting for the schema registry" \
        "$TMP/down.err" || fail "SIGTERM while waiting for the registry: exit $rc, $(tail -3 "$TMP/down.err")"
ok "SIGTERM while waiting for the registry: exit 0 saying why"

# brokers that cannot be reached while the catalog is awaited (no registry): a SIGTERM is a
# stop, exit 0 saying why (it exited 1 with "Local: Broker transport failure")
"$XSELL" run -X kafka.bootstrap.servers=127.0.0.1:1 "${RUNX[@]}" -X registry.url= \
        -X application.id=nocat >"$TMP/cat.out" 2>"$TMP/cat.err" &
CPID=$!
PIDS+=("$CPID")
wait_for "$TMP/cat.err" "catalog topic product-catalog: .*waiting" 20 ||
        fail "no wait for the catalog logged: $(tail -3 "$TMP/cat.err")"
sleep 1
kill -TERM "$CPID"
set +e
wait "$CPID"
rc=$?
set -e
[ $rc -eq 0 ] && grep -q "stopped by a signal while waiting for the catalog topic product-catalog" "$TMP/cat.err" ||
        fail "SIGTERM while waiting for the catalog: exit $rc, $(tail -3 "$TMP/cat.err")"
# librdkafka's own connection errors are expected; xsell's catalog logger must not log an error
! grep '"log.level":"error"' "$TMP/cat.err" | grep -q '"log.logger":"catalog"' ||
        fail "SIGTERM while waiting for the catalog logged an error: $(grep '"log.logger":"catalog"' "$TMP/cat.err" | head -3)"
ok "SIGTERM while waiting for the catalog (brokers unreachable): exit 0 saying why, no catalog error"
found=$(leaks "$TMP"/ro1.* "$TMP"/ro2.* "$TMP"/down.*)
[ -z "$found" ] || fail "secrets leaked: $found"
grep -q "127.0.0.1:1" "$TMP/down.err" || fail "the registry address is not named: $(tail -3 "$TMP/down.err")"
ok "no secret from -F, environment or -X on stdout or stderr (logs, errors, exit summary)"
done_testing
