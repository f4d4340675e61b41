#!/usr/bin/env bash
# The whole test suite: installs the dependencies, builds twice (plain, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), runs every CTest test in both, then runs each
# libFuzzer target for a short time. FUZZ_SECONDS (default 15) sets the fuzzing time per target.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/install-deps.sh"
jobs="$(nproc)"
# ctest runs two more tests than cores: the broker tests mostly wait (CMakeLists.txt: at most
# three of them at a time)
tjobs=$((jobs + 2))

echo "== build (RelWithDebInfo) and test"
cmake -S "$root" -B "$root/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build-test" -j"$jobs" >/dev/null
(cd "$root/build-test" && ctest --output-on-failure -j"$tjobs")

echo "== build with ASan+UBSan and test"
cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DXS_SANITIZE=ON >/dev/null
cmake --build "$root/build-asan" -j"$jobs" >/dev/null
(cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
        ctest --output-on-failure -j"$tjobs")

echo "== fuzz (libFuzzer, ASan+UBSan+LSan), ${FUZZ_SECONDS:-15}s per target"
bash "$root/tests/fuzz/run_fuzzers.sh" "${FUZZ_SECONDS:-15}"
n_plain=$(cd "$root/build-test" && ctest -N | awk '/Total Tests:/ {print $3}')
n_asan=$(cd "$root/build-asan" && ctest -N | awk '/Total Tests:/ {print $3}')
n_fuzz=$(ls "$root"/tests/fuzz/fuzz_*.c | wc -l)
echo "ctest $n_plain + sanitizers $n_asan + fuzz targets $n_fuzz"
echo "tests: $((n_plain + n_asan + n_fuzz)) passed, 0 failed"
