#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each tests/fuzz/fuzz_* for N seconds
# (first argument, default 20; a second argument limits the run to targets whose name contains it)
# over a scratch copy of its seed corpus, with leak detection.
# Exits non-zero if any target crashes, leaks or times out; reproducers are left in
# build-fuzz/artifacts/<target>/ (add them to tests/fuzz/corpus/<target>/ as regression tests).
set -euo pipefail

secs="${1:-20}"
only="${2:-}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build-fuzz"

CC="${CC:-clang}" cmake -S "$root" -B "$build" -DXS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXS_WERROR=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target $(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//') >/dev/null

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

# one target per core at a time: each still gets a whole core for its N seconds
jobs_max="$(nproc)"
run_one() {
        local name="$1" work="$build/corpus/$1" art="$build/artifacts/$1"
        rm -rf "$work"
        mkdir -p "$work" "$art"
        cp "$root/tests/fuzz/corpus/$name"/* "$work"/
        "$build/$name" "$work" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
                -timeout=10 -print_final_stats=1 -artifact_prefix="$art/" >"$build/$name.log" 2>&1
        echo $? >"$build/$name.rc"
}
names=()
for src in "$root"/tests/fuzz/fuzz_*.c; do
        name="$(basename "$src" .c)"
        [[ -z "$only" || "$name" == *"$only"* ]] || continue
        names+=("$name")
        rm -f "$build/$name.rc"
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
                wait -n || true
        done
        run_one "$name" &
done
wait
status=0
for name in "${names[@]}"; do
        echo "== $name: ${secs}s"
        if [ "$(cat "$build/$name.rc" 2>/dev/null)" = 0 ]; then
                grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$build/$name.log" | tail -2 || true
        else
                echo "!! $name failed; log: $build/$name.log; artifacts: $build/artifacts/$name/"
                tail -40 "$build/$name.log"
                status=1
        fi
done
exit $status
