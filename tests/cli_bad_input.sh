#!/usr/bin/env bash
# Bad input and bad configuration: records that break the contract are dead-lettered with a
# reason and counted, processing goes on; configuration errors stop with a clear message that
# names the file and line; precedence is defaults < file < environment < -X.
source "$(dirname "$0")/lib_cli.sh" "$@"

cat >"$TMP/events.jsonl" <<'JEOF'
{"event_id":"1","customer_id":"c1","event_time":1700000000000,"type":"ADD_TO_CART","items":[{"product_id":"p1","quantity":1,"unit_price":1000,"category":"phone"}]}
this is not json
{"event_id":"2","customer_id":"c1","event_time":1700000001000,"type":"TELEPORT","items":[]}
{"event_id":"3","customer_id":"c1","event_time":1700000002000,"type":"ADD_TO_CART","items":[{"product_id":"p2","quantity":-5,"unit_price":1000}]}
{"event_id":"4","customer_id":"c1","event_time":1700000003000,"type":"ADD_TO_CART","items":[{"product_id":"p3","quantity":1,"unit_price":-7}]}
{"event_id":"5","customer_id":"","event_time":1700000004000,"type":"PRODUCT_VIEW","items":[{"product_id":"p1"}]}
{"event_id":"6","customer_id":"c1","event_time":1700000005000,"type":"PURCHASE","items":[]}
{"event_id":"7","customer_id":"c2","event_time":1700000006000,"type":"ADD_TO_CART","items":[{"product_id":"p9","quantity":1,"unit_price":1500,"category":"phone"}]}
{"event_id":"1","customer_id":"c1","event_time":1700000007000,"type":"ADD_TO_CART","items":[{"product_id":"p1","quantity":1,"unit_price":1000}]}
JEOF
"$PY" -c 'import json; print(json.dumps({"event_id":"big","customer_id":"c3","event_time":1700000008000,"type":"PURCHASE","items":[{"product_id":"x%d" % i,"quantity":1,"unit_price":1} for i in range(100000)]}))' >>"$TMP/events.jsonl"
"$XSELL" replay "$TMP/events.jsonl" -o "$TMP/offers.jsonl" --dead-letter "$TMP/dead.jsonl" \
        --summary "$TMP/summary.json" --summary-format json 2>"$TMP/stderr" ||
        fail "replay stopped on bad records: $(cat "$TMP/stderr")"
[ "$(wc -l <"$TMP/dead.jsonl")" -eq 7 ] || { cat "$TMP/dead.jsonl"; fail "expected 7 dead letters"; }
grep -q '"position":2,"stage":"read"' "$TMP/dead.jsonl" || fail "garbage line not dead-lettered"
grep -q 'unknown to this version' "$TMP/dead.jsonl" || fail "unknown type not dead-lettered"
grep -q 'quantity -5' "$TMP/dead.jsonl" || fail "bad quantity not dead-lettered"
grep -q 'unit price -7' "$TMP/dead.jsonl" || fail "bad price not dead-lettered"
grep -q 'missing customer_id' "$TMP/dead.jsonl" || fail "missing customer not dead-lettered"
grep -q 'no line items' "$TMP/dead.jsonl" || fail "empty purchase not dead-lettered"
grep -qE 'line items|too many|100000' "$TMP/dead.jsonl" || fail "100,000-item basket not rejected"
"$PY" - "$TMP/summary.json" <<'PYEOF' || fail "summary counters wrong"
import json, sys
s = json.load(open(sys.argv[1]))
c = s["counters"]
assert c["events_processed"] == 2, c
assert c["events_duplicate"] == 1, c
assert c["rejected_bad_quantity"] == 1 and c["rejected_bad_price"] == 1, c
assert c["rejected_unknown_type"] == 1 and c["rejected_no_items"] == 1, c
assert c["rejected_missing_field"] == 1, c
PYEOF
ok "bad records are dead-lettered with reasons and counted; good ones processed"

# truncated and corrupt Avro container files: errors, not crashes
"$XSELL" generate --seed 3 --events 2000 --format avro -o "$TMP/ev.avro" 2>/dev/null
size=$(stat -c %s "$TMP/ev.avro")
head -c $((size / 2)) "$TMP/ev.avro" >"$TMP/trunc.avro"
set +e
"$XSELL" replay "$TMP/trunc.avro" -o /dev/null --dead-letter "$TMP/dead2.jsonl" 2>"$TMP/err2"
rc=$?
set -e
[ $rc -le 1 ] || fail "truncated avro: exit $rc"
[ -s "$TMP/dead2.jsonl" ] || grep -qi "trunc\|corrupt\|short\|end of file" "$TMP/err2" ||
        fail "truncated avro: no error reported"
ok "a truncated Avro file is reported, not a crash (exit $rc)"
head -c 300 /dev/urandom >"$TMP/garbage.csv"
set +e
"$XSELL" replay -f rees46 "$TMP/garbage.csv" -o /dev/null -q 2>/dev/null
rc=$?
set -e
[ $rc -le 1 ] || fail "CSV garbage: exit $rc"
ok "CSV garbage is reported, not a crash"

# configuration errors name the file and line
printf 'window.size = 7d\n# comment\nwindow.pane = 5x\n' >"$TMP/bad.properties"
set +e
"$XSELL" replay -F "$TMP/bad.properties" "$TMP/events.jsonl" -o /dev/null 2>"$TMP/err3"
rc=$?
set -e
[ $rc -eq 2 ] || fail "bad config: exit $rc"
grep -q "bad.properties:3: window.pane: invalid duration \"5x\"" "$TMP/err3" || fail "$(cat "$TMP/err3")"
printf 'no.such.key=1\n' >"$TMP/unknown.properties"
set +e
"$XSELL" config --show -F "$TMP/unknown.properties" 2>"$TMP/err4"
rc=$?
set -e
[ $rc -eq 2 ] && grep -q 'unknown.properties:1: unknown configuration key "no.such.key"' "$TMP/err4" ||
        fail "unknown key: $(cat "$TMP/err4")"
