#!/usr/bin/env bash
# Plots of BENCHMARKS.md from a results file of tools/bench.sh (default docs/bench/results.txt):
# docs/bench/throughput_window.png and docs/bench/latency_load.png (gnuplot, Debian gnuplot-nox).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
res=${1:-$here/docs/bench/results.txt}
dir=$here/docs/bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kv() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p"; }
if [ ! -r "$res" ]; then
        echo "plots: cannot read $res" >&2
        exit 2
fi
if ! grep -q "^bench engine mode=full window=1d customers=" "$res" || ! grep -q '^bench latency' "$res"; then
        echo "plots: $res lacks the throughput-by-window or latency rows: plot the full set" \
                "(tools/bench.sh without --quick)" >&2
        exit 2
fi
# throughput (events/s, decode + engine + encode) per window, one column per customer count
for c in 10000 1000000 10000000; do
        for w in 1h 1d 7d; do
                h=$(case $w in 1h) echo 1 ;; 1d) echo 24 ;; 7d) echo 168 ;; esac)
                v=$(grep "^bench engine mode=full window=$w customers=$c " "$res" | head -1 | kv events_per_s)
                if [ -n "$v" ]; then echo "$h $v"; fi
        done >"$tmp/tp_$c.dat"
done
# latency percentiles per offered rate
grep '^bench latency' "$res" | while read -r l; do
        echo "$(echo "$l" | kv rate) $(echo "$l" | kv p50_ms) $(echo "$l" | kv p99_ms) $(echo "$l" | kv p999_ms) $(echo "$l" | kv max_ms)"
done | sort -n >"$tmp/lat.dat"
gnuplot <<GP
set terminal pngcairo size 800,500 noenhanced
set grid
set key top right
set output "$dir/throughput_window.png"
set title "xsell engine + codec throughput, one core (1M events)"
set xlabel "window size (hours, log scale)"
set ylabel "events per second"
set logscale x
set xtics ("1h" 1, "1d" 24, "7d" 168)
set yrange [0:*]
plot "$tmp/tp_10000.dat" using 1:2 with linespoints lw 2 title "10k customers", \
     "$tmp/tp_1000000.dat" using 1:2 with linespoints lw 2 title "1M customers", \
     "$tmp/tp_10000000.dat" using 1:2 with linespoints lw 2 title "10M customers"
unset logscale x
set xtics autofreq
set output "$dir/latency_load.png"
set title "event to acknowledged offer, embedded broker, at_least_once"
set xlabel "offered load (events per second, open loop)"
set ylabel "latency (ms, log scale)"
set logscale y
set yrange [*:*]
plot "$tmp/lat.dat" using 1:2 with linespoints lw 2 title "p50", \
     "$tmp/lat.dat" using 1:3 with linespoints lw 2 title "p99", \
     "$tmp/lat.dat" using 1:4 with linespoints lw 2 title "p99.9", \
     "$tmp/lat.dat" using 1:5 with linespoints lw 2 title "max"
GP
echo "plots: $dir/throughput_window.png $dir/latency_load.png"
