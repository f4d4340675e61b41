#!/usr/bin/env bash
# Issue 12: CONFIGURATION.md is the table's own output (item 4); `config --show` never prints a
# secret given with -X, -F or the environment (defect 6, item 6); `xsell run` without brokers is
# an error pointing at `xsell demo` (defect 5); `xsell mock-broker --help` is help (defect 6);
# headers.passthrough is checked.
source "$(dirname "$0")/lib_cli.sh" "$@"

"$XSELL" config --reference >"$TMP/expect.md"
diff -u "$TMP/expect.md" "$SRC/CONFIGURATION.md" >"$TMP/diff" ||
        fail "CONFIGURATION.md is stale: cmake --build build --target configuration-md ($(head -20 "$TMP/diff"))"
grep -q '^| `headers.passthrough` |' "$SRC/CONFIGURATION.md" || fail "no key rows in CONFIGURATION.md"
for section in "## librdkafka properties" "## Secrets" "murmur2_random"; do
        grep -qF "$section" "$SRC/CONFIGURATION.md" || fail "CONFIGURATION.md lacks $section"
done
ok "CONFIGURATION.md matches xsell config --reference (keys, librdkafka passthrough, secrets)"

# secrets from every source; each value is unique so any leak is found by grep
printf 'kafka.sasl.password=FileSaslPw1\nkafka.ssl.key.password=FileKeyPw2\n' >"$TMP/secret.properties"
XSELL_REGISTRY_BASIC_AUTH=envuser:EnvRegPw3 XSELL_KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET=EnvOauth4 \
        "$XSELL" config --show -F "$TMP/secret.properties" -X kafka.ssl.key.pem=XKeyPem5 \
        -X kafka.sasl.username=visible-user -X registry.url=https://sruser:XUrl@Pw6@registry:8081/ \
        -X kafka.ssl.keystore.password=XStorePw7 >"$TMP/show.out" 2>"$TMP/show.err" ||
        fail "config --show: $(cat "$TMP/show.err")"
for s in FileSaslPw1 FileKeyPw2 EnvRegPw3 envuser EnvOauth4 XKeyPem5 XUrl Pw6 sruser XStorePw7; do
        ! grep -q "$s" "$TMP/show.out" "$TMP/show.err" || fail "config --show printed secret $s"
done
for kv in 'kafka.sasl.password=\*\*\*\*\*\*' 'kafka.ssl.key.password=\*\*\*\*\*\*' \
        'registry.basic_auth=\*\*\*\*\*\*' 'kafka.sasl.oauthbearer.client.secret=\*\*\*\*\*\*' \
        'kafka.ssl.key.pem=\*\*\*\*\*\*' 'kafka.ssl.keystore.password=\*\*\*\*\*\*' \
        'registry.url=https://\*\*\*\*\*\*@registry:8081/' 'kafka.sasl.username=visible-user' \
        'registry.auto_register=true'; do
        grep -qx "$kv" "$TMP/show.out" || fail "config --show: no line $kv: $(grep -E 'kafka|registry' "$TMP/show.out")"
done
ok "config --show masks passwords, secrets, basic_auth, ssl.key.* and URL credentials from -F, env and -X"

# librdkafka's log_level from the environment: "__" is '_' (XSELL_KAFKA_LOG_LEVEL reads as
# kafka.log.level, which librdkafka does not know: refused with a hint at the escape)
XSELL_KAFKA_LOG__LEVEL=0 XSELL_KAFKA_SASL_MECHANISMS=PLAIN "$XSELL" config --show >"$TMP/env.show" ||
        fail "XSELL_KAFKA_LOG__LEVEL: config --show"
grep -qx "kafka.log_level=0" "$TMP/env.show" && grep -qx "kafka.sasl.mechanisms=PLAIN" "$TMP/env.show" ||
        fail "XSELL_KAFKA_LOG__LEVEL=0 is not kafka.log_level=0: $(grep '^kafka' "$TMP/env.show")"
