#!/usr/bin/env bash
# Exactly-once on a real broker. Produces generated events, kills xsell with SIGKILL mid-stream
# (KILLS times) and restarts it, then reads `offers` with a read_committed consumer
# (deploy/eos_verify.py: python3-confluent-kafka, the Confluent wire format and Avro decoded in
# full) and checks that no offer id appears twice, reporting any offer of an uninterrupted
# replay that is missing.
#
#   deploy/eos-check.sh                      the compose setup (needs a Docker engine): Kafka in
#                                            KRaft mode, a Schema Registry, xsell in a container
#   deploy/eos-check.sh --bootstrap H:P      a running cluster (or `xsell mock-broker`): xsell
#                                            runs here, from build/xsell; no registry unless
#                                            --registry URL
# Options: --events N (default 200000), --kills N (default 2), --partitions-exact (fail unless
# the offers equal the replay's; only meaningful with one input partition), --xsell PATH,
# --rate R (events per second while producing in --bootstrap mode; default 5000). In
# --bootstrap mode xsell's HTTP endpoint takes an ephemeral port (EOS_HTTP_PORT to choose one).
# librdkafka's mock cluster does not enforce read_committed (see tests/cli_kafka_eos.sh): against
# it, use --kills 0. tests/cli_kafka_eoscheck.sh runs this script there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
xsell="$root/build/xsell"
py=/usr/bin/python3 # Debian's python3-confluent-kafka lives there
events=200000 kills=2 boot="" registry="" exact=() rate=5000
while [ $# -gt 0 ]; do
        case "$1" in
        --bootstrap) boot="$2" && shift 2 ;;
        --registry) registry="$2" && shift 2 ;;
        --events) events="$2" && shift 2 ;;
        --kills) kills="$2" && shift 2 ;;
        --xsell) xsell="$2" && shift 2 ;;
        --rate) rate="$2" && shift 2 ;;
        --partitions-exact) exact=(--exact) && shift ;;
        -h | --help) sed -n '2,18s/^# \{0,1\}//p' "$0" && exit 0 ;;
        *) echo "eos-check: unknown option $1 (see --help)" >&2 && exit 2 ;;
        esac
done
[ -x "$xsell" ] || { echo "eos-check: no $xsell (build first: bash tools/build.sh)" >&2 && exit 2; }
"$py" -c 'import confluent_kafka' 2>/dev/null ||
        { echo "eos-check: $py cannot import confluent_kafka (apt-get install python3-confluent-kafka)" >&2 && exit 2; }
tmp="$(mktemp -d)"
xpid=""
compose=(docker compose -f "$root/deploy/docker-compose.yml")
cleanup() {
        [ -z "$xpid" ] || kill "$xpid" 2>/dev/null || true
        [ -n "$boot_given" ] || "${compose[@]}" down -v >/dev/null 2>&1 || true
        wait 2>/dev/null || true
        rm -rf "$tmp"
}
boot_given="$boot"
trap cleanup EXIT

if [ -z "$boot" ]; then
        # the loader service is left out: the events here are generated, to compare with a replay
        "${compose[@]}" up -d --build --wait kafka schema-registry xsell
        boot=localhost:29092 registry=http://localhost:8081
fi
kafka=(-X kafka.bootstrap.servers="$boot")
[ -z "$registry" ] || kafka+=(-X registry.url="$registry")

"$xsell" generate --seed 9 --events "$events" -o "$tmp/ev.jsonl" --catalog "$tmp/cat.jsonl"
"$xsell" replay "$tmp/ev.jsonl" -c "$tmp/cat.jsonl" -q -o "$tmp/replay.jsonl"
"$xsell" produce "${kafka[@]}" --catalog "$tmp/cat.jsonl"

# xsell_start / xsell_kill: the processor under test, in its container or here
xsell_start() {
        if [ -n "$boot_given" ]; then
                "$xsell" run "${kafka[@]}" -X processing.guarantee=exactly_once \
                        -X application.id=xsell-eos-check -X kafka.transactional.id=xsell-eos-check \
                        -X commit.interval=500ms -X run.idle_exit=5s -X http.port="${EOS_HTTP_PORT:-0}" \
                        --print none \
                        2>>"$tmp/xsell.err" &
                xpid=$!
        else
                "${compose[@]}" start xsell
        fi
}
xsell_kill() {
        if [ -n "$boot_given" ]; then
                kill -KILL "$xpid" 2>/dev/null || true
                wait "$xpid" 2>/dev/null || true
        else
                "${compose[@]}" kill -s KILL xsell
        fi
}
sid=() # kafka_util.py frames events with schema.id.event's default unless told the registry's id
if [ -n "$registry" ]; then
        # registering the exact .avsc text again returns the id xsell's own producer would use
        id=$("$py" -c 'import json, sys, urllib.request
text = open(sys.argv[2]).read()
req = urllib.request.Request(sys.argv[1].rstrip("/") + "/subjects/customer-events-value/versions",
        data=json.dumps({"schema": text}).encode(), method="POST",
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
print(json.load(urllib.request.urlopen(req, timeout=10))["id"])' "$registry" "$root/schemas/customer_event.avsc")
        sid=(--schema-id "$id")
fi
if [ "$kills" -gt 0 ]; then
        [ -z "$boot_given" ] || xsell_start
        # fed at --rate, so that the kills land in the middle of the stream
        "$py" "$root/tests/kafka_util.py" produce "$boot" customer-events "$tmp/ev.jsonl" \
                --kind event --rate "$rate" "${sid[@]}" &
        ppid=$!
        for _ in $(seq "$kills"); do
                sleep 5
                xsell_kill
                sleep 2
                xsell_start
        done
        wait "$ppid"
else
        "$xsell" produce "${kafka[@]}" "$tmp/ev.jsonl"
        [ -z "$boot_given" ] || xsell_start
fi
if [ -n "$boot_given" ]; then
        # the last run ends on its own once the input has been idle for run.idle_exit
        wait "$xpid" || { echo "eos-check: xsell run failed: $(tail -5 "$tmp/xsell.err")" >&2 && exit 1; }
        xpid=""
fi
# the compose xsell keeps running: wait out a rebalance after the kills (the killed member stays
# in the group until its session times out) before calling the topic complete
idle=5
[ -n "$boot_given" ] || idle=90
verify=("$py" "$root/deploy/eos_verify.py" --bootstrap "$boot" --expect "$tmp/replay.jsonl"
        --idle "${EOS_IDLE:-$idle}" "${exact[@]}")
[ -z "$registry" ] || verify+=(--registry "$registry")
"${verify[@]}"
