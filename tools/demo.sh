#!/usr/bin/env bash
# The main job, end to end: installs the dependencies, builds, and replays real e-commerce
# events (the REES46 sample in ../shared/data when it is there, otherwise a seeded synthetic
# stream with its catalog) through the offer engine, printing each offer with the evidence
# behind it, then the run's summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/install-deps.sh"
bash "$root/tools/build.sh"
xsell="$root/build/xsell"
out="$root/out"
mkdir -p "$out"
rees46="$root/../shared/data/rees46-multicategory/rees46_multicategory_2019-10-01T0000_0240Z.csv"
if [ -f "$rees46" ]; then
        echo "== replaying the REES46 sample: $rees46"
        # The sample ends 2h40m into a day; --drain 1h lets the carts still open at its end
        # reach the 30-minute abandonment timeout.
        "$xsell" replay -f rees46 "$rees46" --drain 1h --offers-format text \
                --signals "$out/signals.jsonl" --outcomes "$out/outcomes.jsonl" \
                --dead-letter "$out/dead-letter.jsonl" -o "$out/offers.txt"
        "$xsell" replay -f rees46 "$rees46" --drain 1h -q -o "$out/offers.jsonl"
else
        echo "== no ../shared/data here: generating a seeded synthetic stream"
        "$xsell" generate --seed 42 --events 200000 -o "$out/events.jsonl" \
                --catalog "$out/catalog.jsonl"
        "$xsell" replay "$out/events.jsonl" -c "$out/catalog.jsonl" --offers-format text \
                --signals "$out/signals.jsonl" --outcomes "$out/outcomes.jsonl" \
                --dead-letter "$out/dead-letter.jsonl" -o "$out/offers.txt"
        "$xsell" replay "$out/events.jsonl" -c "$out/catalog.jsonl" -q -o "$out/offers.jsonl"
fi
echo
echo "== a few offers of each type, with their reasons (all of them: $out/offers.txt)"
for type in CROSS_SELL UPSELL DOWNSELL; do
        awk -v t="$type" '/^[A-Z_]+ +to /{show = ($1 == t) && (n[t]++ < 2)} show' "$out/offers.txt"
done
echo
echo "== offers as JSON lines: $out/offers.jsonl ($(wc -l <"$out/offers.jsonl") offers);" \
        "signals: $out/signals.jsonl; outcomes: $out/outcomes.jsonl"
