#!/usr/bin/env bash
# The reliability run (issue 10; README "Reliability"): `xsell run` on the embedded broker
# (`xsell mock-broker`, over TCP) through the failures a deployment meets, each scenario on a
# fresh broker with the same generated input, and the offers in the offers topic (read by an
# independent client, tests/kafka_util.py) compared with `xsell replay` of that input:
#
#   kill     kill -9 at KILLS random points while the input flows, then a last run
#   term     SIGTERM at a random point (graceful exit 0 required), then a restart
#   outage   the broker down for OUTAGE seconds (longer than the session timeout) mid-run
#   scale    a second instance joins mid-run (scale-out), then the first leaves (scale-in);
#            with state.share_panes=true, without which an instance learns only from its own
#            partitions (README "Internal topics")
#   sharekill  two instances sharing panes, one killed -9 mid-run (the other takes its
#            partitions over after the session timeout), then a third joins
#
# For each it prints the offers of replay, the distinct offers on the topic, and how many were
# lost (replay's, not on the topic), unexpected (not replay's), differing (replay's id with other
# content) and repeated (the same id again: allowed under at-least-once, each with content
# identical to the first, else counted as differing). It exits 1 if any of lost, unexpected or
# differing is not zero.
#
# Usage: tools/reliability.sh [XSELL] (default build/xsell); settings by environment:
#   PARTITIONS (16)  EVENTS (200000)  CUSTOMERS (EVENTS/10)  KILLS (10)  SEED (1)
#   SCENARIOS ("kill term outage scale"; also "sharekill")  OUTAGE (12, seconds; the session timeout is 6)
#   RATE (events a second the producer paces the input at; default EVENTS/30)
#   GUARANTEE (at_least_once | exactly_once)  XARGS (more options for every run)
#   DIFFERING_OK=1: differing offers are reported, not failed (lost and unexpected still fail);
#     or a list of scenarios to do that for ("outage kill")
#   SHARED (../shared/data)  KEEP=1 keeps the files
# tests/cli_kafka_reliability.sh runs a reduced form in the suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
xsell="$(realpath "${1:-$root/build/xsell}")"
/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null ||
        { echo "reliability: needs python3-confluent-kafka (tools/install-deps.sh)" >&2; exit 2; }
source "$root/tests/lib_kafka.sh" "$xsell" "$root" "${SHARED:-$root/../shared/data}"

PARTITIONS="${PARTITIONS:-16}"
EVENTS="${EVENTS:-200000}"
CUSTOMERS="${CUSTOMERS:-$((EVENTS / 10))}"
KILLS="${KILLS:-10}"
SEED="${SEED:-1}"
SCENARIOS="${SCENARIOS:-kill term outage scale}"
OUTAGE="${OUTAGE:-12}"
RATE="${RATE:-$((EVENTS / 30))}"
GUARANTEE="${GUARANTEE:-at_least_once}"
FLOW=$((EVENTS / RATE)) # seconds the input flows; the failures fall within it
[ "$FLOW" -ge 8 ] || { echo "reliability: RATE too high: the input must flow 8 s at least" >&2; exit 2; }
RNG="$SEED"
rnd() { # LO HI: a seeded integer in [LO, HI]
        RNG=$(((RNG * 1103515245 + 12345) % 2147483648))
        echo $(($1 + (RNG / 7) % ($2 - $1 + 1)))
}
note() { echo "# $(date +%T) $*" >&2; }

note "input: $EVENTS events, $CUSTOMERS customers, seed $SEED; $PARTITIONS partitions, $GUARANTEE"
gen --seed "$SEED" --events "$EVENTS" --customers "$CUSTOMERS" --products 2000 --days 10 \
        -o "$TMP/g.jsonl" --catalog "$TMP/cat.jsonl"
"$XSELL" replay "$TMP/g.jsonl" -c "$TMP/cat.jsonl" -q >"$TMP/replay.jsonl"
note "replay: $(wc -l <"$TMP/replay.jsonl") offers"

