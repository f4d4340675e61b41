#!/usr/bin/env bash
# Poison records on the events topic (written by the independent client: garbage, too short,
# truncated Avro, wrong magic byte, unknown schema id 99, an enum index beyond the symbols, a
# quantity of -3, a key that is not the customer_id, a null value) go to the dead-letter topic,
# one each, with the original key and value and headers that say where they came from and why;
# the good records around them are processed as if the poison had not been there. With
# errors.tolerance=none the run stops at the first poison, naming topic, partition and offset.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 51 --events 1500 --customers 150 --products 150 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
start_broker 1
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku poison "$B" customer-events "$TMP/ev.jsonl" "$TMP/good.jsonl" >"$TMP/poisons.jsonl"
np=$(wc -l <"$TMP/poisons.jsonl")
[ "$np" -ge 9 ] || fail "only $np poison records"
ok "1500 good events and $np poison records produced"

xrun run || fail "xsell run stopped on poison: $(grep -v '^%' "$TMP/run.err" | tail -5)"
grep -q "dead letters $np," "$TMP/run.err" || fail "$(grep 'summary: consumed' "$TMP/run.err")"
ok "xsell run went on past every poison (exit 0, dead letters $np)"

ku consume "$B" customer-events --eof >"$TMP/input.jsonl"
ku consume "$B" xsell-dead-letters --mode dead --eof >"$TMP/dead.jsonl"
"$KPY" - "$TMP/poisons.jsonl" "$TMP/input.jsonl" "$TMP/dead.jsonl" <<'PYEOF' || fail "dead letters wrong"
import json, sys
poisons = [json.loads(l) for l in open(sys.argv[1])]
offset_of = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    offset_of.setdefault((r["key"], r["value_hex"]), []).append(r["o"])
dead = [json.loads(l) for l in open(sys.argv[3])]
assert len(dead) == len(poisons), "%d dead letters for %d poisons" % (len(dead), len(poisons))
by_orig = {(d["key"], d["value_hex"]): d for d in dead}
assert len(by_orig) == len(dead), "a poison was dead-lettered twice"
for p in poisons:
    d = by_orig.get((p["key"], p["value_hex"]))
    assert d, "%s: not dead-lettered with its original key and value" % p["poison"]
    h = d["headers"]
    offs = offset_of[(p["key"], p["value_hex"])]
    assert len(offs) == 1, offs
    want = {"__xsell.errors.topic": "customer-events", "__xsell.errors.partition": "0",
            "__xsell.errors.offset": str(offs[0]), "__xsell.errors.stage": p["stage"]}
    for k, v in want.items():
        assert h.get(k) == v, "%s: header %s is %r, want %r" % (p["poison"], k, h.get(k), v)
    assert h.get("__xsell.errors.error.code"), (p["poison"], h)
    assert h.get("__xsell.errors.error.message"), (p["poison"], h)
    print("# %-18s stage %-11s %s: %s" % (p["poison"], h["__xsell.errors.stage"],
          h["__xsell.errors.error.code"], h["__xsell.errors.error.message"]))
PYEOF
ok "one dead letter per poison: original key and value, topic/partition/offset/stage/error.code/error.message headers"

replay_ids "$TMP/good.jsonl" "$TMP/cat.jsonl" >"$TMP/want"
topic_ids offers >"$TMP/got"
[ -s "$TMP/want" ] || fail "no offers from the good events"
diff "$TMP/want" "$TMP/got" >"$TMP/diff" || fail "offers differ from xsell replay of the good events: $(head "$TMP/diff")"
ok "offers = xsell replay of the good events alone ($(wc -l <"$TMP/got"))"

# errors.tolerance=none: stop at the first poison, exit non-zero, name where it is
set +e
xrun strict -X application.id=strict -X errors.tolerance=none -X topic.offers=offers-strict
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "errors.tolerance=none: exit 0 with poison on the topic"
first=$("$KPY" - "$TMP/poisons.jsonl" "$TMP/input.jsonl" <<'PYEOF'
import json, sys
bad = {(p["key"], p["value_hex"]) for p in map(json.loads, open(sys.argv[1]))}
print(min(r["o"] for r in map(json.loads, open(sys.argv[2])) if (r["key"], r["value_hex"]) in bad))
PYEOF
)
grep -q "errors.tolerance=none: customer-events \[0\] offset $first: " "$TMP/strict.err" ||
        fail "no message naming customer-events [0] offset $first: $(grep -v '^%' "$TMP/strict.err" | tail -3)"
grep -q "dead letters 0," "$TMP/strict.err" || fail "errors.tolerance=none dead-lettered something"
# the poison's offset is not committed: a restart stops at the same record
read -r _ committed _ < <(ku committed "$B" strict customer-events)
[ "$committed" -le "$first" ] || fail "errors.tolerance=none committed offset $committed past the poison at $first"
ok "errors.tolerance=none: exit $rc at the first poison, committed offset $committed: $(grep -o 'errors.tolerance=none: .*' "$TMP/strict.err" | head -1)"
done_testing
