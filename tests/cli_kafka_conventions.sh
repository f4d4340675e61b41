#!/usr/bin/env bash
# Issue 12 defects 3, 4 and 6: the Kafka conventions of xsell's outputs, read back by the
# independent client (tests/kafka_util.py).
# - Partitioning: offers, signals, outcomes and dead letters land on the partition the Java
#   client would pick, toPositive(murmur2(key)) % partitions, with murmur2 written out here (and
#   checked against Kafka's own test vectors), on a 5-partition broker.
# - Timestamps: each output's record timestamp is the event time of its trigger (an offer's
#   created_at, a timer's due time for a timer-fired one; a signal's event_time; an outcome's
#   converted_at); a dead letter keeps the poison record's own timestamp.
# - Headers: the traceparent and tracestate of an input event (headers.passthrough default) ride
#   on the outputs that event triggered, and only those; a header not in the list never does;
#   the list is configurable.
# - Every client and consumer group is named after application.id (<application.id>-consumer,
#   -producer, -catalog, -restore; groups <application.id>, -catalog, -restore), checked with a
#   non-default application.id in librdkafka's debug lines.
source "$(dirname "$0")/lib_kafka.sh" "$@"

TOPICS=customer-events,product-catalog,offers,journey-signals,offer-outcomes,xsell-dead-letters,offers-b,offers-c
gen --seed 12 --events 4000 --customers 300 --products 200 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
# outcomes: the customers of the last 5 offers of a replay buy the first offered product
"$XSELL" replay "$TMP/ev.jsonl" -c "$TMP/cat.jsonl" -q | tail -5 >"$TMP/last-offers.jsonl"
"$KPY" - "$TMP/ev.jsonl" "$TMP/last-offers.jsonl" <<'PYEOF'
import json, sys
last = max(json.loads(l)["event_time"] for l in open(sys.argv[1]))
with open(sys.argv[1], "a") as out:
    for i, line in enumerate(open(sys.argv[2])):
        o = json.loads(line)
        it = o["items"][0]
        out.write(json.dumps({"event_id": "crafted-%d" % i, "customer_id": o["customer_id"],
                              "session_id": "s-crafted", "event_time": last + 60000 * (i + 1),
                              "type": "PURCHASE", "items": [{"product_id": it["product_id"],
                              "quantity": 1, "unit_price": it["price"], "category": it["category"],
                              "brand": it["brand"], "category_label": None}], "currency": "EUR",
                              "order_id": "ord-crafted-%d" % i, "offer_id": None}) + "\n")
PYEOF
start_broker 5 -t "$TOPICS"
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" --trace 1 2>/dev/null
# one poison record, keyed, with a traceparent and a timestamp of its own
"$KPY" - "$B" <<'PYEOF'
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "log_level": 3})
p.produce("customer-events", key=b"poison-customer-42", value=b"\x00\x00\x00\x00\x01\xff\xff",
          headers=[("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")],
          timestamp=1234567890123)
assert p.flush(10) == 0
PYEOF
ok "catalog, 4005 events with trace headers and one poison record produced on 5 partitions"

# a non-default application.id: every client id and group id derives from it (a hard-coded
# name would not show with the default id), so ACLs on its prefix cover them all
xrun run -X application.id=shop1 -X topic.signals=journey-signals -X topic.outcomes=offer-outcomes \
        -X kafka.debug=generic,cgrp -X log.level=debug || fail "xsell run: $(grep -v '^%' "$TMP/run.err" | tail -5)"
[ "$(consumed run)" = 4006 ] || fail "consumed $(consumed run), not 4006"
ids() { grep -o '\b[a-z0-9-]*#\(consumer\|producer\)-[0-9]*' "$1" | sed 's/#.*//' | sort -u | tr '\n' ' '; }
# librdkafka says Group "ID" (its quotes escaped in the JSON log lines)
groups() { grep -oE 'Group \\?"[^"\\]*' "$1" | sed 's/.*"//' | sort -u | tr '\n' ' '; }
for c in shop1-consumer shop1-catalog; do
        grep -q "\b$c#consumer" "$TMP/run.err" || fail "no client $c: client ids $(ids "$TMP/run.err")"