# what every run of every scenario shares (the crash test's settings)
COMMON=(-X commit.interval=300 -X window.idle_seal=2s -X processing.guarantee="$GUARANTEE")
# shellcheck disable=SC2206 # XARGS: more words for every run (e.g. "-X log.level=debug")
COMMON+=(${XARGS:-})
run_bg() { # NAME APP [args...]: an instance in the background; sets XPID
        local name="$1" app="$2"
        shift 2
        local txn=()
        [ "$GUARANTEE" = exactly_once ] && txn=(-X kafka.transactional.id="$app-$name")
        xrun_bg "$name" -X application.id="$app" "${COMMON[@]}" "${txn[@]}" "$@"
}
# a run that does not end is a failure, not a hang: each wait is bounded
BOUND=$((FLOW * 6 + 120))
wait_run() { # PID NAME: the run's exit status, failing after BOUND seconds
        local i
        for i in $(seq $((BOUND * 5))); do
                kill -0 "$1" 2>/dev/null || break
                sleep 0.2
        done
        if kill -0 "$1" 2>/dev/null; then
                kill -9 "$1" 2>/dev/null || true
                fail "$2 did not end within ${BOUND}s: $(grep -v '^%' "$TMP/$2.err" | tail -3)"
        fi
        local rc=0
        wait "$1" || rc=$?
        [ "$rc" = 0 ] || fail "$2: exit $rc: $(grep -v '^%' "$TMP/$2.err" | tail -5)"
}
assigned() { # NAME
        wait_for "$TMP/$1.err" "assigned" 60 || fail "$1 not assigned: $(grep -v '^%' "$TMP/$1.err" | tail -3)"
}
finish() { # NAME APP [args...]: a last instance in the foreground, to the end of the input
        local name="$1"
        run_bg "$@" -X run.idle_exit=5s
        wait_run "$XPID" "$name"
}
start_input() { # APP: a fresh broker, the catalog, and the events paced at RATE (PROD: the producer)
        # the internal topics partitioned like the input (auto-created ones get 4 partitions,
        # and the embedded broker keeps at most 5 MiB per partition)
        local topics=customer-events,product-catalog,offers,journey-signals,offer-outcomes
        topics+=,xsell-dead-letters,$1-customers-changelog,$1-cooccurrence-panes
        start_broker "$PARTITIONS" -t "$topics"
        ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
        ku produce "$B" customer-events "$TMP/g.jsonl" --rate "$RATE" 2>"$TMP/produce.err" &
        PROD=$!
        PIDS+=("$PROD")
}
wait_input() {
        wait "$PROD" || fail "producer: $(cat "$TMP/produce.err")"
}

sc_kill() {
        local k
        for k in $(seq "$KILLS"); do
                run_bg "kill$k" kill -X run.idle_exit=0
                assigned "kill$k"
                sleep "$(rnd 1 4).$(rnd 0 9)"
                kill -9 "$XPID"
                wait "$XPID" 2>/dev/null || true
        done
        wait_input
        finish kill.last kill
}
sc_term() {
        run_bg term1 term -X run.idle_exit=0
        assigned term1
        sleep "$(rnd 2 $((FLOW / 2)))"
        kill -TERM "$XPID"
        wait_run "$XPID" term1
        wait_input
        finish term2 term
}
# outage: a 10 ms fetch wait made the run lose about half the offers in 3 runs of 5 before
# run.idle_exit checked the log ends against what was read (the broker back, the group not yet
# rejoined, nothing fetched for 5 s, the input taken as finished): kept as the regression test
sc_outage() {
        run_bg outage outage -X run.idle_exit=5s -X kafka.fetch.wait.max.ms=10
        local pid=$XPID
        assigned outage
        sleep "$(rnd 2 $((FLOW / 3)))"
        note "broker down for ${OUTAGE}s"
        kill -USR1 "$BROKER_PID"
        sleep "$OUTAGE"
        kill -USR2 "$BROKER_PID"
        wait_input
        wait_run "$pid" outage
}
# instances sharing panes step together, a round trip of their markers per pane: the embedded
# broker holds an empty fetch for fetch.wait.max.ms (100 ms for the panes consumer), which
# paced that at about 4 panes a second
SHARE=(-X state.share_panes=true -X kafka.fetch.wait.max.ms=10)
sc_scale() {
        local share=("${SHARE[@]}")
        run_bg scale.a scale -X run.idle_exit=0 "${share[@]}"
        local a=$XPID
        assigned scale.a
        sleep "$(rnd 2 $((FLOW / 4)))"
        note "scale-out: a second instance"
        run_bg scale.b scale -X run.idle_exit=5s "${share[@]}"
        local b=$XPID
        wait_for "$TMP/scale.a.err" "revoked" 60 || fail "scale.a: no partition moved to scale.b"
        sleep "$(rnd 2 $((FLOW / 4)))"
        note "scale-in: the first instance leaves"
        kill -TERM "$a"
        wait_run "$a" scale.a
        wait_input
        wait_run "$b" scale.b
}
sc_sharekill() {
        local share=("${SHARE[@]}")
        run_bg sharekill.a sharekill -X run.idle_exit=15s "${share[@]}"
        local a=$XPID
        assigned sharekill.a
        run_bg sharekill.b sharekill -X run.idle_exit=0 "${share[@]}"
        local b=$XPID
        assigned sharekill.b
        sleep "$(rnd 2 $((FLOW / 3)))"
        note "kill -9 of one of two instances sharing panes"
        kill -9 "$b"
        wait "$b" 2>/dev/null || true
        sleep "$(rnd 1 $((FLOW / 4)))"
        note "another instance joins"
        run_bg sharekill.c sharekill -X run.idle_exit=15s "${share[@]}"
        local c=$XPID
        wait_input
        wait_run "$a" sharekill.a
        wait_run "$c" sharekill.c
}

