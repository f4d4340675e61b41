#!/usr/bin/env bash
# `xsell pairs` with the unbounded window reproduces the exact pair counts of the baskets, checked
# against an independent recount (Python) on a synthetic basket file and, when present, on the
# real Groceries data set (whose well-known supports are checked too).
source "$(dirname "$0")/lib_cli.sh" "$@"

recount() { # basket file -> "a<TAB>b<TAB>count<TAB>support_a<TAB>support_b" for every pair
        "$PY" - "$1" <<'PYEOF'
import sys, itertools, collections
pairs = collections.Counter(); single = collections.Counter(); n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if not line:
        continue
    items = sorted(set(line.split(",")))
    n += 1
    single.update(items)
    pairs.update(itertools.combinations(items, 2))
for (a, b), c in pairs.items():
    print(f"{a}\t{b}\t{c}\t{single[a]}\t{single[b]}\t{n}")
    print(f"{b}\t{a}\t{c}\t{single[b]}\t{single[a]}\t{n}")
PYEOF
}

check_file() {
        local file="$1" label="$2"
        recount "$file" | sort >"$TMP/expect.tsv"
        "$XSELL" pairs -f groceries -k 100000 "$file" 2>/dev/null | tail -n +2 |
                cut -f1-6 | sort >"$TMP/got.tsv"
        [ -s "$TMP/expect.tsv" ] || fail "$label: empty recount"
        diff -q "$TMP/expect.tsv" "$TMP/got.tsv" >/dev/null ||
                { diff "$TMP/expect.tsv" "$TMP/got.tsv" | head; fail "$label: pair counts differ"; }
        ok "$label: all $(wc -l <"$TMP/got.tsv") directed pair counts and supports are exact"
}

"$PY" - "$TMP/baskets.csv" <<'PYEOF'
import random, sys
rnd = random.Random(5)
items = [f"item{i:03d}" for i in range(120)]
with open(sys.argv[1], "w") as f:
    for _ in range(3000):
        k = rnd.randint(1, 12)
        f.write(",".join(rnd.choices(items, weights=[1 / (i + 1) for i in range(120)], k=k)) + "\n")
PYEOF
check_file "$TMP/baskets.csv" "synthetic baskets"

groceries="$SHARED/groceries/groceries_baskets.csv"
if [ -f "$groceries" ]; then
        check_file "$groceries" "Groceries"
        # well-known supports (arules Groceries): whole milk & other vegetables in 736 baskets
        line=$("$XSELL" pairs -f groceries -p "whole milk" -k 200 "$groceries" 2>/dev/null |
                awk -F'\t' 'NR > 1 && $3 > best {best = $3; line = $0} END {print line}')
        [ "$(cut -f2,3,4,6 <<<"$line")" = "$(printf 'other vegetables\t736\t2513\t9835')" ] ||
                fail "Groceries top pair of whole milk: $line"
        lift=$(awk -F'\t' '$2=="root vegetables"{print $8}' < <("$XSELL" pairs -f groceries \
                -p "whole milk" -k 20 "$groceries" 2>/dev/null))
        [ "${lift:0:5}" = "1.756" ] || fail "lift(whole milk, root vegetables) = $lift, not 1.756"
        ok "Groceries: whole milk/other vegetables 736 of 9835, lift with root vegetables 1.756"
else
        echo "# skip: $groceries not present"
fi
# --windowed: the counts of the configured window at the end of input (it used to move event
# time a year on, expiring every pane, and print nothing)
"$PY" -c '
import json
for i in range(40):
    print(json.dumps({"event_id": "o%d" % i, "customer_id": "c%d" % i,
                      "event_time": 1700000000000 + i * 60000, "type": "PURCHASE",
                      "order_id": "o%d" % i,
                      "items": [{"product_id": p, "quantity": 1, "unit_price": 100}
                                for p in ("a", "b")]}))
' >"$TMP/orders.jsonl"
got=$("$XSELL" pairs --windowed -p a "$TMP/orders.jsonl" 2>/dev/null | tail -n +2 | cut -f1-3)
[ "$got" = "$(printf 'a\tb\t40')" ] || fail "pairs --windowed: got '$got'"
ok "pairs --windowed counts the window at the end of input"

# --min-count filters before the top K is cut: "a" pairs once with 1100 products and 3 times
# with "z", which ranks below them (weaker association: z is everywhere)
"$PY" - "$TMP/many.csv" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1100):
        f.write(f"a,x{i:04d}\n")
    for i in range(3):
        f.write("a,z\n")
    for i in range(3000):
        f.write(f"z,y{i % 7}\n")
PYEOF
got=$("$XSELL" pairs -f groceries -p a -k 1 -m 2 "$TMP/many.csv" 2>/dev/null | tail -n +2 | cut -f1-3)
[ "$got" = "$(printf 'a\tz\t3')" ] || fail "pairs --min-count: got '$got'"
ok "pairs --min-count filters before the top K"
done_testing
