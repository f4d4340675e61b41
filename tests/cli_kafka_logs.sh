#!/usr/bin/env bash
# The logs of `xsell run` (issue 12): with log.format=json every stderr line is one JSON object
# with @timestamp, log.level, message, service.name and log.logger; librdkafka's own lines arrive
# through it (logger "rdkafka", with the client and facility), and a broker failure is logged
# once, not twice (librdkafka logs it and also raises it as an error event); configured secrets
# never appear. A wrong registry (every record's schema id unknown) dead-letters everything:
# the first reasons are logged one by one, the rest counted in summary lines, a warning names the
# likely cause and the exit summary is flagged. SIGTERM while waiting for the registry stops with
# a logged reason and the status of any signal stop (0).
source "$(dirname "$0")/lib_kafka.sh" "$@"

# check_json FILE [LOGGER...]: every line a JSON object with the required fields, a known
# level and an ISO-8601 UTC timestamp; each LOGGER given appears at least once
check_json() {
        "$KPY" - "$@" <<'PYEOF'
import json, re, sys
path, want = sys.argv[1], set(sys.argv[2:])
seen = set()
lines = open(path, "rb").read().split(b"\n")
assert lines[-1] == b"", "the last line does not end with a newline"
for i, raw in enumerate(lines[:-1], 1):
    try:
        o = json.loads(raw.decode("utf-8"))
    except Exception as e:
        sys.exit(f"line {i} is not JSON ({e}): {raw[:200]!r}")
    if not isinstance(o, dict):
        sys.exit(f"line {i} is not an object")
    for k in ("@timestamp", "log.level", "message", "service.name", "log.logger"):
        if not isinstance(o.get(k), str):
            sys.exit(f"line {i}: no string {k}: {o}")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["@timestamp"]):
        sys.exit(f"line {i}: @timestamp {o['@timestamp']}")
    if o["log.level"] not in ("debug", "info", "warn", "error"):
        sys.exit(f"line {i}: log.level {o['log.level']}")
    if o["service.name"] != "xsell":
        sys.exit(f"line {i}: service.name {o['service.name']}")
    seen.add(o["log.logger"])
missing = want - seen
if missing:
    sys.exit(f"no line of logger(s) {sorted(missing)}; loggers seen: {sorted(seen)}")
print(f"# {len(lines) - 1} lines, loggers {sorted(seen)}")
PYEOF
}

gen --seed 12 --events 400 --customers 60 --products 50 -o "$TMP/ev.jsonl" --catalog "$TMP/cat.jsonl"
start_broker 2 -X log.format=json
"$XSELL" produce -X kafka.bootstrap.servers="$B" "$TMP/ev.jsonl" 2>"$TMP/produce.err" ||
        fail "produce: $(cat "$TMP/produce.err")"
"$XSELL" produce -X kafka.bootstrap.servers="$B" --catalog "$TMP/cat.jsonl" 2>>"$TMP/produce.err" ||
        fail "produce: $(cat "$TMP/produce.err")"
check_json "$TMP/produce.err" produce || fail "xsell produce's log"
ok "xsell produce logs JSON lines"

# 1. a run across a broker outage, with secrets configured
SECRETS=(-X kafka.sasl.password=SECRET123 -X registry.basic_auth=u:SECRET456
        -X kafka.ssl.key.password=SECRET789)
xrun_bg good -X log.format=json -X kafka.log_level=6 "${SECRETS[@]}"
wait_for "$TMP/good.err" '"assigned [0-9]+ partition' 30 || fail "no assignment: $(tail -5 "$TMP/good.err")"
kill -USR1 "$BROKER_PID"
wait_for "$TMP/broker.1.err" "broker 1 down" 5 || fail "the broker did not go down"
sleep 2
kill -USR2 "$BROKER_PID"
sleep 2
kill -TERM "$XPID"
rc=0
wait "$XPID" || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM after the outage: exit $rc: $(tail -5 "$TMP/good.err")"
check_json "$TMP/good.err" rdkafka run rebalance catalog || fail "run's log: see above"
grep -q '"log.level":"info","message":"catalog product-catalog read to its end: 50 records, 50 accepted, 0 dead-lettered"' "$TMP/good.err" ||
        fail "no catalog line with accepted and dead-lettered counts: $(grep 'read to its end' "$TMP/good.err")"
ok "every stderr line of a run across a broker outage is a JSON object with the ECS fields"
check_json "$TMP/broker.1.err" mock-broker || fail "mock-broker's log"
ok "mock-broker -X log.format=json logs JSON lines"

"$KPY" - "$TMP/good.err" <<'PYEOF' || fail "librdkafka's lines"
import collections, json, sys
rd = [json.loads(l) for l in open(sys.argv[1]) if '"log.logger":"rdkafka"' in l]
errs = [o for o in rd if o["log.level"] in ("error", "warn")]
assert errs, "no librdkafka error or warning during a broker outage"
for o in rd:
    assert o.get("client") and (o.get("fac") or o.get("error.code")), o
# the same failure of the same client, logged twice (librdkafka's line and its error event,
# which without an error callback it logs again prefixed by the client's name)?
seen = collections.Counter()
for o in rd:
    text = o["message"]
    if text.startswith(o["client"] + ": "):
        text = text[len(o["client"]) + 2:]
    seen[(o["client"], text)] += 1
