#!/usr/bin/env bash
# deploy/eos-check.sh against `xsell mock-broker` (its --bootstrap mode): the script runs, its
# read_committed reader decodes every offer in full (Confluent framing + Avro with the offer
# schema) although many values hold a newline byte (the old reader split values on newlines and
# failed), and it finds exactly the offers of a replay. Then the checker itself is checked: a
# second processor writing the same offers again makes it fail on duplicates, and a truncated
# or wrongly framed record makes it fail as undecodable. (The compose mode needs a Docker
# engine and is not run here; the mock does not enforce read_committed, hence --kills 0.)
source "$(dirname "$0")/lib_kafka.sh" "$@"

start_broker 1 -t customer-events,product-catalog,offers,xsell-dead-letters
EOS_IDLE=3 bash "$SRC/deploy/eos-check.sh" --bootstrap "$B" --xsell "$XSELL" --kills 0 \
        --events 20000 --partitions-exact >"$TMP/check.out" 2>"$TMP/check.err" ||
        fail "eos-check.sh on the mock: $(tail -5 "$TMP/check.err") $(cat "$TMP/check.out")"
line=$(grep '^offers expected' "$TMP/check.out") || fail "no summary: $(cat "$TMP/check.out")"
read -r expected got newline <<<"$(echo "$line" |
        sed -n 's/^offers expected \([0-9]*\), read_committed \([0-9]*\) .*newline byte \([0-9]*\);.*/\1 \2 \3/p')"
[ "${expected:-0}" -gt 100 ] || fail "too few offers to mean anything: $line"
[ "$got" = "$expected" ] || fail "read_committed count differs from the replay: $line"
[ "$newline" -gt 0 ] || fail "no offer value holds a newline byte, so the old reader's bug is not exercised: $line"
echo "$line" | grep -q 'duplicates 0, missing 0, unexpected 0; .* undecodable 0' || fail "$line"
ok "eos-check.sh --bootstrap on the mock: $line"

# The same offers again, from a second application: the checker must see every id twice.
"$XSELL" generate --seed 9 --events 20000 -o "$TMP/ev.jsonl" --catalog "$TMP/cat.jsonl" 2>/dev/null
"$XSELL" replay "$TMP/ev.jsonl" -c "$TMP/cat.jsonl" -q -o "$TMP/replay.jsonl"
xrun dup -X processing.guarantee=exactly_once -X application.id=dup -X kafka.transactional.id=dup ||
        fail "second run: $(tail -3 "$TMP/dup.err")"
verify() { "$KPY" "$SRC/deploy/eos_verify.py" --bootstrap "$B" --expect "$TMP/replay.jsonl" --idle 2 "$@"; }
if verify >"$TMP/v.out" 2>"$TMP/v.err"; then
        fail "duplicates not detected: $(cat "$TMP/v.out")"
fi
grep -q "duplicates $expected," "$TMP/v.out" || fail "expected $expected duplicates: $(cat "$TMP/v.out")"
grep -q 'FAILED (duplicates)' "$TMP/v.err" || fail "no reason given: $(cat "$TMP/v.err")"
ok "eos_verify.py fails on duplicates: $(cat "$TMP/v.out")"

# Undecodable records: a valid offer cut short, and one with magic byte 1, on a topic of its own.
"$KPY" - "$B" <<'PY'
import sys
from confluent_kafka import Consumer, Producer, TopicPartition
boot = sys.argv[1]
c = Consumer({"bootstrap.servers": boot, "group.id": "t", "enable.auto.commit": False, "log_level": 3})
c.assign([TopicPartition("offers", 0, 0)])
m = None
while m is None or m.error():
    m = c.poll(5)
c.close()
p = Producer({"bootstrap.servers": boot, "log_level": 3})
p.produce("bad-offers", key=m.key(), value=m.value())
p.produce("bad-offers", key=m.key(), value=m.value()[:-3])
p.produce("bad-offers", key=m.key(), value=b"\x01" + m.value()[1:])
p.flush(10)
PY
if verify --topic bad-offers >"$TMP/b.out" 2>"$TMP/b.err"; then
        fail "undecodable records not detected: $(cat "$TMP/b.out")"
fi
grep -q 'undecodable 2;' "$TMP/b.out" || fail "expected 2 undecodable: $(cat "$TMP/b.out")"
grep -q 'runs past the end\|truncated' "$TMP/b.err" || fail "truncation not named: $(cat "$TMP/b.err")"
grep -q 'magic byte 1' "$TMP/b.err" || fail "bad magic not named: $(cat "$TMP/b.err")"
ok "eos_verify.py fails on a truncated offer and a wrong magic byte, naming both"

rc=0
verify --bogus >/dev/null 2>"$TMP/u.err" || rc=$?
[ "$rc" = 2 ] && grep -q 'unknown option --bogus' "$TMP/u.err" || fail "usage error: exit $rc, $(cat "$TMP/u.err")"
ok "eos_verify.py: a usage error exits 2 and names the option"
done_testing
