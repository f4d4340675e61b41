#!/usr/bin/env bash
# Prints the md5 of every output of a fixed set of replays: offers, signals, outcomes and JSON
# summaries of REES46 (--drain 1h), Online Retail, and a 200k-event generated stream with its
# catalog (JSON lines and Avro, with two configuration variants). A change that must not alter
# behaviour (a refactor, a speed-up) is checked by running this before and after and diffing:
#   bash tools/golden.sh build/xsell > before.md5 ... bash tools/golden.sh build/xsell | diff before.md5 -
# Real data comes from ../shared/data; a dataset that is missing is skipped and said so.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/xsell}"
data="${2:-$root/../shared/data}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# replay NAME [replay args...]: every output of one replay, JSON lines, plus its JSON summary
replay() {
        local name="$1"
        shift
        "$bin" replay -q "$@" -o "$out/$name.offers" --signals "$out/$name.signals" \
                --outcomes "$out/$name.outcomes" --summary "$out/$name.summary" \
                --summary-format json
        # the summary's wall-clock time is not an output
        sed -E -e 's/"seconds":[0-9.e+-]+/"seconds":0/' -e 's|"source":"[^"]*/|"source":"|' "$out/$name.summary" >"$out/$name.summary.stable"
        rm "$out/$name.summary"
}
# replay_avro NAME [replay args...]: the same outputs as Avro container files
replay_avro() {
        local name="$1"
        shift
        "$bin" replay -q "$@" --offers-format avro --output-format avro -o "$out/$name.offers.avro" \
                --signals "$out/$name.signals.avro" --outcomes "$out/$name.outcomes.avro"
}

rees="$data/rees46-multicategory/rees46_multicategory_2019-10-01T0000_0240Z.csv"
retail="$data/online-retail/online_retail_2010-12-01_2011-10-31.csv.gz"
if [ -f "$rees" ]; then replay rees46 --drain 1h "$rees"; else echo "# skipped: $rees" >&2; fi
if [ -f "$retail" ]; then replay retail "$retail"; else echo "# skipped: $retail" >&2; fi

"$bin" generate --seed 7 --events 200000 -o "$out/gen.jsonl" --catalog "$out/gen-cat.jsonl" 2>/dev/null
"$bin" generate --seed 7 --events 200000 --format avro -o "$out/gen.avro" \
        --catalog "$out/gen-cat.avro" 2>/dev/null
replay gen -c "$out/gen-cat.jsonl" --drain 2d "$out/gen.jsonl"
replay gen_lift -c "$out/gen-cat.jsonl" --drain 2d -X window.size=1d -X cooc.score=lift "$out/gen.jsonl"
replay gen_count -c "$out/gen-cat.jsonl" --drain 2d -X offer.max_items=8 -X cooc.score=count "$out/gen.jsonl"
replay_avro gen_avro -c "$out/gen-cat.avro" --drain 2d "$out/gen.avro"
rm -f "$out"/gen*.jsonl "$out"/gen.avro "$out"/gen-cat.avro
(cd "$out" && md5sum -- * | sort -k2)
