#!/usr/bin/env bash
# Issue 10 items 5 and 10 in `xsell replay`: ids longer than event.max_id_bytes, labels longer
# than event.max_label_bytes, and strings that are not UTF-8 are dead-lettered with the field
# named, from every input format -- Avro container files (events and catalog, written here by
# an independent encoder), REES46 and Online Retail CSV, JSON lines -- and counted in
# rejected_long_string / rejected_bad_utf8; the good records around them are processed, and no
# output carries a bad string. Before the fix they were accepted and became state.
source "$(dirname "$0")/lib_cli.sh" "$@"
export PYTHONPATH="$SRC/tests"
long_id=$(head -c 300 /dev/zero | tr '\0' c)
long_label=$(head -c 1100 /dev/zero | tr '\0' k)

# counters NAME: "events_rejected long bad" of a replay's JSON summary
counters() {
        "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1])); c = d.get("counters", d)
print(c["events_processed"], c["rejected_long_string"], c["rejected_bad_utf8"], c["catalog_rejected"])' "$TMP/$1.json"
}
replay() {
        local name="$1"
        shift
        "$XSELL" replay "$@" --dead-letter "$TMP/$name.dead" --summary "$TMP/$name.json" \
                --summary-format json -o "$TMP/$name.offers" 2>"$TMP/$name.err" ||
                fail "$name: xsell replay: $(cat "$TMP/$name.err")"
        # every output is valid UTF-8 (a bad string never reaches one)
        "$PY" -c 'import sys; [open(f, "rb").read().decode("utf-8") for f in sys.argv[1:]]' \
                "$TMP/$name.offers" "$TMP/$name.dead" || fail "$name: an output is not UTF-8"
}
# reasons NAME: the dead-letter reasons, one a line
reasons() {
        "$PY" -c 'import json,sys; [print(json.loads(l)["reason"]) for l in open(sys.argv[1])]' "$TMP/$1.dead"
}

# -- Avro container files: events and a catalog, written by tests/kafka_util.py's encoder --
"$PY" - "$SRC/schemas" "$TMP" "$long_id" "$long_label" <<'PYEOF'
import json, os, sys
from kafka_util import Encoder, enc_long, enc_string
schemas, tmp, long_id, long_label = sys.argv[1:]

def ocf(path, schema_file, records):
    schema = json.load(open(os.path.join(schemas, schema_file)))
    enc = Encoder(schema)
    sync = bytes(range(16))
    meta = {"avro.schema": json.dumps(schema).encode(), "avro.codec": b"null"}
    head = b"Obj\x01" + enc_long(len(meta)) + b"".join(
        enc_string(k) + enc_long(len(v)) + v for k, v in meta.items()) + enc_long(0) + sync
    body = b"".join(enc.encode(r) for r in records)
    with open(path, "wb") as f:
        f.write(head + enc_long(len(records)) + enc_long(len(body)) + body + sync)

def ev(i, **chg):
    e = {"event_id": "e%d" % i, "customer_id": "c%d" % (i % 3), "session_id": None,
         "event_time": 1700000000000 + i * 1000, "type": "ADD_TO_CART",
         "items": [{"product_id": "p%d" % (i % 4), "quantity": 1, "unit_price": 1000,
                    "category": "phone", "brand": None}],
         "currency": "EUR", "order_id": None}
    e.update(chg)
    return e
bad = [ev(100, customer_id=b"caf\xe9"),
       ev(101, event_id=long_id),
       ev(102, items=[{"product_id": b"p\xc0\xaf", "quantity": 1, "unit_price": 5}]),
       ev(103, items=[{"product_id": "p1", "quantity": 1, "unit_price": 5, "brand": b"\xed\xa0\x80"}]),
       ev(104, items=[{"product_id": "p1", "quantity": 1, "unit_price": 5, "category": long_label}]),
       ev(105, order_id=b"o\xff")]
good = [ev(i) for i in range(40)]
ocf(os.path.join(tmp, "ev.avro"), "customer_event.avsc", good[:20] + bad + good[20:])
def prod(pid, **chg):
    p = {"product_id": pid, "category": "phone", "price": 1000, "currency": "EUR"}
    p.update(chg)
    return p
ocf(os.path.join(tmp, "cat.avro"), "catalog_product.avsc",
    [prod("p%d" % i, price=1000 + 100 * i) for i in range(4)] +
    [prod(b"p\xe9"), prod("p9", brand=long_label), prod("p8", upgrades=[long_id]),
     prod("p7", category=b"ph\xf5one")])
PYEOF
replay avro -c "$TMP/cat.avro" "$TMP/ev.avro"
read -r processed long bad catrej < <(counters avro)
[ "$processed $long $bad $catrej" = "40 4 6 4" ] ||
        fail "avro: processed/long/bad/catalog rejected $processed $long $bad $catrej, want 40 4 6 4 (events and catalog)"
[ "$(reasons avro | grep -c 'not valid UTF-8\|longer than event.max_')" = 10 ] || fail "$(reasons avro)"
for f in "customer_id is not valid UTF-8" "event_id longer than event.max_id_bytes" \
        "product_id is not valid UTF-8" "brand is not valid UTF-8" "category longer than event.max_label_bytes" \
        "order_id is not valid UTF-8" "catalog record: product_id is not valid UTF-8" \
        "catalog record: brand longer than event.max_label_bytes" "upgrade target longer" \
        "catalog record: category is not valid UTF-8"; do
        grep -q "$f" <<<"$(reasons avro)" || fail "avro: no dead letter saying \"$f\": $(reasons avro)"