set +e
"$XSELL" config --show -X window.pane=5h 2>"$TMP/err5"
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "must divide window.size" "$TMP/err5" || fail "cross-key check: $(cat "$TMP/err5")"
set +e
"$XSELL" run -X kafka.bootstrap.servers= 2>"$TMP/err6"
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "kafka.bootstrap.servers is empty" "$TMP/err6" || fail "empty bootstrap: $rc $(cat "$TMP/err6")"
ok "configuration errors are clear and name file:line"

printf 'caps.per_day=5\noffer.max_items=2\n' >"$TMP/good.properties"
show=$(XSELL_CAPS_PER_DAY=7 "$XSELL" config --show -F "$TMP/good.properties" -X offer.max_items=1 \
        -X kafka.bootstrap.servers=localhost:9092)
grep -qx "caps.per_day=7" <<<"$show" || fail "environment does not override the file"
grep -qx "offer.max_items=1" <<<"$show" || fail "-X does not override the file"
grep -qx "kafka.bootstrap.servers=localhost:9092" <<<"$show" || fail "kafka. passthrough"
[ "$("$XSELL" config --list | grep -c '^[a-z]')" -ge 50 ] || fail "config --list too short"
ok "precedence defaults < file < environment < -X; kafka.* passed through"
# a rejected event does not move the end of input: only accepted events do (the cart of c1 is
# 30 minutes from abandonment at the last accepted event; a rejected one 10 days later must
# not fire its timer)
cat >"$TMP/late_reject.jsonl" <<'JEOF'
{"event_id":"1","customer_id":"c1","event_time":1700000000000,"type":"ADD_TO_CART","items":[{"product_id":"p1","quantity":1,"unit_price":1000,"category":"phone"}]}
{"event_id":"2","customer_id":"c2","event_time":1700900000000,"type":"ADD_TO_CART","items":[{"product_id":"p1","quantity":-5,"unit_price":1000}]}
JEOF
"$XSELL" replay -q "$TMP/late_reject.jsonl" -o /dev/null --signals "$TMP/late_signals.jsonl"
grep -q CART_ABANDONED "$TMP/late_signals.jsonl" && fail "a rejected event moved the end of input"
ok "the end of input is the last accepted event"
# the JSON summary escapes its source: a file name with a quote and a backslash (issue 10 item 11)
cp "$TMP/late_reject.jsonl" "$TMP/a\"b\\c.jsonl"
"$XSELL" replay -q "$TMP/a\"b\\c.jsonl" -o /dev/null --summary "$TMP/quoted.json" \
        --summary-format json
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["source"]; assert s.endswith("a\"b\\c.jsonl"), s' \
        "$TMP/quoted.json" || fail "JSON summary with a quoted source: $(head -c 200 "$TMP/quoted.json")"
ok "the JSON summary escapes its source"
# settings that weaken the processing guarantee are refused before connecting (issue 10 item 12)
for kv in enable.auto.commit=true enable.auto.offset.store=1 isolation.level=read_uncommitted \
        enable.idempotence=false; do
        set +e
        timeout 20 "$XSELL" run -X kafka.bootstrap.servers=127.0.0.1:1 -X "kafka.$kv" \
                -X kafka.log_level=0 -X run.idle_exit=1s >/dev/null 2>"$TMP/guard.err"
        rc=$?
        set -e
        [ "$rc" = 2 ] || fail "kafka.$kv: exit $rc, want 2: $(head -3 "$TMP/guard.err")"
        grep -q "kafka.${kv%%=*}=.* would weaken the processing guarantee" "$TMP/guard.err" ||
                fail "kafka.$kv: $(head -3 "$TMP/guard.err")"
done
ok "kafka.* settings that weaken the guarantee are refused with the reason (exit 2)"
# properties files (issue 10 item 13): one without newlines cannot grow memory (a line is at most
# 8191 bytes; the limits here only keep a regression from hurting the machine), a directory is
# not an empty file, a NUL byte does not end a value silently; each names the file (and line)
"$PY" -c 'print("window.size=" + "1" * 20000)' >"$TMP/long.properties"
printf 'window.size=1d\0garbage\n' >"$TMP/nul.properties"
# AddressSanitizer reserves terabytes of address space for its shadow memory: under it the
# address-space limit cannot apply (the plain build's run of this test keeps it)
vlimit=2000000
case "$(ldd "$XSELL" 2>/dev/null)" in *libasan*) vlimit=unlimited ;; esac # not a pipe into grep -q: under pipefail that races
for f in /dev/zero "$TMP/long.properties" "$TMP" "$TMP/nul.properties"; do
        set +e
        (ulimit -v "$vlimit" && timeout 20 "$XSELL" config --show -F "$f") >/dev/null 2>"$TMP/file.err"
        rc=$?
        set -e
        [ "$rc" = 2 ] || fail "-F $f: exit $rc, want 2: $(head -c 300 "$TMP/file.err")"
        grep -qE "^xsell: $f(:1)?: (line longer than|NUL byte|Is a directory)" "$TMP/file.err" ||
                fail "-F $f: $(head -c 300 "$TMP/file.err")"
done
ok "-F refuses an endless line, a directory and a NUL byte, naming the file"
done_testing
