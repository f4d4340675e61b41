#!/usr/bin/env bash
# Issue 11 (and issue 10): kill -9 at random points of a run over 4 partitions, at-least-once.
# Each run restores its state by replaying the partitions up to their committed offsets (or the
# changelog's last commit marker, written only once the outputs before it were acknowledged) and goes
# on; since input held for its panes is committed only once processed, no offset is skipped and
# the union of the offers equals `xsell replay` of the input, by id, with only exact repeats
# (the same id always with the same content). KILLS (default 3) and EVENTS (default 12000)
# set how many kills on how large an input.
source "$(dirname "$0")/lib_kafka.sh" "$@"
KILLS="${KILLS:-3}"
EVENTS="${EVENTS:-12000}"

gen --seed 71 --events "$EVENTS" --customers 2000 --products 300 -o "$TMP/g.jsonl" \
        --catalog "$TMP/cat.jsonl"
"$XSELL" replay "$TMP/g.jsonl" -c "$TMP/cat.jsonl" -q >"$TMP/replay.jsonl"
n=$(wc -l <"$TMP/replay.jsonl")
[ "$n" -gt 300 ] || fail "replay made only $n offers"

start_broker 4
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
# paced, so that the kills fall while input is flowing
ku produce "$B" customer-events "$TMP/g.jsonl" --rate 600 2>"$TMP/produce.err" &
PROD=$!
PIDS+=("$PROD")
RNG=${SEED:-5}
for k in $(seq "$KILLS"); do
        xrun_bg "k$k" -X application.id=crash -X run.idle_exit=0 -X commit.interval=300 \
                -X window.idle_seal=2s --print json
        wait_for "$TMP/k$k.err" "assigned" 30 || fail "run $k not assigned: $(grep -v '^%' "$TMP/k$k.err" | tail -3)"
        RNG=$(((RNG * 1103515245 + 12345) % 2147483648))
        sleep "$((1 + RNG % 3)).$((RNG % 10))"
        kill -9 "$XPID"
        wait "$XPID" 2>/dev/null || true
done
wait "$PROD" || fail "producer: $(cat "$TMP/produce.err")"
xrun last -X application.id=crash -X run.idle_exit=3s -X window.idle_seal=2s --print json ||
        fail "last run: $(grep -v '^%' "$TMP/last.err" | tail -5)"
grep -q "restored [1-9]" "$TMP/last.err" || fail "the last run restored nothing: $(grep restor "$TMP/last.err")"

"$PY" - "$TMP/replay.jsonl" "$TMP"/k*.out "$TMP/last.out" <<'PYEOF' || fail "printed offers"
import json, sys
want = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    want[o["offer_id"]] = (o["customer_id"], o["type"], o["stage"], o["rule"],
                           [i["product_id"] for i in o["items"]])
seen, printed = {}, 0
for path in sys.argv[2:]:
    for line in open(path):
        o = json.loads(line)
        printed += 1
        got = (o["customer_id"], o["type"], o["stage"], o["rule"], o["products"])
        assert o["offer_id"] in want, ("not an offer of replay", o)
        assert got == want[o["offer_id"]], ("a repeat with other content", o, want[o["offer_id"]])
        seen[o["offer_id"]] = got
print("# %d printed, %d distinct of %d" % (printed, len(seen), len(want)))
PYEOF
topic_ids offers >"$TMP/got"
sort -u "$TMP/got" >"$TMP/got.u"
"$PY" -c 'import json,sys; [print(json.loads(l)["offer_id"]) for l in open(sys.argv[1])]' \
        "$TMP/replay.jsonl" | sort >"$TMP/want"
diff "$TMP/want" "$TMP/got.u" >"$TMP/diff" || fail "offers after $KILLS kills differ from replay: $(head -5 "$TMP/diff")"
ok "$KILLS kill -9 over 4 partitions: the union of the offers is replay's $n, $(($(wc -l <"$TMP/got") - n)) exact repeats"
done_testing
