#!/usr/bin/env bash
# Issue 12: xsell_consumer_lag under processing.guarantee=exactly_once and for the catalog topic.
# librdkafka's own consumer_lag is measured from the committed offset: exactly_once commits
# through the producer's transactions and the catalog's consumer never commits, so both were
# missing from /metrics. The lag is now taken from the stored offset, else the end less the
# position: every partition of the events and the catalog topics has a series, and it is 0 once
# everything is read (the input was produced before the start, so there was a backlog).
# In the same run: xsell_cap_hits_total has a series for every configuration key that is a cap
# (memory.budget was missing), no figure is shown under two families, and with
# debug.recent_offers /customers/ID gives each customer's last offers with the evidence of their
# records on the topic (why this offer, from the endpoint alone).
source "$(dirname "$0")/lib_kafka.sh" "$@"
PP="$SRC/tests/prom_parse.py"

gen --seed 5 --events 1500 --customers 200 --products 120 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
N=$(wc -l <"$TMP/ev.jsonl")
start_broker 2 -t customer-events,product-catalog,offers,xsell-dead-letters
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" --kind event 2>/dev/null

xrun_bg run -X processing.guarantee=exactly_once -X application.id=lag \
        -X kafka.transactional.id=lag -X kafka.statistics.interval.ms=200 -X commit.interval=200ms \
        -X http.debug=true -X debug.recent_offers=3
PORT=
for i in $(seq 100); do
        PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/run.err" | head -1)
        [ -n "$PORT" ] && break
        kill -0 "$XPID" 2>/dev/null || fail "xsell run exited: $(tail -5 "$TMP/run.err")"
        sleep 0.1
done
[ -n "$PORT" ] || fail "no 'listening on' line: $(tail -5 "$TMP/run.err")"

# lags: every xsell_consumer_lag sample of a strictly parsed scrape, "topic/partition=value"
lags() {
        curl -s -m 10 -o "$TMP/m.prom" "http://127.0.0.1:$PORT/metrics" || return 0
        "$PY" "$PP" "$TMP/m.prom" >"$TMP/m.json" 2>"$TMP/m.perr" ||
                fail "/metrics does not parse: $(cat "$TMP/m.perr")"
        "$PY" - "$TMP/m.json" <<'PYEOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
out = []
for k, v in d.items():
    m = re.fullmatch(r'xsell_consumer_lag\{topic="([^"]*)",partition="(\d+)"\}', k)
    if m:
        out.append("%s/%s=%d" % (m.group(1), m.group(2), int(v)))
print(" ".join(sorted(out)))
PYEOF
}
want="customer-events/0=0 customer-events/1=0 product-catalog/0=0 product-catalog/1=0"
got=
for i in $(seq 150); do
        got=$(lags)
        [ "$got" = "$want" ] && break
        sleep 0.2
done
[ "$got" = "$want" ] || fail "consumer lag under exactly_once: '$got', want '$want'"
grep -q "summary" "$TMP/run.err" && fail "run ended early"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(int(d["xsell_records_consumed_total{topic=\"customer-events\"}"]) != int(sys.argv[2]))' \
        "$TMP/m.json" "$N" || fail "not every event consumed"
ok "exactly_once: xsell_consumer_lag is 0 on both partitions of the events and the catalog topics after the $N events"

# every cap (a configuration key that bounds something and turns the rest away) has its series
# in xsell_cap_hits_total, and every cap label is a configuration key
"$XSELL" config --markdown | sed -n 's/^| `\([^`]*\)`.*/\1/p' >"$TMP/keys"
"$PY" - "$TMP/m.json" "$TMP/keys" <<'PYEOF' || fail "caps and xsell_cap_hits_total disagree"
import json, re, sys
d = json.load(open(sys.argv[1]))
keys = set(open(sys.argv[2]).read().split())
labels = {m.group(1) for k in d for m in [re.fullmatch(r'xsell_cap_hits_total\{cap="([^"]*)"\}', k)] if m}
# bounds that are not caps: contract checks (an event beyond one is dead-lettered and counted in
# xsell_events_dropped_total{reason}), the size of an offer, price ratios, and the recency list
# of viewed products (the oldest view leaves as a new one comes, like a window's pane)
not_caps = {"event.max_items", "event.max_id_bytes", "event.max_label_bytes", "event.max_ahead",
            "event.max_ahead_confirm", "event.max_quantity", "event.max_unit_price",
            "offer.max_items", "upsell.max_ratio", "downsell.max_ratio", "cooc.max_recent_views"}
caps = {k for k in keys if re.search(r"max|capacity|budget|limit", k)} - not_caps
bad = sorted(labels - keys)
missing = sorted(caps - labels)
if bad or missing or not caps:
    print("cap labels that are not keys: %s; caps without a series: %s" % (bad, missing))
    sys.exit(1)
print("%d caps" % len(caps))
PYEOF
ok "xsell_cap_hits_total has a series for every cap key (memory.budget, http.max_connections, ...) and no other label"

