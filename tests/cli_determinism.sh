#!/usr/bin/env bash
# Same input, same output: generator and replay are byte-identical across runs, and the same
# events give the same offers whether they come as JSON lines or as an Avro container file.
source "$(dirname "$0")/lib_cli.sh" "$@"

"$XSELL" generate --seed 11 --events 30000 --customers 2000 --products 400 -o "$TMP/a.jsonl" \
        --catalog "$TMP/cat.jsonl" 2>/dev/null
"$XSELL" generate --seed 11 --events 30000 --customers 2000 --products 400 -o "$TMP/b.jsonl" \
        --catalog "$TMP/cat2.jsonl" 2>/dev/null
cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl" || fail "generator output differs between runs"
cmp -s "$TMP/cat.jsonl" "$TMP/cat2.jsonl" || fail "generator catalog differs between runs"
ok "generator is deterministic"
"$XSELL" generate --seed 12 --events 30000 --customers 2000 --products 400 -o "$TMP/c.jsonl" 2>/dev/null
cmp -s "$TMP/a.jsonl" "$TMP/c.jsonl" && fail "different seeds gave the same events"
ok "different seeds give different events"

for run in 1 2; do
        "$XSELL" replay "$TMP/a.jsonl" -c "$TMP/cat.jsonl" -o "$TMP/offers$run.jsonl" \
                --signals "$TMP/signals$run.jsonl" --outcomes "$TMP/outcomes$run.jsonl" -q
        "$XSELL" replay "$TMP/a.jsonl" -c "$TMP/cat.jsonl" -o "$TMP/offers$run.avro" \
                --offers-format avro -q
done
for f in offers signals outcomes; do
        cmp -s "$TMP/${f}1.jsonl" "$TMP/${f}2.jsonl" || fail "$f differ between replays"
done
cmp -s "$TMP/offers1.avro" "$TMP/offers2.avro" || fail "avro offers differ between replays"
[ "$(wc -l <"$TMP/offers1.jsonl")" -gt 100 ] || fail "too few offers: $(wc -l <"$TMP/offers1.jsonl")"
for t in CROSS_SELL UPSELL DOWNSELL; do
        grep -q "\"type\":\"$t\"" "$TMP/offers1.jsonl" || fail "no $t offer"
done
ok "replay is byte-identical (jsonl and avro), with offers of all three types"

# the same events as an Avro container file give the same offers
"$XSELL" generate --seed 11 --events 30000 --customers 2000 --products 400 --format avro \
        -o "$TMP/a.avro" 2>/dev/null
"$XSELL" replay "$TMP/a.avro" -c "$TMP/cat.jsonl" -o "$TMP/offers_from_avro.jsonl" -q
cmp -s "$TMP/offers1.jsonl" "$TMP/offers_from_avro.jsonl" || fail "avro input gave other offers"
ok "avro events give the same offers as jsonl events"

# offer ids are unique within a run
dups=$(grep -o '"offer_id":"[0-9a-f]*"' "$TMP/offers1.jsonl" | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups duplicate offer ids"
ok "offer ids are unique"
done_testing
