"""Produces JSON-lines events to customer-events with an EVOLVED writer schema, encoded here
(independently of xsell's codec): our customer_event.avsc with `offer_id` (optional) and the line
items' `category_label` (optional, newer) dropped and a new field `source` (string, default "web")
added at the end. Registers it with the registry
under customer-events-value, then produces one more record framed with an unknown schema id.

argv: bootstrap, registry url, events.jsonl, customer_event.avsc
"""
import json
import struct
import sys
import urllib.request

from confluent_kafka import Producer

bootstrap, registry, events_path, avsc_path = sys.argv[1:5]
schema = json.load(open(avsc_path))
schema["fields"] = [f for f in schema["fields"] if f["name"] != "offer_id"]
schema["fields"].append({"name": "source", "type": "string", "default": "web"})
# an older writer: its line items have no category_label (added later, with a default)
items_field = next(f for f in schema["fields"] if f["name"] == "items")
item_rec = items_field["type"]["items"]
item_rec["fields"] = [f for f in item_rec["fields"] if f["name"] != "category_label"]
symbols = next(f for f in schema["fields"] if f["name"] == "type")["type"]["symbols"]
text = json.dumps(schema)
req = urllib.request.Request(registry + "/subjects/customer-events-value/versions",
                             data=json.dumps({"schema": text}).encode(),
                             headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
sid = json.load(urllib.request.urlopen(req))["id"]


def long_(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    b = s.encode()
    return long_(len(b)) + b


def opt_string(s):
    return long_(0) if s is None else long_(1) + string(s)


def opt_long(v):
    return long_(0) if v is None else long_(1) + long_(v)


def encode(e):
    out = string(e["event_id"]) + string(e["customer_id"]) + opt_string(e.get("session_id"))
    out += long_(e["event_time"]) + long_(symbols.index(e["type"]))
    items = e.get("items") or []
    if items:
        out += long_(len(items))
        for it in items:
            out += string(it["product_id"]) + long_(it.get("quantity", 1))
            out += opt_long(it.get("unit_price")) + opt_string(it.get("category"))
            out += opt_string(it.get("brand"))
    out += long_(0)
    out += opt_string(e.get("currency")) + opt_string(e.get("order_id"))
    out += string("app")  # the new field
    return out


p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
n = 0
for line in open(events_path):
    e = json.loads(line)
    p.produce("customer-events", key=e["customer_id"].encode(),
              value=b"\x00" + struct.pack(">I", sid) + encode(e))
    n += 1
    if n % 1000 == 0:
        p.poll(0)
p.produce("customer-events", key=b"poison", value=b"\x00" + struct.pack(">I", 4242) + b"\x02\x00")
p.flush(30)
print(f"# produced {n} events with schema id {sid} and one with an unknown id", file=sys.stderr)