twice = [k for k, n in seen.items() if n > 1]
assert not twice, f"logged more than once: {twice}"
print(f"# {len(rd)} librdkafka lines, {len(errs)} errors and warnings, each once")
PYEOF
ok "librdkafka's lines arrive as logger rdkafka with client and fac; each broker failure once"

if grep -n "SECRET" "$TMP/good.err"; then fail "a secret appears in the log"; fi
ok "no configured secret (sasl.password, ssl.key.password, registry.basic_auth) in stderr"

grep -q '"message":"summary: consumed [0-9]*, catalog 50,.*"log.logger":"run".*"consumed":' "$TMP/good.err" ||
        fail "no summary line with fields: $(tail -2 "$TMP/good.err")"
ok "the exit summary is one log line with its figures as fields"

# 2. a wrong registry: the records carry ids 1 and 2 (no registry when produced); this registry
# has neither, so every record is dead-lettered
"$KPY" "$SRC/tests/fake_registry.py" "$TMP/registry.port" "$TMP/registry.log" &
PIDS+=($!)
wait_for "$TMP/registry.port" . 10 || fail "no registry"
R="http://127.0.0.1:$(cat "$TMP/registry.port")"
xrun wrongreg -X application.id=wrongreg -X registry.url="$R" -X errors.log.first=3 \
        -X errors.log.interval=1s -X log.format=json "${SECRETS[@]}" ||
        fail "run with a wrong registry: $(tail -5 "$TMP/wrongreg.err")"
check_json "$TMP/wrongreg.err" deadletter || fail "wrong-registry run's log: see above"
"$KPY" - "$TMP/wrongreg.err" <<'PYEOF' || fail "dead letters in the log"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
dl = [o for o in log if o["log.logger"] == "deadletter"]
one = [o for o in dl if o["message"].startswith("dead-lettered: ")]
assert len(one) == 3, f"{len(one)} dead letters logged one by one, want errors.log.first=3"
for o in one:
    assert o["log.level"] == "warn", o
    for k in ("topic", "partition", "offset", "stage", "error.code"):
        assert k in o, (k, o)
    assert "schema id" in o["message"] or "registry" in o["message"], o
summ = [o for o in dl if "more records dead-lettered" in o["message"]]
assert summ, "no summary line of the dead letters after the first 3"
counted = sum(o["dead_letters"] for o in summ)
warn = [o for o in dl if "were all dead-lettered" in o["message"]]
assert len(warn) == 1, f"{len(warn)} warnings of a run of dead letters"
assert "registry.url" in warn[0]["message"], warn[0]
final = [o for o in log if o["message"].startswith("summary: consumed")]
assert len(final) == 1, final
f = final[0]
assert f["log.level"] == "warn" and f["dead_letter_warning"] == 1, f
assert "WARNING: all 400 input records were dead-lettered" in f["message"], f
assert "registry.url" in f["message"], f
assert f["consumed"] == 400 and f["dead_lettered"] == 400 + 50, f
assert counted + 3 == f["dead_lettered"], (counted, f["dead_lettered"])
assert len(log) < 60, f"{len(log)} lines for 450 dead letters: not rate-limited"
# the catalog's own line says none of its 50 records was accepted (it said "50 records" at info)
cat = [o for o in log if o["log.logger"] == "catalog" and "read to its end" in o["message"]]
assert len(cat) == 1, cat
c = cat[0]
assert c["log.level"] == "warn" and c["records"] == 50 and c["accepted"] == 0 and c["dead_lettered"] == 50, c
assert "50 records, 0 accepted, 50 dead-lettered" in c["message"], c
print(f"# 3 logged one by one, {counted} in {len(summ)} summary lines, {len(log)} lines in all")
PYEOF
ok "wrong registry: the first 3 dead letters logged in full, the rest counted, a warning naming registry.url"
if grep -n "SECRET" "$TMP/wrongreg.err"; then fail "a secret appears in the log"; fi
ok "no secret in the wrong-registry run's log either"

# 3. SIGTERM while the registry does not answer (nothing listens on its port)
port=$("$KPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" --print none -X log.format=plain \
        -X registry.url="http://127.0.0.1:$port" -X registry.retries=0 -X registry.timeout=1s \
        -X kafka.debug=broker >"$TMP/sig.out" 2>"$TMP/sig.err" &
SP=$!
PIDS+=("$SP")
wait_for "$TMP/sig.err" "retrying" 20 || fail "no retry logged: $(cat "$TMP/sig.err")"
kill -TERM "$SP"
rc=0
wait "$SP" || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM while waiting for the registry: exit $rc: $(cat "$TMP/sig.err")"
grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z warn xsell registry: stopped by a signal while waiting for the schema registry" \
        "$TMP/sig.err" || fail "no reason logged: $(cat "$TMP/sig.err")"
ok "SIGTERM while waiting for the registry: exit 0 (as a stop in the loop) with the reason logged"
grep -q "warn xsell run: kafka.debug=broker is set but log.level=info drops librdkafka's debug lines" \
        "$TMP/sig.err" || fail "no warning that kafka.debug needs log.level=debug: $(cat "$TMP/sig.err")"
ok "plain lines: time, level, service, logger; kafka.debug without log.level=debug is warned about"
done_testing