done
grep -q "\bshop1-producer#producer" "$TMP/run.err" || fail "no client shop1-producer: $(ids "$TMP/run.err")"
groups "$TMP/run.err" | grep -qw shop1-catalog || fail "the catalog group is not shop1-catalog: $(groups "$TMP/run.err")"
bad=$(ids "$TMP/run.err" | tr ' ' '\n' | grep -v '^shop1-' || true)
[ -z "$bad" ] || fail "client ids not derived from application.id: $bad"
bad=$(groups "$TMP/run.err" | tr ' ' '\n' | grep -v '^shop1\(-\|$\)' | grep . || true)
[ -z "$bad" ] || fail "group ids not derived from application.id: $bad"
ok "application.id=shop1: clients shop1-consumer, -producer, -catalog; groups shop1, shop1-catalog"

# Java's murmur2, written out here from org.apache.kafka.common.utils.Utils.murmur2 (xsell's
# own code is not used), checked against the vectors of Kafka's UtilsTest
cat >"$TMP/jmurmur.py" <<'PYEOF'
def murmur2(data):
    """org.apache.kafka.common.utils.Utils.murmur2, as a 32-bit unsigned value."""
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest, tail = len(data) % 4, len(data) & ~3
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def signed(u):
    return u - (1 << 32) if u & 0x80000000 else u


# Kafka's UtilsTest.testMurmur2 vectors: the implementation above is Java's
for s, want in [("21", -973932308), ("foobar", -790332482), ("a-little-bit-long-string", -985981536),
                ("a-little-bit-longer-string", -1486304829),
                ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971), ("abc", 479470107)]:
    assert signed(murmur2(s.encode())) == want, (s, signed(murmur2(s.encode())), want)
PYEOF

for t in offers:offer.avsc journey-signals:journey_signal.avsc offer-outcomes:offer_outcome.avsc \
        xsell-dead-letters:; do
        if [ -n "${t#*:}" ]; then
                ku consume "$B" "${t%%:*}" --mode records --schema "${t#*:}" --eof >"$TMP/${t%%:*}.rec"
        else
                ku consume "$B" "${t%%:*}" --mode records --eof >"$TMP/${t%%:*}.rec"
        fi
done

"$KPY" - "$TMP" "$SRC/tests" 5 <<'PYEOF' || fail "partitioning, timestamps or headers (see above)"
import json, os, sys
tmp, tests, nparts = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, tests)
sys.path.insert(0, tmp)
from kafka_util import trace_headers
from jmurmur import murmur2


