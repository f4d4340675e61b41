#!/usr/bin/env bash
# Configures and builds xsell into build/ (Release by default; BUILD_TYPE=Debug to change).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
cmake --build "$root/build" -j"$(nproc)" 2>&1 | grep -vE "^\[ *[0-9]+%\]|^-- " || true
test -x "$root/build/xsell"
