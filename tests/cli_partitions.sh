#!/usr/bin/env bash
# Issue 11: with sealed-pane visibility (the default) the offers, signals and outcomes depend on
# the input alone: `xsell replay --partitions N --interleave SEED` (the events split by customer
# id as a topic of N partitions would hold them, taken in a random order) gives what one
# partition gives, byte for byte once sorted, on a generated stream with re-purchases (buy
# again and re-buy shares are learned through the panes too), equal-priced ladders (ties broken
# by product id, not by the order products were first seen) and a drain at the end (every
# partition's last panes sealed before the drain's timers). The REES46 sample too, if present.
source "$(dirname "$0")/lib_cli.sh" "$@"

# under sanitizers (several times slower) a quarter of the stream and fewer splits
events=40000 customers=4000 splits=("--partitions 3" "--partitions 7 --interleave 1"
        "--partitions 16 --interleave 2" "--partitions 2 --interleave 3")
retail_splits=("--partitions 4 --interleave 3" "--partitions 9") retail_events=9000
rees46_splits=("--partitions 4" "--partitions 5 --interleave 7")
if [ -n "$SANITIZED" ]; then
        events=10000 customers=1000 splits=("--partitions 7 --interleave 1" "--partitions 16 --interleave 2")
        retail_splits=("--partitions 4 --interleave 3") rees46_splits=("--partitions 5 --interleave 7")
        retail_events=3000 # 100 s -> 35 s under ASan, still with buy-again offers
fi
"$XSELL" generate --seed 17 --events $events --customers $customers --products 600 --days 20 \
        -o "$TMP/g.jsonl" 2>/dev/null
run() { # ARGS...: offers, signals and outcomes, sorted
        "$XSELL" replay "$TMP/g.jsonl" --drain 2d -q --signals "$TMP/s.jsonl" --outcomes "$TMP/o.jsonl" "$@" |
                sort >"$TMP/out.txt"
        sort "$TMP/s.jsonl" "$TMP/o.jsonl" >>"$TMP/out.txt"
        cat "$TMP/out.txt"
}
run >"$TMP/one.txt"
grep -q '"type":"UPSELL"' "$TMP/one.txt" || fail "no upsell: the test would not cover ladders"
n=$(grep -c '"offer_id"' "$TMP/one.txt")
for args in "${splits[@]}"; do
        # shellcheck disable=SC2086 # the arguments are words
        run $args >"$TMP/many.txt"
        cmp -s "$TMP/one.txt" "$TMP/many.txt" ||
                fail "replay $args differs from one partition: $(diff "$TMP/one.txt" "$TMP/many.txt" | head -3)"
done
ok "generated stream: the same $n offers, signals and outcomes on 1 partition and split: ${splits[*]}"

if "$XSELL" replay "$TMP/g.jsonl" -q --partitions 2 -X window.visibility=immediate >/dev/null 2>"$TMP/err"; then
        fail "--partitions with window.visibility=immediate was accepted"
fi
grep -q "need window.visibility=sealed" "$TMP/err" || fail "unclear message: $(cat "$TMP/err")"
ok "--partitions with window.visibility=immediate: refused with a clear message"

# re-purchases: Online Retail's first 9,000 events, 3,000 under sanitizers (buy again, re-buy
# shares, learned prices that differ between invoices of one minute)
retail="$SHARED/online-retail/online_retail_2010-12-01_2011-10-31.csv.gz"
if [ -f "$retail" ]; then
        "$XSELL" replay -f retail "$retail" --max-events $retail_events --drain 30d -q | sort >"$TMP/o1.txt"
        grep -q '"type":"BUY_AGAIN"' "$TMP/o1.txt" || fail "Online Retail: no buy-again offer"
        for args in "${retail_splits[@]}"; do
                # shellcheck disable=SC2086
                "$XSELL" replay -f retail "$retail" --max-events $retail_events --drain 30d -q $args | sort >"$TMP/on.txt"
                cmp -s "$TMP/o1.txt" "$TMP/on.txt" ||
                        fail "Online Retail: replay $args differs from one partition: $(diff "$TMP/o1.txt" "$TMP/on.txt" | head -2 | cut -c1-300)"
        done
        ok "Online Retail: the same $(wc -l <"$TMP/o1.txt") offers (buy again among them) on 1 partition and ${retail_splits[*]}"
fi

rees46="$SHARED/rees46-multicategory/rees46_multicategory_2019-10-01T0000_0240Z.csv"
if [ -f "$rees46" ]; then
        "$XSELL" replay -f rees46 "$rees46" --drain 1h -q | sort >"$TMP/r1.txt"
        for args in "${rees46_splits[@]}"; do
                # shellcheck disable=SC2086
                "$XSELL" replay -f rees46 "$rees46" --drain 1h -q $args | sort >"$TMP/rn.txt"
                cmp -s "$TMP/r1.txt" "$TMP/rn.txt" || fail "REES46: replay $args differs from one partition"
        done
        ok "REES46: the same $(wc -l <"$TMP/r1.txt") offers on 1 partition and ${rees46_splits[*]}"
fi
done_testing