# each figure once: a cap's counter only as xsell_cap_hits_total, the curated families only
"$PY" - "$TMP/m.json" <<'PYEOF' || fail "duplicate metric families"
import json, sys
d = json.load(open(sys.argv[1]))
fam = {k.split("{")[0] for k in d}
gone = ["xsell_pairs_cap_hits_total", "xsell_customers_evicted_total", "xsell_memory_budget",
        "xsell_kafka_commits_total", "xsell_kafka_rebalances_total", "xsell_customers_live",
        "xsell_pairs_live", "xsell_watermark_ms", "xsell_kafka_consumed_total",
        "xsell_kafka_customers_dropped_total", "xsell_lead_stopped_total"]
here = ["xsell_commits_total", "xsell_rebalances_total", "xsell_customers", "xsell_window_pairs",
        "xsell_watermark_seconds", "xsell_cap_hits_total", "xsell_memory_pairs_refused_total"]
bad = [f for f in gone if f in fam] + ["missing " + f for f in here if f not in fam]
assert not bad, bad
assert d['xsell_cap_hits_total{cap="cooc.max_pairs"}'] >= 0
assert 1.5e9 < d["xsell_watermark_seconds"] < 4e9, d["xsell_watermark_seconds"]
PYEOF
ok "no duplicate families; xsell_watermark_seconds is a Unix time in seconds"

# a backlog shows: more events while the run goes on, and the lag comes back to 0
gen --seed 6 --events 600 --customers 50 --products 120 -o "$TMP/ev2.jsonl"
ku produce "$B" customer-events "$TMP/ev2.jsonl" --kind event 2>/dev/null
for i in $(seq 150); do
        got=$(lags)
        [ "$got" = "$want" ] && break
        sleep 0.2
done
[ "$got" = "$want" ] || fail "consumer lag after more events: '$got'"
ok "the lag returns to 0 after 600 more events"

# "why this offer" from the endpoint alone: /customers/ID lists the customer's last 3 offers
# with the rule, anchor, trigger and per product score and evidence, equal to the offer records
# on the topic (decoded independently with schemas/offer.avsc)
# (a lag of 0 says the input was read; with window.visibility=sealed its offers follow once the
# panes they need are sealed, and under exactly-once once their transaction is committed)
for i in $(seq 30); do
        ku consume "$B" offers --mode records --schema offer.avsc --eof --idle 3 >"$TMP/offers.jsonl"
        [ -s "$TMP/offers.jsonl" ] && break
        sleep 1
done
[ -s "$TMP/offers.jsonl" ] || fail "no offers on the topic within 30 s: $(curl -s -m 5 "http://127.0.0.1:$PORT/metrics" |
        grep -E '^xsell_(events_processed|offers|kafka_txn|commits|kafka_events_held|held)' | tr '\n' ' ')"
"$PY" - "$TMP/offers.jsonl" "$PORT" <<'PYEOF' || fail "recent offers of /customers/ID differ from the offer records"
import json, math, sys, urllib.parse, urllib.request
recs = [json.loads(l)["value"] for l in open(sys.argv[1])]
assert recs, "no offers on the topic"
by = {}
for r in recs:
    by.setdefault(r["customer_id"], []).append(r)
def close(a, b):
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9)
checked = 0
for cust, offers in sorted(by.items(), key=lambda kv: -len(kv[1]))[:20]:
    url = "http://127.0.0.1:%s/customers/%s" % (sys.argv[2], urllib.parse.quote(cust, safe=""))
    view = json.load(urllib.request.urlopen(url, timeout=10))
    recent = view["recent_offers"]
    want = [o["offer_id"] for o in offers][-3:]
    assert [r["offer_id"] for r in recent] == want, (cust, [r["offer_id"] for r in recent], want)
    for r, o in zip(recent, offers[-3:]):
        for k in ("type", "stage", "channel", "rule", "score_kind", "anchor_product_id", "created_at"):
            assert r[k] == o[k], (k, r[k], o[k])
        assert (r["trigger_event_id"] or "") == o["trigger_event_id"]
        assert len(r["items"]) == len(o["items"])
        for ri, oi in zip(r["items"], o["items"]):
            ev, oe = ri["evidence"], oi["evidence"]
            assert ri["product_id"] == oi["product_id"] and close(ri["score"], oi["score"])
            for k in ("k11", "k12", "k21", "k22"):
                assert ev[k] == oe[k], (k, ev[k], oe[k])
            assert close(ev["llr"], oe["llr"]) and close(ev["lift"], oe["lift"]), (ev, oe)
            for rel in ("order", "customer", "cart", "view", "view_buy"):
                assert ev["pair_counts"][rel] == oe[rel + "_count"], (rel, ev, oe)
            for k in ("reorder_interval_ms", "last_purchase_at", "repeat_buyers"):
                assert ri[k] == oe[k], (k, ri[k], oe[k])
        checked += 1
print(checked)
PYEOF
ok "/customers/ID: the last 3 offers of 20 customers with rule, anchor, trigger, scores and evidence equal to their records on the topic"

kill -TERM "$XPID"
wait "$XPID" || fail "xsell run exited $?: $(tail -3 "$TMP/run.err")"
done_testing
