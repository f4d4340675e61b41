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
# (upsell.rebuy_min_share=0: a better grade after every purchase, so that item 4's rules are
# checked on post-purchase upsells too; 2h40m have no repeat buyers, see item 10 below)
"$XSELL" replay -f rees46 "$rees46" --drain 1h -o "$TMP/offers.jsonl" \
        --summary "$TMP/summary.json" --summary-format json -X upsell.rebuy_min_share=0
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
# llr 1.4), so none is offered by default; with the significance relaxed, one is (with
# window.visibility=immediate: sealed visibility shows that purchase's pairs a pane and the
# allowed lateness later, and nobody buys either product again in the sample).
! grep -q '"type":"CROSS_SELL"' "$TMP/offers.jsonl" ||
        fail "item 1: a CROSS_SELL on REES46 from one customer's purchase"
"$XSELL" replay -f rees46 "$rees46" --drain 1h -o "$TMP/offers_relaxed.jsonl" -q \
        -X cooc.min_score=1 -X cooc.min_support=1 -X window.visibility=immediate 2>/dev/null
grep -q '"type":"CROSS_SELL"' "$TMP/offers_relaxed.jsonl" ||
        fail "no CROSS_SELL offer on REES46 with cooc.min_score=1"
# issue 9 item 10: by default a purchase gets a better grade of its category only where the
# stream shows repeat buyers; these 2h40m show none, so no purchase gets a pricier copy
! grep -q '"rule":"post_purchase_upsell"' "$TMP/offers_relaxed.jsonl" ||
        fail "item 10: a pricier copy of a product just bought, in a category nobody re-buys"
ok "item 10: no post-purchase ladder upsell where no category is re-bought"
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

# issue 9 item 4: the same product line is the category_id (category_code is coarser:
# electronics.tablet holds Wacom graphics tablets and Samsung tablet computers)
# (the Wacom tablet's post-purchase upsell: the tablet bought is first seen 73 s before its
# purchase, so only window.visibility=immediate has learned its category and price by then;
# sealed visibility learns them a pane and the allowed lateness later)
"$XSELL" replay -f rees46 "$rees46" --drain 1h -o "$TMP/offers_immediate.jsonl" -q \
        -X upsell.rebuy_min_share=0 -X window.visibility=immediate 2>/dev/null
"$PY" - "$rees46" "$TMP/offers.jsonl" "$TMP/summary.json" "$TMP/offers_immediate.jsonl" <<'PYEOF' || fail "item 4: same category_id"
import csv, json, sys
cat = {}
for row in csv.DictReader(open(sys.argv[1])):
    cat.setdefault(row["product_id"], (row["category_id"], row["category_code"]))
graded = 0
wacom = None
for line in list(open(sys.argv[2])) + list(open(sys.argv[4])):
    o = json.loads(line)
    for it in o["items"]:
        cid, code = cat[it["product_id"]]
        assert it["category"] == cid, it
        assert it["category_label"] == (code or None), it
    if o["type"] in ("UPSELL", "DOWNSELL"):
        for it in o["items"]:
            graded += 1
            assert it["category"] == cat[o["anchor_product_id"]][0], (o["anchor_product_id"], it)
    if o["anchor_product_id"] == "18500020" and o["type"] == "UPSELL":
        wacom = [it["product_id"] for it in o["items"]]
assert graded > 100, graded
assert wacom == ["18500019"], wacom  # the dearer Wacom, no Samsung tablet computer
assert json.load(open(sys.argv[3]))["offerable"] == "learned"
PYEOF
ok "item 4: every upsell/downsell item has its anchor's category_id; the Wacom tablet's upsell is a Wacom"

# issue 9 item 6: with a catalog, only its products are offered (here: the products of the first
# 3000 rows); without one, learned products are, and the summary says which
"$PY" - "$rees46" "$TMP/cat.jsonl" <<'PYEOF'
import csv, json, sys
seen = {}
for i, row in enumerate(csv.DictReader(open(sys.argv[1]))):
    if i >= 3000:
        break
    seen.setdefault(row["product_id"], row)
with open(sys.argv[2], "w") as f:
    for pid, r in seen.items():
        f.write(json.dumps({"product_id": pid, "category": r["category_id"] or None,
                            "category_label": r["category_code"] or None, "brand": r["brand"] or None,
                            "price": round(float(r["price"]) * 100), "currency": "USD"}) + "\n")
PYEOF
"$XSELL" replay -f rees46 "$rees46" -c "$TMP/cat.jsonl" --drain 1h -o "$TMP/offers_cat.jsonl" \
        --summary "$TMP/summary_cat.json" --summary-format json
"$PY" - "$TMP/cat.jsonl" "$TMP/offers_cat.jsonl" "$TMP/summary_cat.json" <<'PYEOF' || fail "item 6: catalog only"
import json, sys
ids = {json.loads(l)["product_id"] for l in open(sys.argv[1])}
n = 0
for line in open(sys.argv[2]):
    o = json.loads(line)
    for it in o["items"]:
        n += 1
        assert it["product_id"] in ids, it["product_id"]
assert n > 0
s = json.load(open(sys.argv[3]))
assert s["offerable"] == "catalog" and s["counters"]["catalog_records"] == len(ids), s["counters"]
PYEOF
ok "item 6: with a catalog only catalog products are offered; the summary says which"
done_testing
