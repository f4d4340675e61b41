#!/usr/bin/env bash
# The README's configuration reference is the table's own output, and the README's commands exist.
source "$(dirname "$0")/lib_cli.sh" "$@"
"$XSELL" config --markdown >"$TMP/expect.md"
sed -n '/^<!-- config-reference/,/^<!-- \/config-reference/p' "$SRC/README.md" | sed '1d;$d' >"$TMP/got.md"
diff -u "$TMP/expect.md" "$TMP/got.md" >/dev/null ||
        fail "README configuration reference is stale: regenerate with xsell config --markdown"
ok "README configuration reference matches the table"
for script in tools/demo.sh tools/test.sh; do
        grep -q "bash $script" "$SRC/README.md" || fail "README does not show $script"
        [ -f "$SRC/$script" ] || fail "$script missing"
done
grep -q "exec bash tools/test.sh" "$SRC/.ci/run" || fail ".ci/run does not run the test command"
ok "README commands exist and .ci/run runs the test command"
done_testing
