#!/usr/bin/env bash
# Installs everything xsell needs to build, run and test, from Debian 12's packages.
# Run as root (or with sudo). Idempotent.
#   --build   only what building the xsell binary needs (deploy/Dockerfile's build stage uses it)
#   --list    print the package names instead of installing them
set -euo pipefail
build=(
        build-essential cmake pkg-config
        librdkafka-dev libavro-dev uthash-dev libjansson-dev zlib1g-dev
        libcurl4-openssl-dev libmicrohttpd-dev
        libcmocka-dev                   # CMake configures the unit tests too
)
rest=(
        git
        clang llvm libclang-rt-14-dev   # libFuzzer + sanitizers for the fuzz tests
        python3                         # independent oracles in the CLI tests
        python3-confluent-kafka kcat    # independent Kafka client and tool for the Kafka tests
        python3-yaml                    # tests/cli_deploy.sh: compose, Helm and dashboard files
        valgrind gnuplot-nox            # benchmarks: callgrind instruction counts, plots
)
only_build=0 list=0
for a in "$@"; do
        case "$a" in
        --build) only_build=1 ;;
        --list) list=1 ;;
        *) echo "usage: install-deps.sh [--build] [--list]" >&2 && exit 2 ;;
        esac
done
packages=("${build[@]}")
[ "$only_build" = 1 ] || packages+=("${rest[@]}")
if [ "$list" = 1 ]; then
        printf '%s\n' "${packages[@]}"
        exit 0
fi
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