set +e
XSELL_KAFKA_LOG_LEVEL=0 "$XSELL" run -X kafka.bootstrap.servers=127.0.0.1:1 >/dev/null 2>"$TMP/env.err"
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "XSELL_KAFKA_LOG__LEVEL" "$TMP/env.err" ||
        fail "XSELL_KAFKA_LOG_LEVEL: exit $rc without the hint: $(cat "$TMP/env.err")"
# and it takes effect: librdkafka's own log lines (with a "fac"; its error events are not log
# lines) are silenced at log_level 0
for lvl in 0 7; do
        set +e
        XSELL_KAFKA_LOG__LEVEL=$lvl timeout -s TERM 3 "$XSELL" run -X kafka.bootstrap.servers=127.0.0.1:1 \
                -X registry.url= -X topic.catalog= -X processing.guarantee=at_least_once \
                -X log.format=json -X http.enable=false >/dev/null 2>"$TMP/env$lvl.err"
        set -e
done
! grep -q '"log.logger":"rdkafka".*"fac":' "$TMP/env0.err" || fail "XSELL_KAFKA_LOG__LEVEL=0: librdkafka still logs: $(head -2 "$TMP/env0.err")"
grep -q '"log.logger":"rdkafka".*"fac":' "$TMP/env7.err" || fail "no librdkafka line to silence: $(head -2 "$TMP/env7.err")"
ok "XSELL_KAFKA_LOG__LEVEL sets librdkafka's log_level; XSELL_KAFKA_LOG_LEVEL is refused naming the escape"

# the Confluent Cloud example: read, its secrets masked, and every kafka.* property known to
# librdkafka (a bad one stops `xsell run` at once with exit 2; here it runs until stopped, with
# no registry and no catalog so that nothing but the unreachable brokers is waited for)
EX="$SRC/docs/examples/confluent-cloud.properties"
"$XSELL" config --show -F "$EX" >"$TMP/ex.out" || fail "config --show -F $EX"
grep -qx 'kafka.sasl.password=\*\*\*\*\*\*' "$TMP/ex.out" && grep -qx 'registry.basic_auth=\*\*\*\*\*\*' "$TMP/ex.out" ||
        fail "the example's secrets are not masked"
set +e
# (an ephemeral HTTP port: the tests run side by side, and another may hold the default 9464;
# a short shutdown.timeout: the SIGTERM's final commit cannot reach the example's brokers)
timeout -s TERM 4 "$XSELL" run -F "$EX" -X registry.url= -X topic.catalog= -X kafka.log_level=0 \
        -X processing.guarantee=at_least_once -X http.port=0 -X shutdown.timeout=2s >/dev/null 2>"$TMP/ex.err"
rc=$?
set -e
[ $rc -eq 124 ] || fail "xsell run -F $EX: exit $rc: $(head -3 "$TMP/ex.err")"
ok "docs/examples/confluent-cloud.properties: accepted by xsell and librdkafka, secrets masked"

set +e
"$XSELL" run >"$TMP/run.out" 2>"$TMP/run.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "xsell run without kafka.bootstrap.servers: exit $rc, not 2"
grep -q "kafka.bootstrap.servers is not set" "$TMP/run.err" && grep -q "xsell demo" "$TMP/run.err" ||
        fail "no clear message: $(cat "$TMP/run.err")"
[ ! -s "$TMP/run.out" ] || fail "xsell run printed on stdout: $(head -3 "$TMP/run.out")"
# once the configuration is read, that error follows log.format (it was plain text in JSON mode);
# a usage error before it (an unknown option) stays plain
for cmd in run produce; do
        set +e
        "$XSELL" $cmd -X log.format=json $([ $cmd = produce ] && echo "$TMP/none.jsonl") >/dev/null 2>"$TMP/j$cmd.err"
        rc=$?
        set -e
        [ $rc -eq 2 ] && "$PY" -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "nothing on stderr"
