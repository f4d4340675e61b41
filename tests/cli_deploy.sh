#!/usr/bin/env bash
# deploy/ as far as it can be checked without a Docker engine or helm: tests/deploy_check.py
# (compose, Dockerfile, .dockerignore, Helm chart rendered by tests/helm_render.py, Grafana
# dashboard, README metric names and chart notes against the metric families and labels of
# /metrics as scraped from a short `xsell demo` here), then what needs the binary: the Dockerfile's
# configure step run in a copy of exactly the build context .dockerignore leaves (a local build/
# in it made CMake fail on its cache), the compose loader's command and environment run against
# `xsell mock-broker` on the real sample, and the environments and properties that compose and
# the chart hand to xsell accepted by `xsell config --show`.
source "$(dirname "$0")/lib_cli.sh" "$@"
BROKER=""
DEMO=""
trap '[ -z "$BROKER" ] || kill "$BROKER" 2>/dev/null; [ -z "$DEMO" ] || kill "$DEMO" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
"$PY" -c 'import yaml' 2>/dev/null || fail "$PY cannot import yaml (apt-get install python3-yaml; tools/install-deps.sh)"

# -- /metrics of a short `xsell demo`: the families and labels the dashboard may query --
# Scraped every 0.3 s while the demo runs (it exits when its input is done); each scrape must
# parse strictly (tests/prom_parse.py). Statistics every 0.5 s, so that the families fed by
# librdkafka's statistics (consumer lag, brokers up) have samples, and their labels are known.
"$XSELL" demo -n 3000 --print none -X http.port=0 -X kafka.statistics.interval.ms=500 \
        >"$TMP/demo.out" 2>"$TMP/demo.err" &
