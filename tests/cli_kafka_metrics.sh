#!/usr/bin/env bash
# Issue 12: what `xsell run` shows of itself over HTTP, checked against an independent client.
# - /metrics parses with a strict exposition-format parser (tests/prom_parse.py, itself checked
#   on broken texts first), during the run and at its end, and its values equal what happened:
#   records consumed = events produced, offers by type, stage and channel = those of
#   `xsell replay` on the same input, their sum = the offers on the topic (read by
#   tests/kafka_util.py) = records produced to it, a latency observation per record, consumer lag
#   per partition from librdkafka's statistics; no customer or product id is a label value.
# - /readyz is 503 while the catalog cannot be read (the broker is down at start) and 200 once
#   it is read (and the group joined); /livez stays 200 meanwhile and through a later broker
#   outage, with http.live_timeout=3s.
# - /customers/ID with http.debug=true: the stage is that of the customer's last journey signal
#   on the topic; unknown ids and ids with quotes and slashes are 404. /products/ID/related
#   gives the product's complements. With http.debug=false both are 404.
# - a restart restores state by replay: xsell_restore_events_total, xsell_restore_done, and the
#   replayed events are not counted again as events, offers or conversions.
source "$(dirname "$0")/lib_kafka.sh" "$@"
PP="$SRC/tests/prom_parse.py"

# ---- the strict parser refuses what the format forbids (a parser that accepts anything
# would make every check below pass) -------------------------------------------------------
bad() {
        printf "$1" >"$TMP/bad.prom"
        if "$PY" "$PP" "$TMP/bad.prom" >/dev/null 2>&1; then fail "prom_parse accepted: $1"; fi
}
printf '# HELP a_total x\n# TYPE a_total counter\na_total{l="v\\\\\\"\\n"} 1\n' >"$TMP/good.prom"
"$PY" "$PP" "$TMP/good.prom" >/dev/null || fail "prom_parse refused a valid text"
bad 'a{l="x} 1\n'                                # unterminated value
bad 'a{l="x\\q"} 1\n'                            # bad escape
bad 'a{l="1",l="2"} 1\n'                         # label twice
bad '1a 1\n'                                     # bad name
bad 'a 1\na 2\n'                                 # sample twice
bad 'a 1\nb 1\na{x="y"} 1\n'                     # family not together
bad '# TYPE a counter\na -1\n'                   # negative counter
bad '# TYPE a counter\n# TYPE a gauge\na 1\n'    # TYPE twice
bad 'a 1\n# TYPE a counter\n'                    # TYPE after samples
bad 'a one\n'                                    # bad value
bad 'a 1'                                        # no final newline
bad '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n'
bad '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 1\n'
bad '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n' # no +Inf
ok "the strict exposition parser accepts a valid text and refuses 14 broken ones"

gen --seed 11 --events 3000 --customers 300 --products 200 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
# and a customer whose id needs escaping everywhere (URL, JSON), viewing and carting a product
# whose id does too, at the stream's last event time
WEIRD='a/b"c\d é'
"$PY" - "$TMP/ev.jsonl" "$WEIRD" <<'PYEOF'
import json, sys
t = max(json.loads(l)["event_time"] for l in open(sys.argv[1]))
item = {"product_id": 'p/1"x', "quantity": 1, "unit_price": 100, "category": "c"}
with open(sys.argv[1], "a") as f:
    for i, typ in enumerate(["PRODUCT_VIEW", "ADD_TO_CART"]):
        f.write(json.dumps({"event_id": "weird-%d" % i, "customer_id": sys.argv[2], "session_id": "w",
                            "event_time": t, "type": typ, "items": [item], "currency": "EUR"}) + "\n")
PYEOF
N=$(wc -l <"$TMP/ev.jsonl")
# the broker is down when xsell starts: the catalog cannot be read until it is back
start_broker 2 -t customer-events,product-catalog,offers,journey-signals,xsell-dead-letters
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
kill -USR1 "$BROKER_PID"
wait_for "$TMP/broker.1.err" "broker 1 down" 5 || fail "broker not down"

