#!/usr/bin/env bash
# Issue 12: /readyz names what it waits for. With the Schema Registry unreachable at start
# (output schemas not registered yet, the catalog not read), /readyz said "catalog not loaded
# yet"; it now says it waits for the registry, with the registry's error, and /livez stays 200
# (waiting is progress).
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 8 --events 10 --customers 5 --products 20 -o "$TMP/ev.jsonl" --catalog "$TMP/cat.jsonl"
start_broker 1 -t customer-events,product-catalog,offers,xsell-dead-letters
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product --schema-id 8 2>/dev/null
# a port nobody listens on: the registry is unreachable
DEAD=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
xrun_bg run -X registry.url="http://127.0.0.1:$DEAD" -X registry.timeout=500ms \
        -X registry.retries=1 -X catalog.bootstrap_timeout=120s -X shutdown.timeout=2s
PORT=
for i in $(seq 100); do
        PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/run.err" | head -1)
        [ -n "$PORT" ] && break
        kill -0 "$XPID" 2>/dev/null || fail "xsell run exited: $(tail -5 "$TMP/run.err")"
        sleep 0.1
done
[ -n "$PORT" ] || fail "no 'listening on' line"
st=
for i in $(seq 100); do
        st=$(curl -s -m 5 -o "$TMP/ready" -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)
        grep -q "waiting for the schema registry" "$TMP/ready" 2>/dev/null && break
        sleep 0.1
done
[ "$st" = 503 ] && grep -q "^waiting for the schema registry (.\+)$" "$TMP/ready" ||
        fail "/readyz while the registry is unreachable: $st $(cat "$TMP/ready")"
grep -q "retrying in 2 s" "$TMP/run.err" || fail "no registry warning in the log"
[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/livez")" = 200 ] ||
        fail "/livez is not 200 while waiting for the registry"
ok "/readyz 503: $(cat "$TMP/ready"); /livez 200"
kill -TERM "$XPID"
wait "$XPID" || true
done_testing