for l in lines:
    o = json.loads(l)
assert any(o["log.level"] == "error" and "kafka.bootstrap.servers" in o["message"] for o in map(json.loads, lines)), lines' "$TMP/j$cmd.err" ||
                fail "xsell $cmd -X log.format=json without brokers: exit $rc, not one JSON error line: $(cat "$TMP/j$cmd.err")"
done
set +e
"$XSELL" run -X log.format=json --bogus >/dev/null 2>"$TMP/usage.err"
set -e
grep -q "^usage: \|unrecognized option\|invalid option" "$TMP/usage.err" || fail "a usage error is no longer plain: $(cat "$TMP/usage.err")"
set +e
"$XSELL" run -X kafka.bootstrap.servers=127.0.0.1:1 -n 100 2>"$TMP/run2.err"
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "xsell demo" "$TMP/run2.err" || fail "run -n: $rc $(cat "$TMP/run2.err")"
"$XSELL" run --help | grep -q "kafka.bootstrap.servers=HOST:PORT" || fail "run --help"
# a configuration error found once the run is set up (exit 2): no summary of a run that never
# ran (it printed an all-zero summary and a memory line)
set +e
"$XSELL" run -X kafka.bootstrap.servers=127.0.0.1:1 -X http.address=nonexistent.invalid \
        >/dev/null 2>"$TMP/cfg.err"
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "http.address nonexistent.invalid" "$TMP/cfg.err" ||
        fail "http.address=nonexistent.invalid: exit $rc, $(cat "$TMP/cfg.err")"
! grep -q "summary: consumed\|memory: [0-9]* bytes" "$TMP/cfg.err" ||
        fail "a configuration error printed a run summary: $(cut -c1-200 "$TMP/cfg.err")"
# the command list says the same (it said: no bootstrap.servers, the embedded demo)
"$XSELL" --help >"$TMP/help.out" 2>&1 || true
grep -E "^  run " "$TMP/help.out" | grep -q "needs kafka.bootstrap.servers" ||
        fail "xsell --help describes run as: $(grep -E '^  run ' "$TMP/help.out")"
! grep -qi "embedded demo" "$TMP/help.out" || fail "xsell --help still offers an embedded demo in run"
ok "xsell run without brokers exits 2 and points at xsell demo (no embedded broker started)"

"$XSELL" mock-broker --help >"$TMP/mb.out" 2>"$TMP/mb.err" || fail "mock-broker --help: exit $?"
grep -q "usage: xsell mock-broker" "$TMP/mb.out" || fail "mock-broker --help: $(cat "$TMP/mb.out" "$TMP/mb.err")"
[ ! -s "$TMP/mb.err" ] || fail "mock-broker --help wrote to stderr: $(cat "$TMP/mb.err")"
grep -q "log.level" "$TMP/mb.out" && grep -q -- "-F FILE" "$TMP/mb.out" ||
        fail "mock-broker --help does not mention -X log.level and -F: $(cat "$TMP/mb.out")"
ok "xsell mock-broker --help exits 0 with its usage on stdout, -X log.level and -F included"

for bad in "trace parent" "$(printf 'h%.0s,' $(seq 17))"; do
        set +e
        "$XSELL" config --show -X headers.passthrough="$bad" >/dev/null 2>"$TMP/h.err"
        rc=$?
        set -e
        [ $rc -eq 2 ] && grep -q "headers.passthrough" "$TMP/h.err" || fail "headers.passthrough=$bad: $rc $(cat "$TMP/h.err")"
done
grep -q "^headers.passthrough=" <<<"$("$XSELL" config --show -X "headers.passthrough= traceparent , b3 ,,")" ||
        fail "a list with spaces and empty entries is refused"
ok "headers.passthrough: names with spaces and more than 16 names are refused"
done_testing
