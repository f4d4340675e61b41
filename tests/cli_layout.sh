#!/usr/bin/env bash
# The layout rules of processor/ (README "Layout", tools/check_layout.py): the tree as it is
# passes (folder order, no include or call cycle between modules, long files justified), and
# the checker itself fails on each kind of breach, shown on a scratch copy of the tree.
source "$(dirname "$0")/lib_cli.sh" "$@"
BUILD="$(dirname "$XSELL")"
CHECK="$SRC/tools/check_layout.py"

"$PY" "$CHECK" --root "$SRC" --objects "$BUILD" >"$TMP/tree.out" || {
        cat "$TMP/tree.out"
        fail "the tree breaks the layout rules"
}
grep -qE "[0-9]+ objects, [0-9]+ call edges: ok" "$TMP/tree.out" ||
        fail "the call graph was not checked: $(cat "$TMP/tree.out")"
ok "processor/ keeps the layout rules ($(tail -1 "$TMP/tree.out"))"

# scratch copy of the sources the checker reads
copy() {
        rm -rf "$TMP/t"
        mkdir -p "$TMP/t"
        cp -r "$SRC/processor" "$SRC/include" "$TMP/t/"
}
expect_breach() { # what, pattern
        if "$PY" "$CHECK" --root "$TMP/t" >"$TMP/bad.out"; then
                fail "$1: not reported"
        fi
        grep -q "$2" "$TMP/bad.out" || fail "$1: reported as $(cat "$TMP/bad.out")"
        ok "$1 is reported"
}

copy
printf '#include "cli/cmd.h"\n' >>"$TMP/t/processor/engine/window.c"
expect_breach "an include from a higher stage (engine -> cli)" 'includes "cli/cmd.h" (cli/), not below engine/'

copy
printf '#include "kafka/kafka.h"\n' >>"$TMP/t/processor/io/io.c"
expect_breach "an include across stages of one rank (io -> kafka)" 'not below io/'

copy
printf '#include "util/intern.h"\n' >>"$TMP/t/processor/util/pool.h"
printf '#include "util/pool.h"\n' >>"$TMP/t/processor/util/intern.h"
expect_breach "two modules that include each other" 'include cycle between modules: util/intern <-> util/pool'

copy
{
        head -1 "$SRC/processor/util/pool.c"
        echo " * a long file"
        echo " */"
        awk 'BEGIN { for (i = 0; i < 900; i++) print "int x;" }'
} >"$TMP/t/processor/util/long.c"
expect_breach "a long file with no reason given" 'long.c: 903 lines'

done_testing