def java_partition(key):
    return (murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % nparts


events = {}
for line in open(os.path.join(tmp, "ev.jsonl")):
    e = json.loads(line)
    events[e["event_id"]] = (e["event_time"], [[k, v.decode()] for k, v in trace_headers(e)[:2]])


def load(name):
    return [json.loads(l) for l in open(os.path.join(tmp, name + ".rec"))]


def check(name, trigger_field, time_field, min_parts=2):
    recs = load(name)
    assert recs, "no records on " + name
    parts, direct, other = set(), 0, 0
    for r in recs:
        assert r["p"] == java_partition(r["key"]), (name, r["key"], r["p"], java_partition(r["key"]))
        parts.add(r["p"])
        v = r["value"]
        assert r["ts_type"] == 1, (name, "not CreateTime", r)
        assert r["ts"] == v[time_field], (name, "timestamp", r["ts"], time_field, v[time_field])
        tid = v[trigger_field]
        if tid in events and events[tid][0] == v[time_field]:
            assert r["headers"] == events[tid][1], (name, "headers", r["headers"], events[tid][1])
            direct += 1
        else:
            assert r["headers"] == [], (name, "headers on an output no input event triggered", r)
            other += 1
    assert len(parts) >= min_parts, (name, "on too few partitions", parts)
    print("# %s: %d records on %d partitions, timestamps = %s; %d with their trigger's trace "
          "headers, %d fired by timers (none)" % (name, len(recs), len(parts), time_field, direct, other))
    return direct, other


d, t = check("offers", "trigger_event_id", "created_at")
assert d > 0 and t > 0, "want offers of both kinds (event- and timer-fired)"
d, t = check("journey-signals", "trigger_event_id", "event_time")
assert d > 0 and t > 0, "want signals of both kinds"
d, _ = check("offer-outcomes", "purchase_event_id", "converted_at", 1)
assert d > 0

dead = load("xsell-dead-letters")
assert len(dead) == 1, dead
r = dead[0]
assert r["key"] == "poison-customer-42" and r["p"] == java_partition(r["key"]), r
assert r["ts"] == 1234567890123, ("dead letter timestamp", r["ts"])
names = [h[0] for h in r["headers"]]
assert names[0] == "traceparent" and "__xsell.errors.stage" in names, names
print("# dead letter: partition %d = murmur2, its own timestamp and headers kept" % r["p"])
PYEOF
ok "offers, signals, outcomes and dead letters: Java murmur2 partitions, trigger event times as timestamps, the trigger's trace headers only"

# a configured list: only x-not-passed (and every occurrence of it) rides on the offers
xrun run2 -X application.id=conventions-b -X topic.offers=offers-b \
        -X headers.passthrough=x-not-passed || fail "xsell run: $(tail -5 "$TMP/run2.err")"
ku consume "$B" offers-b --mode records --eof >"$TMP/offers-b.rec"
"$KPY" - "$TMP/offers-b.rec" <<'PYEOF' || fail "headers.passthrough=x-not-passed"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
with_h = [r for r in recs if r["headers"]]
assert recs and with_h, "no offer carries x-not-passed"
assert all(r["headers"] == [["x-not-passed", "private"]] for r in with_h), with_h[:3]
print("# %d of %d offers carry x-not-passed alone" % (len(with_h), len(recs)))
PYEOF
ok "headers.passthrough is configurable: the listed header, alone"

# the user's kafka.partitioner wins over xsell's default: with random, keys leave their
# murmur2 partition
xrun run3 -X application.id=conventions-c -X topic.offers=offers-c -X kafka.partitioner=random ||
        fail "xsell run with kafka.partitioner: $(tail -5 "$TMP/run3.err")"
ku consume "$B" offers-c --mode offers --eof >"$TMP/offers-c.rec"
"$KPY" - "$TMP/offers-c.rec" "$TMP" <<'PYEOF' || fail "kafka.partitioner=random was not applied"
import json, sys
sys.path.insert(0, sys.argv[2])
from jmurmur import murmur2
recs = [json.loads(l) for l in open(sys.argv[1])]
off = [r for r in recs if r["p"] != (murmur2(r["key"].encode()) & 0x7FFFFFFF) % 5]
assert len(recs) > 20 and off, (len(recs), len(off))
print("# %d of %d offers off their murmur2 partition" % (len(off), len(recs)))
PYEOF
ok "kafka.partitioner overrides the default (random: $(wc -l <"$TMP/offers-c.rec") offers spread off murmur2)"

# application.id=shop1 again (last: it may fire timers): offsets are committed, so state is
# restored, by a client and group of its own
xrun restore -X application.id=shop1 -X topic.signals=journey-signals -X topic.outcomes=offer-outcomes \
        -X kafka.debug=generic,cgrp -X log.level=debug || fail "xsell run (restore): $(grep -v '^%' "$TMP/restore.err" | tail -5)"
grep -q "restoring state" "$TMP/restore.err" || fail "the second run restored nothing: $(grep -v '^%' "$TMP/restore.err" | tail -3)"
grep -q "\bshop1-restore#consumer" "$TMP/restore.err" || fail "no client shop1-restore: $(ids "$TMP/restore.err")"
groups "$TMP/restore.err" | grep -qw shop1-restore || fail "the restore group is not shop1-restore: $(groups "$TMP/restore.err")"
bad=$(ids "$TMP/restore.err" | tr ' ' '\n' | grep -v '^shop1-' || true)
[ -z "$bad" ] || fail "client ids not derived from application.id: $bad"
ok "the restore consumer is client and group shop1-restore"
done_testing
