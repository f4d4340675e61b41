#!/usr/bin/env bash
# The main job, end to end: installs the dependencies, builds, starts librdkafka's mock cluster
# inside xsell (no Kafka to install), loads real e-commerce events into it (the REES46 sample in
# ../shared/data when it is there, otherwise a seeded synthetic stream with its catalog), runs the
# processor on them and prints each offer as the broker acknowledges it, then a summary. After
# that, the same events are replayed from the file to show every offer with its full evidence.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/install-deps.sh"
bash "$root/tools/build.sh"
xsell="$root/build/xsell"
out="$root/out"
mkdir -p "$out"
rees46="$root/../shared/data/rees46-multicategory/rees46_multicategory_2019-10-01T0000_0240Z.csv"
if [ -f "$rees46" ]; then
        echo "== xsell demo: the REES46 sample through Kafka (embedded broker)"
        "$xsell" demo -e "$rees46" -f rees46 | tee "$out/demo-offers.txt"
        # The sample ends 2h40m into a day; --drain 1h (the demo's demo.drain) lets the carts
        # still open at its end reach the 30-minute abandonment timeout.
        replay=(-f rees46 "$rees46" --drain 1h)
else
        echo "== no ../shared/data here: a seeded synthetic stream through Kafka (embedded broker)"
        "$xsell" generate --seed 42 --events 100000 -o "$out/events.jsonl" \
                --catalog "$out/catalog.jsonl"
        "$xsell" demo -e "$out/events.jsonl" -c "$out/catalog.jsonl" | tee "$out/demo-offers.txt"
        replay=("$out/events.jsonl" -c "$out/catalog.jsonl")
fi
"$xsell" replay "${replay[@]}" -q --offers-format text -o "$out/offers.txt" \
        --signals "$out/signals.jsonl" --outcomes "$out/outcomes.jsonl" \
        --dead-letter "$out/dead-letter.jsonl"
"$xsell" replay "${replay[@]}" -q -o "$out/offers.jsonl"
echo
echo "== the same events replayed from the file: two offers of each type with their evidence"
for type in CROSS_SELL UPSELL DOWNSELL; do
        awk -v t="$type" '/^[A-Z_]+ +to /{show = ($1 == t) && (n[t]++ < 2)} show' "$out/offers.txt"
done
echo
echo "== all offers: $out/offers.txt (text), $out/offers.jsonl ($(wc -l <"$out/offers.jsonl") JSON lines);" \
        "signals: $out/signals.jsonl; outcomes: $out/outcomes.jsonl"
