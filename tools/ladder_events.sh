#!/usr/bin/env bash
# Writes N events (JSON lines, stdout) that grow one category's price ladder: every event is an
# ADD_TO_CART of one line item in category "one" (the cart upsell reads the ladder each time);
# three in four name a new product, the fourth gives an earlier product a new price. Prices and
# customers come from a fixed LCG, so the file is the same on every machine. No catalog: the
# products are learned from the line items. Used for the ladder figures in BENCHMARKS.md:
#   bash tools/ladder_events.sh 20000 > ladder.jsonl
#   valgrind --tool=callgrind xsell replay -q ladder.jsonl -o /dev/null
set -euo pipefail
n="${1:-20000}"
awk -v n="$n" 'BEGIN {
        x = 12345; products = 0
        for (i = 1; i <= n; i++) {
                x = (x * 16807) % 2147483647 # Park-Miller: exact in doubles
                price = 1000 + x % 500000
                if (i % 4 == 0 && products > 0) p = 1 + int(x / 7) % products
                else p = ++products
                printf "{\"event_id\":\"e%d\",\"customer_id\":\"c%d\",\"event_time\":%.0f,", i, x % 1000, 1700000000000 + i * 1000
                printf "\"type\":\"ADD_TO_CART\",\"items\":[{\"product_id\":\"p%d\",\"quantity\":1,", p
                printf "\"unit_price\":%d,\"category\":\"one\"}]}\n", price
        }
}'
