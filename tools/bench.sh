#!/usr/bin/env bash
# The benchmark set of BENCHMARKS.md. Prints every raw measurement ("bench ..." lines) and then
# one line per headline figure. --quick: the small regression set (under two minutes).
# Figures are printed, never asserted: timing is not a test.
#   bash tools/bench.sh [--quick] [path/to/xsell]      results also in $BENCH_OUT/results.txt
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
xsell=${1:-$here/build/xsell}
out=${BENCH_OUT:-$here/out/bench}
mkdir -p "$out"
res=$out/results.txt
: >"$res"
run() { echo "+ xsell $*" >&2; "$xsell" "$@" -q | tee -a "$res"; }

# instructions per event: callgrind over the timed loop only, N and 2N events, the difference
callgrind() { # window events
        local ir=()
        for n in "$2" "$(($2 * 2))"; do
                valgrind --tool=callgrind --toggle-collect=xs_bench_timed_loop \
                        --callgrind-out-file="$out/cg.$1.$n" "$xsell" bench engine --window "$1" \
                        --events "$n" -q >/dev/null 2>"$out/cg.$1.$n.log"
                ir+=("$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/cg.$1.$n.log")")
        done
        echo "bench callgrind window=$1 events=$2 ir_n=${ir[0]} ir_2n=${ir[1]} instructions_per_event=$(((ir[1] - ir[0]) / $2))" | tee -a "$res"
}

if [ $quick = 1 ]; then
        run bench engine --window 7d --events 200000
        run bench engine --window 7d --events 200000 --mode decode
        run bench engine --window 7d --events 100000 --latency
        callgrind 7d 10000
        run bench memory --events 200000
        run bench e2e --events 100000
        rate=$(sed -n 's/^bench e2e_xsell guarantee=at_least_once.*events_per_s=\([0-9]*\).*/\1/p' "$res")
        run bench latency --rate $((rate / 2)) --seconds 5
else
        for w in 1h 1d 7d; do
                for c in 10000 1000000 10000000; do
                        run bench engine --window $w --customers $c --events 1000000 \
                                -X customers.max=10000000
                done
        done
        run bench engine --window 7d --events 1000000 --mode engine
        run bench engine --window 7d --events 1000000 --mode decode
        for w in 1h 1d 7d; do run bench engine --window $w --events 1000000 --latency; done
        for w in 1h 1d 7d; do callgrind $w 20000; done
        run bench memory --events 2000000
        run bench e2e --events 300000
        rate=$(sed -n 's/^bench e2e_xsell guarantee=at_least_once.*events_per_s=\([0-9]*\).*/\1/p' "$res")
        for pct in 25 50 80; do
                run bench latency --rate $((rate * pct / 100)) --seconds 20
        done
fi

# headline figures, one per line
kv() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p"; }
echo "--- figures (machine: $(nproc) cores, $(sed -n 's/model name[^:]*: //p' /proc/cpuinfo | head -1))"
grep '^bench engine mode=full window=7d customers=10000 ' "$res" | head -1 |
        kv events_per_s | sed 's/^/engine+codec events_per_s_per_core (7d, 10k customers) = /'
grep '^bench engine mode=decode' "$res" | head -1 | kv events_per_s | sed 's/^/decode only events_per_s_per_core = /'
grep '^bench callgrind' "$res" | while read -r l; do
        echo "instructions_per_event window=$(echo "$l" | kv window) = $(echo "$l" | kv instructions_per_event)"
done
grep '^bench memory window=7d customers=10000 ' "$res" | head -1 | kv heap_per_windowed_event |
        sed 's/^/heap bytes per windowed event (7d, 10k customers) = /'
grep '^bench memory_adversarial' "$res" | kv rss_growth_pct | sed 's/^/adversarial RSS growth after the caps bite (%) = /'
grep '^bench engine_latency' "$res" | head -1 | kv p99_us | sed 's/^/in-processor p99 per event (us) = /'
grep '^bench engine_latency' "$res" | head -1 | kv pane_max_us | sed 's/^/in-processor max on a pane close or expiry (us) = /'
grep '^bench e2e_raw' "$res" | kv events_per_s | sed 's/^/raw consumer events_per_s = /'
grep '^bench e2e_xsell' "$res" | while read -r l; do
        echo "e2e ratio xsell/raw ($(echo "$l" | kv guarantee)) = $(echo "$l" | kv ratio_to_raw)"
done
grep '^bench latency' "$res" | while read -r l; do
        echo "e2e latency at $(echo "$l" | kv rate)/s: p50 $(echo "$l" | kv p50_ms) p99 $(echo "$l" | kv p99_ms) max $(echo "$l" | kv max_ms) ms"
done
