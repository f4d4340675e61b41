#!/usr/bin/env bash
# `xsell run` end to end over real TCP against `xsell mock-broker`, fed and read by an
# independent client (tests/kafka_util.py: its own Avro encoder, python3-confluent-kafka): the
# offers on the topic are exactly those of `xsell replay` on the same events and catalog.
source "$(dirname "$0")/lib_kafka.sh" "$@"

gen --seed 11 --events 3000 --customers 300 --products 200 -o "$TMP/ev.jsonl" \
        --catalog "$TMP/cat.jsonl"
start_broker 1
ku produce "$B" product-catalog "$TMP/cat.jsonl" --kind product 2>/dev/null
ku produce "$B" customer-events "$TMP/ev.jsonl" --kind event 2>/dev/null
ok "catalog and 3000 events produced by the independent client"

xrun run -X topic.signals=journey-signals || fail "xsell run failed: $(cat "$TMP/run.err")"
grep -q "catalog product-catalog read to its end: 202 records" "$TMP/run.err" ||
        fail "catalog not read: $(cat "$TMP/run.err")"
[ "$(consumed run)" = 3000 ] || fail "consumed $(consumed run), not 3000"
ok "xsell run read the catalog to its end, consumed 3000 events and exited when idle"

replay_ids "$TMP/ev.jsonl" "$TMP/cat.jsonl" >"$TMP/want"
topic_ids offers >"$TMP/got"
[ -s "$TMP/want" ] || fail "replay made no offers"
diff "$TMP/want" "$TMP/got" >"$TMP/diff" ||
        fail "offers differ from xsell replay ($(wc -l <"$TMP/want") vs $(wc -l <"$TMP/got")): $(head "$TMP/diff")"
ok "offers topic: the same $(wc -l <"$TMP/got") offer ids as xsell replay, none twice"
"$XSELL" replay "$TMP/ev.jsonl" -c "$TMP/cat.jsonl" -q |
        sed -n 's/^{"offer_id":"\([^"]*\)","customer_id":"\([^"]*\)".*/\2 \1/p' | sort >"$TMP/want_keys"
ku consume "$B" offers --mode offers --eof |
        "$KPY" -c 'import json,sys; [print(r["key"], r["offer_id"]) for r in map(json.loads, sys.stdin)]' |
        sort >"$TMP/got_keys"
cmp -s "$TMP/want_keys" "$TMP/got_keys" || fail "offer keys are not the customer ids"
ok "every offer is keyed by its customer_id"

nsig=$(ku consume "$B" journey-signals --eof | wc -l)
[ "$nsig" -gt 0 ] || fail "no journey signals"
ok "journey-signals topic got $nsig records"

# the committed offset of the group is the end of the input
ku committed "$B" xsell customer-events >"$TMP/committed"
[ "$(cat "$TMP/committed")" = "0 3000 3000" ] || fail "committed offsets: $(cat "$TMP/committed")"
ok "group xsell committed offset 3000 of 3000"
done_testing