done
ok "Avro files: 6 bad events and 4 bad catalog records dead-lettered with the field named; the 40 good events processed"

# -- REES46 CSV --
{
        echo "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
        for i in $(seq 10); do echo "2024-03-05 09:0$((i % 10)):00 UTC,view,100$i,205,electronics.phone,acme,9.99,5000$((i % 3)),s1"; done
        printf '2024-03-05 09:10:00 UTC,view,1001,205,electronics.phone,acme,9.99,5000\xe9,s1\n'
        printf '2024-03-05 09:10:01 UTC,cart,10\xc0\xaf1,205,electronics.phone,acme,9.99,50001,s1\n'
        echo "2024-03-05 09:10:02 UTC,view,1001,205,electronics.phone,acme,9.99,$long_id,s1"
        echo "2024-03-05 09:10:03 UTC,view,1001,205,$long_label,acme,9.99,50001,s1"
        printf '2024-03-05 09:10:04 UTC,view,1001,205,electronics.phone,ac\xffme,9.99,50001,s1\n'
} >"$TMP/rees.csv"
replay rees -f rees46 "$TMP/rees.csv"
read -r processed long bad _ < <(counters rees)
[ "$processed $long $bad" = "10 2 3" ] || fail "rees46: processed/long/bad $processed $long $bad, want 10 2 3: $(reasons rees)"
ok "REES46 CSV: 3 non-UTF-8 and 2 oversized strings dead-lettered, 10 good rows processed"

# -- Online Retail CSV --
{
        echo "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
        for i in $(seq 8); do echo "54000$i,2200$i,RED MUG,6,2011-01-04 10:0$i:00,2.55,1200$i.0,United Kingdom"; done
        printf '540101,22\xe9001,RED MUG,6,2011-01-05 10:00:00,2.55,12001.0,United Kingdom\n'
        echo "540102,22001,$long_label,6,2011-01-05 10:01:00,2.55,12001.0,United Kingdom"
} >"$TMP/retail.csv"
replay retail -f retail "$TMP/retail.csv"
read -r processed long bad _ < <(counters retail)
[ "$long $bad" = "1 1" ] || fail "retail: long/bad $long $bad, want 1 1: $(reasons retail)"
[ "$processed" -ge 8 ] || fail "retail: processed $processed"
ok "Online Retail CSV: a non-UTF-8 stock code and an oversized description dead-lettered, the good rows processed"

# -- JSON lines: the parser refuses bytes that are not UTF-8; the bounds apply after it --
{
        for i in $(seq 5); do echo "{\"event_id\":\"j$i\",\"customer_id\":\"c$i\",\"event_time\":170000000000$i,\"type\":\"PRODUCT_VIEW\",\"items\":[{\"product_id\":\"p1\",\"quantity\":1}]}"; done
        printf '{"event_id":"j6","customer_id":"caf\xe9","event_time":1700000000006,"type":"PRODUCT_VIEW","items":[{"product_id":"p1","quantity":1}]}\n'
        echo "{\"event_id\":\"j7\",\"customer_id\":\"$long_id\",\"event_time\":1700000000007,\"type\":\"PRODUCT_VIEW\",\"items\":[{\"product_id\":\"p1\",\"quantity\":1}]}"
        echo '{"event_id":"j8","customer_id":"c\ud800x","event_time":1700000000008,"type":"PRODUCT_VIEW","items":[{"product_id":"p1","quantity":1}]}'
        echo '{"event_id":"j9","customer_id":"caf\u00e9","event_time":1700000000009,"type":"PRODUCT_VIEW","items":[{"product_id":"p1","quantity":1}]}'
} >"$TMP/ev.jsonl"
replay jsonl "$TMP/ev.jsonl"
read -r processed long bad _ < <(counters jsonl)
[ "$processed $long" = "6 1" ] || fail "jsonl: processed/long $processed $long, want 6 1: $(reasons jsonl)"
[ "$(wc -l <"$TMP/jsonl.dead")" = 3 ] || fail "jsonl: $(reasons jsonl)"
ok "JSON lines: raw Latin-1 and a lone surrogate refused by the parser, an oversized id by the contract; an escaped é is fine"

# -- the bounds are configurable --
replay wide -X event.max_id_bytes=512 -f rees46 "$TMP/rees.csv"
read -r processed long bad _ < <(counters wide)
[ "$processed $long" = "11 1" ] || fail "event.max_id_bytes=512: processed/long $processed $long, want 11 1"
"$XSELL" replay -X event.max_id_bytes=4 "$TMP/ev.jsonl" -q -o /dev/null 2>"$TMP/small.err" &&
        fail "event.max_id_bytes=4 accepted" || true
grep -q "event.max_id_bytes" "$TMP/small.err" || fail "no error naming event.max_id_bytes: $(cat "$TMP/small.err")"
ok "event.max_id_bytes=512 lets a 300-byte id through; a bound under 8 is refused"
done_testing
