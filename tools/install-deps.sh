#!/usr/bin/env bash
# Installs everything xsell needs to build, run and test, from Debian 12's packages.
# Run as root (or with sudo). Idempotent.
set -euo pipefail
packages=(
        build-essential cmake pkg-config git
        librdkafka-dev libavro-dev uthash-dev libjansson-dev zlib1g-dev
        libcurl4-openssl-dev libmicrohttpd-dev
        libcmocka-dev
        clang llvm libclang-rt-14-dev   # libFuzzer + sanitizers for the fuzz tests
        python3                         # independent oracles in the CLI tests
        python3-confluent-kafka kcat    # independent Kafka client and tool for the Kafka tests
        valgrind gnuplot-nox            # benchmarks: callgrind instruction counts, plots
)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "xsell: dependencies installed"