compare() { # SCENARIO SECONDS: prints the scenario's line; returns 1 if not all zero
        ku consume "$B" offers --mode records --schema offer.avsc --eof --idle 5 >"$TMP/$1.topic"
        "$PY" - "$TMP/replay.jsonl" "$TMP/$1.topic" "$1" "$2" "$PARTITIONS" "$EVENTS" <<'PYEOF'
import json, os, sys
def norm(o, items):
    return (o["customer_id"], o["type"], o["stage"], o["rule"], o["created_at"],
            tuple(i["product_id"] for i in items))
want = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    want[o["offer_id"]] = norm(o, o["items"])
first, repeats, unexpected, differing = {}, 0, set(), set()
for line in open(sys.argv[2]):
    v = json.loads(line)["value"]
    oid = v["offer_id"]
    if oid in first:
        repeats += 1
        if v != first[oid]:
            differing.add(oid)
        continue
    first[oid] = v
    if oid not in want:
        unexpected.add(oid)
    elif norm(v, v["items"]) != want[oid]:
        differing.add(oid)
lost = set(want) - set(first)
print("%-7s %5s %7s %7d %8d %5d %10d %9d %8d %5s" % (sys.argv[3], sys.argv[5], sys.argv[6],
      len(want), len(first), len(lost), len(unexpected), len(differing), repeats, sys.argv[4]))
for name, ids in (("lost", lost), ("unexpected", unexpected), ("differing", differing)):
    for oid in sorted(ids)[:3]:
        print("#   %s: %s" % (name, oid), file=sys.stderr)
ok = os.environ.get("DIFFERING_OK", "")
if differing and not lost and not unexpected and (ok == "1" or sys.argv[3] in ok.split()):
    print("#   known defect (DIFFERING_OK): %d differing offers reported, not failed" % len(differing),
          file=sys.stderr)
    sys.exit(0)
sys.exit(1 if lost or unexpected or differing else 0)
PYEOF
}

printf '%-7s %5s %7s %7s %8s %5s %10s %9s %8s %5s\n' scenario parts events replay distinct \
        lost unexpected differing repeats secs
bad=0
for sc in $SCENARIOS; do
        declare -F "sc_$sc" >/dev/null || fail "unknown scenario '$sc' (kill term outage scale sharekill)"
        t0=$(date +%s)
        note "scenario $sc"
        start_input "$sc"
        "sc_$sc"
        compare "$sc" "$(($(date +%s) - t0))" || bad=1
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
done
[ "$bad" = 0 ] || fail "offers were lost, unexpected or differing (above)"
ok "reliability: scenarios $SCENARIOS: no offer of replay lost, none unexpected${DIFFERING_OK:+ (differing content of ${DIFFERING_OK/#1/every scenario} reported above, not failed)}"
done_testing