DEMO=$!
PORT=""
for _ in $(seq 200); do
        PORT=$(sed -n 's/.*"listening on 127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$TMP/demo.err" 2>/dev/null | head -1 || true)
        [ -n "$PORT" ] && break
        kill -0 "$DEMO" 2>/dev/null || break
        sleep 0.1
done
[ -n "$PORT" ] || fail "xsell demo logged no 'listening on' line: $(tail -5 "$TMP/demo.err")"
k=0
for _ in $(seq 200); do # at most ~60 s; the demo takes ~6 s
        if curl -s -m 5 -o "$TMP/scrape.$k.prom" "http://127.0.0.1:$PORT/metrics"; then
                "$PY" "$SRC/tests/prom_parse.py" "$TMP/scrape.$k.prom" >/dev/null 2>"$TMP/scrape.err" ||
                        fail "/metrics of xsell demo does not parse: $(cat "$TMP/scrape.err")"
                k=$((k + 1))
        fi
        kill -0 "$DEMO" 2>/dev/null || break
        sleep 0.3
done
rc=0
kill -0 "$DEMO" 2>/dev/null && fail "xsell demo -n 3000 still runs after a minute: $(tail -3 "$TMP/demo.err")"
wait "$DEMO" || rc=$?
DEMO=""
[ "$rc" = 0 ] || fail "xsell demo exited $rc: $(tail -3 "$TMP/demo.err")"
[ "$k" -ge 2 ] || fail "only $k scrape(s) of /metrics while the demo ran"
ok "xsell demo -n 3000: $k scrapes of /metrics, each parsed strictly, $(grep -h '^# TYPE' "$TMP"/scrape.*.prom | sort -u | wc -l) families"
# the demo's load lines count events and catalog apart (it said "loaded 5023 records": the
# catalog counted again with the events)
grep -q '"message":"loaded 3000 events (0 unreadable)"' "$TMP/demo.err" ||
        fail "xsell demo -n 3000 does not say it loaded 3000 events: $(grep -h '"loaded' "$TMP/demo.err")"
ncat=$(sed -n 's/.*"message":"loaded \([0-9]*\) catalog records".*/\1/p' "$TMP/demo.err")
[ -n "$ncat" ] && grep -q "\"message\":\"summary: consumed 3000, catalog $ncat," "$TMP/demo.err" ||
        fail "the demo's catalog count ($ncat) is not the summary's: $(grep -h 'summary: consumed' "$TMP/demo.err" | cut -c1-200)"
ok "xsell demo says it loaded 3000 events and $ncat catalog records, as its summary counts them"

"$PY" "$SRC/tests/deploy_check.py" "$SRC" "$XSELL" "$TMP" "$TMP"/scrape.*.prom >"$TMP/check.out" 2>"$TMP/check.err" ||
        fail "$(cat "$TMP/check.out" "$TMP/check.err" | tail -5)"
n=$(sed -n 's/^checks //p' "$TMP/check.out")
grep '^ok\|^#' "$TMP/check.out" | sed 's/^ok [0-9]* - /  /'
checks=$((checks + n - 1))
ok "deploy_check.py: $n static checks"

# -- the Dockerfile's configure step in a clean copy of the build context --
mkdir -p "$TMP/ctx"
(cd "$SRC" && tar -cf - -T "$TMP/context.list") | tar -xf - -C "$TMP/ctx"
[ ! -e "$TMP/ctx/build/CMakeCache.txt" ] || fail "the context holds build/CMakeCache.txt"
(cd "$TMP/ctx" && IMGBUILD="$TMP/imgbuild" bash -euc "$(cat "$TMP/configure.sh")") >"$TMP/configure.log" 2>&1 ||
        fail "the Dockerfile's configure step fails in the clean context: $(tail -5 "$TMP/configure.log")"
[ -f "$TMP/imgbuild/CMakeCache.txt" ] || fail "configure left no cache"
ok "the Dockerfile's configure step ($(cat "$TMP/configure.sh")) succeeds in the context .dockerignore leaves ($(wc -l <"$TMP/context.list") files)"

# -- the environments compose and the chart give xsell are valid configuration --
for f in xsell ccloud dockerfile; do
        mapfile -t envs <"$TMP/$f.env"
        env -i "${envs[@]}" "$XSELL" config --show >"$TMP/$f.show" 2>"$TMP/$f.show.err" ||
                fail "$f.env: xsell config --show: $(cat "$TMP/$f.show.err")"
done
grep -qx 'http.address=0.0.0.0' "$TMP/dockerfile.show" || fail "the image's environment does not set http.address=0.0.0.0"
grep -qx 'kafka.security.protocol=SASL_SSL' "$TMP/ccloud.show" && grep -qx 'kafka.sasl.mechanisms=PLAIN' "$TMP/ccloud.show" ||
        fail "the ccloud environment does not set SASL_SSL/PLAIN: $(cat "$TMP/ccloud.show")"
grep -qx 'processing.guarantee=exactly_once' "$TMP/xsell.show" || fail "compose xsell is not exactly_once"
# the chart's pod: its environment over its ConfigMap (defaults, and with SASL)
mapfile -t envs <"$TMP/chart.env"
for props in chart chart-sasl chart-numbers; do
        env -i "${envs[@]}" "$XSELL" config --show -F "$TMP/$props.properties" >"$TMP/$props.show" 2>"$TMP/chart.err" ||
                fail "the chart's pod environment and ConfigMap ($props): $(cat "$TMP/chart.err")"
done
grep -q '^XSELL_HTTP_LIVE_TIMEOUT=' "$TMP/chart.env" && grep -q '^XSELL_LOG_LEVEL=' "$TMP/chart.env" ||
        fail "the chart's environment does not set http.live_timeout and log.level: $(cat "$TMP/chart.env")"
ok "xsell config --show accepts the compose, ccloud and image environments, and the chart's pod environment with its ConfigMap properties"

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
        mapfile -t envs < <(grep -v '^XSELL_KAFKA_BOOTSTRAP_SERVERS=\|^XSELL_REGISTRY_URL=' "$TMP/loader.env")
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
# the image the README builds is the one the chart pulls by default (tag: appVersion)
APPV=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$SRC/deploy/helm/xsell/Chart.yaml")
[ -n "$APPV" ] || fail "Chart.yaml has no appVersion"
grep -q "docker build -f deploy/Dockerfile -t xsell:$APPV \.$" "$SRC/README.md" ||
        fail "README: no container quick start from the repository root building xsell:$APPV (the chart's appVersion)"
grep -q "^  tag: \"\"" "$SRC/deploy/helm/xsell/values.yaml" && grep -q "^  repository: xsell " "$SRC/deploy/helm/xsell/values.yaml" ||
        fail "the chart's image is no longer xsell with the appVersion tag: update the README's docker build"
"$XSELL" --version 2>&1 | grep -qF "$APPV" || fail "xsell --version is not the chart's appVersion $APPV: $("$XSELL" --version 2>&1)"
grep -q 'Not exercised here' "$SRC/README.md" || fail "README does not say what deploy/ was not exercised with"
ok "deploy/*.sh parse, eos-check.sh --help and usage errors; README has the container quick start and what was not exercised"
done_testing
