#!/usr/bin/env bash
# The main job on the real REES46 sample (skipped when ../shared/data is absent): every row is
# read, and offers of all three types come out, each with its reason.
source "$(dirname "$0")/lib_cli.sh" "$@"
rees46="$SHARED/rees46-multicategory/rees46_multicategory_2019-10-01T0000_0240Z.csv"
if [ ! -f "$rees46" ]; then
        echo "# skip: $rees46 not present"
        done_testing
        exit 0
fi
"$XSELL" replay -f rees46 "$rees46" --drain 1h -o "$TMP/offers.jsonl" \
        --summary "$TMP/summary.json" --summary-format json
"$PY" - "$TMP/summary.json" <<'PYEOF' || fail "REES46 counts"
import json, sys
s = json.load(open(sys.argv[1]))
e = s["events_by_type"]
assert s["records"] == 11562, s["records"]
assert (e["PRODUCT_VIEW"], e["ADD_TO_CART"], e["PURCHASE"]) == (11313, 110, 139), e
assert s["counters"]["events_rejected"] == 0
PYEOF
ok "all 11,562 REES46 rows read: 11,313 views, 110 carts, 139 purchases"
for t in UPSELL DOWNSELL; do
        grep -q "\"type\":\"$t\"" "$TMP/offers.jsonl" || fail "no $t offer on REES46"
done
# Cross-sell needs a significant complement: on transaction tables (issue 9 item 1) no pair of
# these 2h40m is one at p < 0.05 (the strongest, 5100816 / 5100719, is one customer's purchase:
# llr 1.4), so none is offered by default; with the significance relaxed, one is.
! grep -q '"type":"CROSS_SELL"' "$TMP/offers.jsonl" ||
        fail "item 1: a CROSS_SELL on REES46 from one customer's purchase"
"$XSELL" replay -f rees46 "$rees46" --drain 1h -o "$TMP/offers_relaxed.jsonl" -q \
        -X cooc.min_score=1 -X cooc.min_support=1 2>/dev/null
grep -q '"type":"CROSS_SELL"' "$TMP/offers_relaxed.jsonl" ||
        fail "no CROSS_SELL offer on REES46 with cooc.min_score=1"
cat "$TMP/offers_relaxed.jsonl" >>"$TMP/offers.jsonl"
"$PY" - "$TMP/offers.jsonl" <<'PYEOF' || fail "offer contract"
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["rule"] and o["items"] and o["trigger_event_id"], o
    if o["type"] == "DOWNSELL":
        assert len(o["items"]) == 1, o
    assert len(o["items"]) <= 3, o
    for it in o["items"]:
        assert it["product_id"] != o["anchor_product_id"], o
PYEOF
ok "offers of all three types, each with a rule and evidence; downsells carry one product"
done_testing
