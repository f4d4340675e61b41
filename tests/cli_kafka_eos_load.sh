#!/usr/bin/env bash
# Issue 10 item 6 on `xsell mock-broker`: exactly-once under load, 16 partitions and 200,000
# events, with the broker failing the first two AddPartitionsToTxn (-e 24:29:2, an abortable
# error). With records in flight, librdkafka then refuses every produce with ERR__STATE until
# the transaction is aborted; that used to stop the run (exit 1, nothing delivered; with one
# failure the commit usually meets it first, which was already retried). Now the transaction
# is aborted and its records produced again in a new one, as when the commit fails: the run
# completes with exit 0, every event processed, every offer on the topic.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 56 --events 200000 --customers 16000 --products 400 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
start_broker 16 -e 24:29:2
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" 2>/dev/null
ok "200000 events on 16 partitions; the broker fails the first two AddPartitionsToTxn"

start=$(date +%s)
timeout 400 "$XSELL" run -X kafka.bootstrap.servers="$B" "${RUNX[@]}" -X run.idle_exit=3s \
        --print none -X processing.guarantee=exactly_once -X kafka.transactional.id=load \
        >"$TMP/run.out" 2>"$TMP/run.err" ||
        fail "exactly-once run: exit $? after $(($(date +%s) - start)) s: $(grep -v '^%' "$TMP/run.err" | tail -5)"
aborted=$(sed -n 's/.*(aborted and retried \([0-9]*\)).*/\1/p' "$TMP/run.err")
[ "${aborted:-0}" -ge 1 ] || fail "the abort-and-retry path was not taken: $(grep '^consumed' "$TMP/run.err")"
grep -q "events processed 200000, rejected 0, late 0, duplicate 0" "$TMP/run.err" ||
        fail "$(grep 'events processed' "$TMP/run.err")"
inflight=$(grep -c "the open transaction failed while producing" "$TMP/run.err" || true)
ok "exit 0 in $(($(date +%s) - start)) s, aborted and retried $aborted ($inflight while records were in flight), all 200000 events processed"

# every offer the engine made is on the topic (the mock shows aborted records too: repeats)
made=$(sed -n 's/.*offers: CROSS_SELL=\([0-9]*\) UPSELL=\([0-9]*\) DOWNSELL=\([0-9]*\) BUY_AGAIN=\([0-9]*\);.*/\1 \2 \3 \4/p' "$TMP/run.err" |
        awk '{print $1 + $2 + $3 + $4}')
topic_ids offers >"$TMP/got"
distinct=$(sort -u "$TMP/got" | wc -l)
[ "$made" -gt 0 ] && [ "$distinct" = "$made" ] || fail "$made offers made, $distinct distinct on the topic"
ok "all $made offers on the topic ($(($(wc -l <"$TMP/got") - distinct)) repeats from the aborted transaction)"
done_testing