# get NAME PATH: the body to $TMP/NAME, prints the HTTP status
get() {
        curl -s -m 10 -o "$TMP/$1" -w '%{http_code}' "http://127.0.0.1:$PORT$2" || echo 000
}
# scrape NAME: /metrics to $TMP/NAME.prom, parsed strictly into $TMP/NAME.json
scrape() {
        local st
        st=$(get "$1.prom" /metrics)
        [ "$st" = 200 ] || fail "/metrics answered $st"
        "$PY" "$PP" "$TMP/$1.prom" >"$TMP/$1.json" 2>"$TMP/$1.perr" ||
                fail "/metrics does not parse: $(cat "$TMP/$1.perr")"
}
# val NAME SAMPLE: a sample's value (as an integer) from a parsed scrape; "none" if absent
val() {
        "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d.get(sys.argv[2]); print("none" if v is None else int(v))' \
                "$TMP/$1.json" "$2"
}
# sumof NAME FAMILY: the sum of a family's samples
sumof() {
        "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(int(sum(v for k,v in d.items() if k.split("{")[0]==sys.argv[2])))' \
                "$TMP/$1.json" "$2"
}
start_port() { # NAME: the port from the run's "listening on" log line
        local i
        for i in $(seq 100); do
                PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$1.err" 2>/dev/null | head -1 || true)
                [ -n "$PORT" ] && return 0
                kill -0 "$XPID" 2>/dev/null || fail "xsell run exited: $(tail -5 "$TMP/$1.err")"
                sleep 0.1
        done
        fail "no 'listening on' line: $(tail -5 "$TMP/$1.err")"
}


xrun_bg run -X catalog.bootstrap_timeout=120s -X http.debug=true -X topic.signals=journey-signals \
        -X kafka.statistics.interval.ms=500 -X commit.interval=200ms -X http.live_timeout=3s \
        -X shutdown.timeout=2s
RUN=$XPID
start_port run
sleep 3
st=$(get ready0 /readyz)
[ "$st" = 503 ] && grep -q catalog "$TMP/ready0" || fail "/readyz before the catalog: $st $(cat "$TMP/ready0")"
[ "$(get live0 /livez)" = 200 ] || fail "/livez while waiting for the catalog: $(cat "$TMP/live0")"
scrape m0
[ "$(val m0 xsell_ready)" = 0 ] || fail "xsell_ready is $(val m0 xsell_ready) before the catalog"
grep -q "read to its end" "$TMP/run.err" && fail "catalog read with the broker down?"
ok "broker down at start: /readyz 503 ($(cat "$TMP/ready0")), /livez 200, xsell_ready 0"

kill -USR2 "$BROKER_PID"
for i in $(seq 300); do
        [ "$(get ready1 /readyz)" = 200 ] && break
        sleep 0.1
done
[ "$(cat "$TMP/ready1")" = ok ] || fail "/readyz after the catalog: $(cat "$TMP/ready1")"
grep -q "catalog product-catalog read to its end: 202 records" "$TMP/run.err" ||
        fail "catalog not read: $(grep catalog "$TMP/run.err" | tail -2)"
ok "broker back: catalog read to its end, group joined, /readyz 200 ok"

ku produce "$B" customer-events "$TMP/ev.jsonl" --kind event --rate 1500 2>/dev/null &
PROD=$!
PIDS+=("$PROD")
n=0
for i in $(seq 600); do
        scrape during # parsed strictly each time
        n=$(val during 'xsell_records_consumed_total{topic="customer-events"}')
        [ "$n" = $N ] && break
        sleep 0.1
done
wait "$PROD"
[ "$n" = $N ] || fail "records consumed: $n of $N"
ok "scraped and parsed /metrics $i times while the $N events were processed"

# settle: every offer acknowledged, nothing moving for 2 s
prev=
for i in $(seq 60); do
        scrape end
        cur="$(sumof end xsell_offers_total) $(val end 'xsell_records_produced_total{topic="offers"}') $(sumof end xsell_signals_total) $(val end 'xsell_records_produced_total{topic="journey-signals"}')"
        set -- $cur
        [ "$1" = "$2" ] && [ "$3" = "$4" ] && [ "$cur" = "$prev" ] && break
        prev=$cur
        sleep 1
done
noffers=$(val end 'xsell_records_produced_total{topic="offers"}')
ntopic=$(ku consume "$B" offers --mode offers --eof --idle 5 | wc -l)
[ "$(sumof end xsell_offers_total)" = "$ntopic" ] && [ "$noffers" = "$ntopic" ] ||
        fail "offers: metric $(sumof end xsell_offers_total), produced $noffers, on the topic $ntopic"
[ "$ntopic" -gt 0 ] || fail "no offers"
ok "xsell_offers_total sums to the $ntopic offers the independent consumer read, = records produced to offers"

# per type, stage and channel: what `xsell replay` makes of the same input (cli_kafka_e2e.sh
# shows the two make the same offers)
"$XSELL" replay "$TMP/ev.jsonl" -c "$TMP/cat.jsonl" -q >"$TMP/replay.jsonl"
"$PY" - "$TMP/replay.jsonl" "$TMP/end.json" <<'PYEOF' || fail "offers by label differ from xsell replay"
import collections, json, sys
want = collections.Counter()
for line in open(sys.argv[1]):
    o = json.loads(line)
    want['xsell_offers_total{type="%s",stage="%s",channel="%s"}' % (o["type"], o["stage"], o["channel"])] += 1
got = {k: int(v) for k, v in json.load(open(sys.argv[2])).items() if k.startswith("xsell_offers_total{")}
if dict(want) != got:
    print("want", dict(want), "\ngot ", got, file=sys.stderr)
    sys.exit(1)
PYEOF
ok "xsell_offers_total by type, stage and channel = xsell replay's offers ($(grep -c . "$TMP/replay.jsonl"))"
# the engine's counters (PRODUCT.md section 6): offers made, converted, withheld for the control
# group and converted there, per type and stage, and events by type, as xsell replay counts them
"$XSELL" replay "$TMP/ev.jsonl" -c "$TMP/cat.jsonl" -q --summary "$TMP/replay.sum" \
        --summary-format json >/dev/null
"$PY" - "$TMP/replay.sum" "$TMP/end.json" <<'PYEOF' || fail "engine counters differ from xsell replay's summary"
import json, sys
s, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
fams = {"sent": "xsell_offers_made_total", "converted": "xsell_conversions_total",
        "control_withheld": "xsell_control_group_total", "control_converted": "xsell_control_conversions_total"}
want = {}
for row in s["offers"]:
    for k, fam in fams.items():
        want['%s{type="%s",stage="%s"}' % (fam, row["type"], row["stage"])] = row[k]
for k, v in s["events_by_type"].items():
    want['xsell_events_total{type="%s"}' % k] = v
got = {k: int(v) for k, v in m.items() if k.split("{")[0] in set(fams.values()) | {"xsell_events_total"}}
bad = {k: (want.get(k, 0), got.get(k, 0)) for k in set(want) | set(got) if want.get(k, 0) != got.get(k, 0)}
if bad or not any(v for k, v in want.items() if k.startswith("xsell_control_group_total")):
    print(bad, file=sys.stderr)
    sys.exit(1)
PYEOF
ok "offers made, conversions, control group and its conversions per type and stage, events by type = xsell replay's summary"

events=$(sumof end xsell_events_total)
dropped=$(sumof end xsell_events_dropped_total)
[ $((events + dropped)) = $N ] || fail "events $events + dropped $dropped != $N"
[ "$(val end xsell_processing_latency_seconds_count)" = $N ] ||
        fail "latency observations: $(val end xsell_processing_latency_seconds_count)"
[ "$(val end xsell_events_processed_total)" = "$events" ] || fail "xsell_events_processed_total"
ok "events by type ($events) + dropped ($dropped) = $N consumed; $N latency observations"

for p in 0 1; do
        lag=none
        for i in $(seq 50); do
                scrape lag
                lag=$(val lag "xsell_consumer_lag{topic=\"customer-events\",partition=\"$p\"}")
                [ "$lag" = 0 ] && break
                sleep 0.2
        done
        [ "$lag" = 0 ] || fail "consumer lag of partition $p: $lag"
done
ok "xsell_consumer_lag from librdkafka statistics: 0 on both partitions at the end"

# no customer or product id as a label value
"$PY" - "$TMP/ev.jsonl" "$TMP/end.prom" <<'PYEOF' || fail "an id is a label value"
import json, re, sys
ids = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    ids.add(e["customer_id"])
    ids.update(i["product_id"] for i in e.get("items") or [])
vals = set(re.findall(r'="((?:[^"\\]|\\.)*)"', open(sys.argv[2]).read()))
bad = vals & ids
if bad:
    print(sorted(bad)[:5], file=sys.stderr)
    sys.exit(1)
PYEOF
ok "no customer or product id among the label values"

# ---- the debug views -------------------------------------------------------------------
ku consume "$B" journey-signals --eof --idle 5 >"$TMP/signals.raw"
cust=$("$PY" - "$SRC/tests" "$TMP/signals.raw" "$TMP/last_stage" <<'PYEOF'
import collections, json, sys
sys.path.insert(0, sys.argv[1])
import kafka_util as ku
dec = ku.Decoder(ku.load_schema("journey_signal.avsc"))
last, n = {}, collections.Counter()
for line in open(sys.argv[2]):
    r = json.loads(line)
    rec, _ = dec.decode(bytes.fromhex(r["value_hex"]), 5)
    last[rec["customer_id"]] = rec["to_stage"]  # one customer: one partition, in order
    n[rec["customer_id"]] += 1
c = max(n, key=lambda k: (n[k], k))
open(sys.argv[3], "w").write(last[c])
print(c)
PYEOF
)
[ -n "$cust" ] || fail "no customer with journey signals"
st=$(get cust.json "/customers/$cust")
[ "$st" = 200 ] || fail "/customers/$cust: $st $(cat "$TMP/cust.json")"
"$PY" - "$TMP/cust.json" "$cust" "$(cat "$TMP/last_stage")" <<'PYEOF' || fail "customer view: $(cat "$TMP/cust.json")"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["customer_id"] == sys.argv[2], v["customer_id"]
assert v["stage"] == sys.argv[3], (v["stage"], sys.argv[3])
for k in ("cart", "timers", "open_offers", "recent_views", "caps_today"):
    assert k in v, k
PYEOF
ok "/customers/$cust: stage $(cat "$TMP/last_stage"), as the customer's last journey signal on the topic"
st=$(get weird.json '/customers/a%2Fb%22c%5Cd%20%C3%A9')
[ "$st" = 200 ] || fail "/customers/<escaped id>: $st $(cat "$TMP/weird.json")"
"$PY" -c '
import json, sys
v = json.load(open(sys.argv[1], encoding="utf-8"))
assert v["customer_id"] == sys.argv[2], v["customer_id"]
assert v["stage"] == "CART" and v["cart"]["lines"][0]["product_id"] == "p/1\"x", v
assert v["timers"]["cart_abandon"], v["timers"]' "$TMP/weird.json" "$WEIRD" ||
        fail "view of the escaped id: $(cat "$TMP/weird.json")"
[ "$(get weird2.json '/products/p%2F1%22x/related')" = 200 ] &&
        "$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["product_id"] == "p/1\"x"' "$TMP/weird2.json" ||
        fail "view of an escaped product id: $(cat "$TMP/weird2.json")"
ok "ids with / \" \\ and UTF-8, percent-encoded in the URL: valid JSON with the id as it is (stage CART, cart timer armed)"
[ "$(get nf /customers/no-such-customer)" = 404 ] || fail "unknown customer not 404"
[ "$(get nf2 '/customers/a%22b%2Fc%5C')" = 404 ] || fail "quoted id not 404: $(cat "$TMP/nf2")"
prod=$(head -1 "$TMP/cat.jsonl" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["product_id"])')
best=$("$PY" -c '
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "PURCHASE":
        n.update(i["product_id"] for i in e.get("items") or [])
print(n.most_common(1)[0][0])' "$TMP/ev.jsonl")
st=$(get prod.json "/products/$best/related")
[ "$st" = 200 ] || fail "/products/$best/related: $st"
"$PY" -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["product_id"] == sys.argv[2]
assert v["catalog"] and v["catalog"]["source"] == "record", v["catalog"]
assert isinstance(v["complements"], list) and isinstance(v["alternatives"], list)
assert v["complements"] or v["alternatives"], "no related products for the most bought product"
for r in v["complements"]:
    assert set(r["evidence"]) >= {"k11", "k12", "k21", "k22", "llr", "lift", "pair_counts"}
' "$TMP/prod.json" "$best" || fail "product view: $(head -c 400 "$TMP/prod.json")"
[ "$(get nf3 /products/no-such-product/related)" = 404 ] || fail "unknown product not 404"
ok "/products/$best/related: catalog entry, complements with their evidence; unknown ids 404"

# a second instance on the same port: a clear error, exit 2 (configuration)
rc=0
"$XSELL" run -X kafka.bootstrap.servers="$B" -X http.port="$PORT" -X application.id=other \
        --print none >/dev/null 2>"$TMP/port.err" || rc=$?
[ "$rc" = 2 ] && grep -q "cannot listen on 127.0.0.1 port $PORT" "$TMP/port.err" ||
        fail "port in use: exit $rc, $(tail -2 "$TMP/port.err")"
ok "http.port in use: exit 2, \"cannot listen on 127.0.0.1 port $PORT\""

# ---- a broker outage: the loop keeps turning, /livez stays up ----------------------------
scrape before
up=$(sumof before xsell_kafka_brokers_up) # over the clients: connections that are up
[ "$up" -ge 2 ] || fail "xsell_kafka_brokers_up before the outage: $(grep brokers_up "$TMP/before.prom")"
kill -USR1 "$BROKER_PID"
for i in $(seq 50); do
        [ "$(grep -c "broker 1 down" "$TMP/broker.1.err")" = 2 ] && break
        sleep 0.1
done
[ "$(grep -c "broker 1 down" "$TMP/broker.1.err")" = 2 ] || fail "broker 1 not down again"
down=0
for i in $(seq 10); do
        st=$(get live /livez)
        [ "$st" = 200 ] || fail "/livez $st during the outage ($i s): $(cat "$TMP/live")"
        scrape out
        [ "$(sumof out xsell_kafka_brokers_up)" -lt "$up" ] && down=1
        sleep 1
done
[ "$down" = 1 ] || fail "xsell_kafka_brokers_up never showed the outage: $(grep brokers_up "$TMP/out.prom")"
kill -USR2 "$BROKER_PID"
ok "broker down 10 s: /livez 200 throughout (http.live_timeout=3s), xsell_kafka_brokers_up fell from $up"

kill -TERM "$RUN"
wait "$RUN" || fail "xsell run exited $? after SIGTERM: $(tail -5 "$TMP/run.err")"
want=$("$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
t = {}
for r in s["offers"]:
    c = t.setdefault(r["type"], [0, 0, 0, 0])
    c[0] += r["converted"]; c[1] += r["sent"]; c[2] += r["control_converted"]; c[3] += r["control_withheld"]
print(" ".join("%s=%d/%d" % (k, v[0], v[1]) for k, v in sorted(t.items())))
print(" ".join("%s=%d/%d" % (k, v[2], v[3]) for k, v in sorted(t.items())))' "$TMP/replay.sum")
grep 'summary: consumed' "$TMP/run.err" >"$TMP/summary" || fail "no summary: $(tail -3 "$TMP/run.err")"
grep -q 'conversions (converted/sent' "$TMP/summary" && grep -q 'control group (converted/withheld)' "$TMP/summary" ||
        fail "no conversions in the summary: $(cat "$TMP/summary")"
for w in $want; do
        grep -q " $w " "$TMP/summary" || fail "summary lacks $w: $(cat "$TMP/summary")"
done
ok "SIGTERM: exit 0; the summary gives conversions and the control group's"

# ---- a restart in the same group: state restored by replay, not counted as new work; and
# http.debug=false: no debug views ---------------------------------------------------------
# state.restore_max_events keeps the newest 1000 events of each of the 2 partitions
xrun_bg run2 -X topic.signals=journey-signals -X state.restore_max_events=1000
start_port run2
for i in $(seq 300); do
        scrape r2
        [ "$(val r2 xsell_ready)" = 1 ] && break
        sleep 0.1
done
[ "$(get nd3 /readyz)" = 200 ] || fail "run2 not ready: $(cat "$TMP/nd3")"
grep -q "restored 2000 events" "$TMP/run2.err" || fail "run2 did not restore: $(grep restor "$TMP/run2.err")"
grep -q "state.restore_max_events leaves out the $((N - 2000)) oldest events" "$TMP/run2.err" ||
        fail "no warning of the restore cap: $(grep restor "$TMP/run2.err")"
sleep 2
scrape r2
[ "$(val r2 xsell_restore_events_total)" = 2000 ] && [ "$(val r2 xsell_restore_done)" = 1 ] &&
        [ "$(val r2 xsell_restore_planned_events)" = 2000 ] &&
        [ "$(val r2 'xsell_cap_hits_total{cap="state.restore_max_events"}')" = $((N - 2000)) ] ||
        fail "restore metrics: $(grep '^xsell_restore\|restore_max' "$TMP/r2.prom")"
[ "$(sumof r2 xsell_events_total)" = 0 ] && [ "$(sumof r2 xsell_offers_made_total)" = 0 ] &&
        [ "$(sumof r2 xsell_conversions_total)" = 0 ] && [ "$(sumof r2 xsell_offers_total)" = 0 ] ||
        fail "replayed events counted as new: events $(sumof r2 xsell_events_total), offers $(sumof r2 xsell_offers_made_total)"
[ "$(val r2 xsell_customers)" -gt 0 ] || fail "no customers after the restore"
ok "restart: 2000 of $N events restored (state.restore_max_events, the cap's $((N - 2000)) in xsell_cap_hits_total and a warning), xsell_restore_done 1; replayed events not counted as events, offers or conversions"
[ "$(get nd "/customers/$cust")" = 404 ] || fail "/customers with http.debug=false: $(cat "$TMP/nd")"
[ "$(get nd2 "/products/$best/related")" = 404 ] || fail "/products with http.debug=false"
kill -TERM "$XPID"
wait "$XPID" || fail "run2 exit $?"
ok "http.debug=false: /customers/ID and /products/ID/related are 404"
done_testing
