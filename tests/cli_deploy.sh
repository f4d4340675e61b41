#!/usr/bin/env bash
# deploy/ as far as it can be checked without a Docker engine or helm: tests/deploy_check.py
# (compose, Dockerfile, .dockerignore, Helm chart rendered by tests/helm_render.py, Grafana
# dashboard against the metric names of issue 12), then what needs the binary: the Dockerfile's
# configure step run in a copy of exactly the build context .dockerignore leaves (a local build/
# in it made CMake fail on its cache), the compose loader's command and environment run against
# `xsell mock-broker` on the real sample, and the environments and properties that compose and
# the chart hand to xsell accepted by `xsell config --show`.
source "$(dirname "$0")/lib_cli.sh" "$@"
BROKER=""
trap '[ -z "$BROKER" ] || kill "$BROKER" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
"$PY" -c 'import yaml' 2>/dev/null || fail "$PY cannot import yaml (apt-get install python3-yaml; tools/install-deps.sh)"

"$PY" "$SRC/tests/deploy_check.py" "$SRC" "$XSELL" "$TMP" >"$TMP/check.out" 2>"$TMP/check.err" ||
        fail "$(cat "$TMP/check.out" "$TMP/check.err" | tail -5)"
n=$(sed -n 's/^checks //p' "$TMP/check.out")
grep '^ok\|^#' "$TMP/check.out" | sed 's/^ok [0-9]* - /  /'
checks=$((checks + n - 1))
ok "deploy_check.py: $n static checks"
mapfile -t pending <"$TMP/pending.keys"

# only_known FILE: the KEY=value lines of FILE, less the contract keys this binary does not know
# yet (reported by deploy_check.py), for `env -i`
only_known() {
        local line var k skip
        while IFS= read -r line; do
                var="${line%%=*}"
                skip=0
                for k in "${pending[@]}"; do
                        [ -n "$k" ] && [ "$var" = "XSELL_$(echo "$k" | tr 'a-z.' 'A-Z_')" ] && skip=1
                done
                [ "$skip" = 1 ] || echo "$line"
        done <"$1"
}

# -- the Dockerfile's configure step in a clean copy of the build context --
mkdir -p "$TMP/ctx"
(cd "$SRC" && tar -cf - -T "$TMP/context.list") | tar -xf - -C "$TMP/ctx"
[ ! -e "$TMP/ctx/build/CMakeCache.txt" ] || fail "the context holds build/CMakeCache.txt"
(cd "$TMP/ctx" && IMGBUILD="$TMP/imgbuild" bash -euc "$(cat "$TMP/configure.sh")") >"$TMP/configure.log" 2>&1 ||
        fail "the Dockerfile's configure step fails in the clean context: $(tail -5 "$TMP/configure.log")"
[ -f "$TMP/imgbuild/CMakeCache.txt" ] || fail "configure left no cache"
ok "the Dockerfile's configure step ($(cat "$TMP/configure.sh")) succeeds in the context .dockerignore leaves ($(wc -l <"$TMP/context.list") files)"

# -- the environments compose and the chart give xsell are valid configuration --
for f in xsell ccloud; do
        mapfile -t envs < <(only_known "$TMP/$f.env")
        env -i "${envs[@]}" "$XSELL" config --show >"$TMP/$f.show" 2>"$TMP/$f.show.err" ||
                fail "$f.env: xsell config --show: $(cat "$TMP/$f.show.err")"
done
grep -qx 'kafka.security.protocol=SASL_SSL' "$TMP/ccloud.show" && grep -qx 'kafka.sasl.mechanisms=PLAIN' "$TMP/ccloud.show" ||
        fail "the ccloud environment does not set SASL_SSL/PLAIN: $(cat "$TMP/ccloud.show")"
grep -qx 'processing.guarantee=exactly_once' "$TMP/xsell.show" || fail "compose xsell is not exactly_once"
"$XSELL" config --show -F "$TMP/chart-sasl.properties" >/dev/null 2>"$TMP/chart.err" ||
        fail "the chart's ConfigMap: $(cat "$TMP/chart.err")"
ok "xsell config --show accepts the compose and ccloud environments and the chart's ConfigMap properties"

# -- the compose loader, as written, on the real sample --
mapfile -t largs <"$TMP/loader.args"
sample="$SHARED/${largs[-1]}"
if [ -f "$sample" ]; then
        "$XSELL" mock-broker -p 4 >"$TMP/broker.out" 2>"$TMP/broker.err" &
        BROKER=$!
        B=""
        for _ in $(seq 100); do
                B="$(sed -n 's/^bootstrap.servers=//p' "$TMP/broker.out" 2>/dev/null || true)"
                [ -n "$B" ] && break
                sleep 0.1
        done
        [ -n "$B" ] || fail "mock-broker did not start: $(cat "$TMP/broker.err")"
        # the registry is the compose one; here the schema.id.* ids stand in for it
        mapfile -t envs < <(only_known "$TMP/loader.env" | grep -v '^XSELL_KAFKA_BOOTSTRAP_SERVERS=\|^XSELL_REGISTRY_URL=')
        env -i "${envs[@]}" XSELL_KAFKA_BOOTSTRAP_SERVERS="$B" "$XSELL" "${largs[@]:0:${#largs[@]}-1}" "$sample" \
                >"$TMP/loader.out" 2>"$TMP/loader.err" || fail "the compose loader's command: $(cat "$TMP/loader.err")"
        rows=$(($(wc -l <"$sample") - 1))
        grep -q "\"message\":\"$rows records to customer-events (0 unreadable)\"" "$TMP/loader.err" ||
                fail "the loader did not produce the $rows rows of the sample: $(cat "$TMP/loader.err")"
        ok "the compose loader (xsell ${largs[*]}) loads all $rows rows of the real sample"
else
        echo "# skip: no $sample (the shared data is not here)"
fi

# -- scripts and README --
for s in "$SRC"/deploy/*.sh; do
        bash -n "$s" || fail "$s does not parse"
done
bash "$SRC/deploy/eos-check.sh" --help | grep -q -- '--bootstrap' || fail "eos-check.sh --help"
rc=0
bash "$SRC/deploy/eos-check.sh" --bogus 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "eos-check.sh: an unknown option exits $rc, not 2"
grep -q 'docker build -f deploy/Dockerfile -t xsell \.$' "$SRC/README.md" || fail "README: no container quick start from the repository root"
grep -q 'Not exercised here' "$SRC/README.md" || fail "README does not say what deploy/ was not exercised with"
ok "deploy/*.sh parse, eos-check.sh --help and usage errors; README has the container quick start and what was not exercised"
done_testing
