# Shared by the tests/cli_*.sh tests: arguments, a scratch directory, and check helpers.
# Usage in a test: source "$(dirname "$0")/lib_cli.sh" "$@"
set -euo pipefail
XSELL="$1"
SRC="$2"
SHARED="$3"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# set in the sanitizer build (CMakeLists.txt): a test may skip its slowest checks of arithmetic on
# large real data there, which the plain build runs whole
SANITIZED="${XS_TEST_SANITIZED:-}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
checks=0
fail() {
        echo "FAIL: $*" >&2
        exit 1
}
ok() {
        checks=$((checks + 1))
        echo "ok $checks - $*"
}
done_testing() {
        echo "$checks passed, 0 failed"
}
