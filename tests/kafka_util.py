#!/usr/bin/python3
"""Independent Kafka client for the tests/cli_kafka_*.sh tests (run with /usr/bin/python3).

It shares no code with xsell: its own Avro binary encoder and decoder, driven by the .avsc files
in schemas/ (zig-zag varints, strings, unions by branch index, arrays in blocks, enums by the
index of the symbol in the .avsc, booleans), its own Confluent framing (b'\\x00' + 4-byte
big-endian schema id), and Debian's python3-confluent-kafka as the client.

    kafka_util.py produce BOOT TOPIC FILE --kind event|product [--schema-id N] [--from I]
                  [--count N] [--rate RECORDS_PER_S] [--trace 1]
    kafka_util.py consume BOOT TOPIC [--idle S] [--eof] [--mode offers|dead|events|raw|records]
                  [--schema offer.avsc]
    kafka_util.py poison BOOT TOPIC GOOD.jsonl OUT_GOOD.jsonl   (good events with every poison)
    kafka_util.py oversize BOOT TOPIC GOOD.jsonl OUT_GOOD.jsonl [--catalog-topic T]
                                                                  (good events with records too
                                                                  big to dead-letter whole, and
                                                                  strings too long or not UTF-8)
    kafka_util.py commit BOOT GROUP TOPIC PARTITION OFFSET [PARTITION OFFSET...]
                                                                  (commit offsets for a group)
    kafka_util.py committed BOOT GROUP TOPIC                      (committed offsets per partition)
    kafka_util.py ok                                              (exit 0 if confluent_kafka loads)

consume prints one JSON line per record: partition, offset, key, and per mode the offer_id
(offers: the first Avro string after the 5-byte header), the headers (dead), the decoded event
with its framing (events), the value in hex (raw), or (records) the timestamp, its type, the
headers as [name, value] pairs in order and the value decoded with --schema (a schema file of
schemas/; no --schema: value_hex).

produce --trace 1 gives every event the headers of trace_headers(event): a W3C traceparent and
a tracestate derived from its event_id, and x-not-passed (for checking a passthrough list).
"""
import json
import os
import struct
import sys
import time

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schemas")
EVENT_ID, PRODUCT_ID = 1, 2


def load_schema(name):
    with open(os.path.join(SCHEMAS, name)) as f:
        return json.load(f)


# ---- Avro binary encoding (spec 1.11, "Binary Encoding") ----------------------------------


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def enc_long(n):
    z = zigzag(n) & 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while z & ~0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def enc_string(s):
    b = s if isinstance(s, bytes) else s.encode("utf-8")  # bytes: as they are (not UTF-8)
    return enc_long(len(b)) + b


class Encoder:
    """Encodes Python values (as parsed from our JSON lines) with a parsed .avsc schema."""

    def __init__(self, schema):
        self.named = {}
        self.schema = schema
        self._collect(schema)

    def _collect(self, s):
        if isinstance(s, dict):
            if s.get("type") in ("record", "enum", "fixed"):
                self.named[s["name"]] = s
                if "namespace" in s:
                    self.named[s["namespace"] + "." + s["name"]] = s
            for f in s.get("fields", []):
                self._collect(f["type"])
            if "items" in s:
                self._collect(s["items"])
        elif isinstance(s, list):
            for b in s:
                self._collect(b)

    def _resolve(self, s):
        if isinstance(s, str) and s in self.named:
            return self.named[s]
        return s

    @staticmethod
    def _matches(branch, v):
        t = branch if isinstance(branch, str) else branch.get("type")
        if t == "null":
            return v is None
        if t in ("string", "bytes"):
            return isinstance(v, (str, bytes))
        if t in ("long", "int"):
            return isinstance(v, int) and not isinstance(v, bool)
        if t == "boolean":
            return isinstance(v, bool)
        if t in ("double", "float"):
            return isinstance(v, (int, float))
        if t == "array":
            return isinstance(v, list)
        return isinstance(v, dict)

    def encode(self, v, s=None):
        s = self._resolve(self.schema if s is None else s)
        if isinstance(s, list):  # union: the index of the branch, then the value
            for i, b in enumerate(s):
                if self._matches(self._resolve(b), v):
                    return enc_long(i) + self.encode(v, b)
            raise ValueError("no union branch for %r in %r" % (v, s))
        t = s if isinstance(s, str) else s["type"]
        if t == "null":
            return b""
        if t == "boolean":
            return b"\x01" if v else b"\x00"
        if t in ("int", "long"):
            return enc_long(int(v))
        if t == "string":
            return enc_string(v)
        if t == "double":
            return struct.pack("<d", v)
        if t == "enum":
            return enc_long(s["symbols"].index(v))
        if t == "array":
            if not v:
                return enc_long(0)
            # one block of all items, then the empty block that ends the array
            return enc_long(len(v)) + b"".join(self.encode(x, s["items"]) for x in v) + enc_long(0)
        if t == "record":
            out = b""
            for f in s["fields"]:
                if f["name"] in v:
                    fv = v[f["name"]]
                elif "default" in f:
                    fv = f["default"]
                else:
                    raise ValueError("missing field %s" % f["name"])
                out += self.encode(fv, f["type"])
            return out
        if isinstance(t, (dict, list)):
            return self.encode(v, t)
        raise ValueError("unsupported type %r" % (t,))


class Decoder(Encoder):
    """The inverse, for checking what `xsell produce` wrote."""

    def decode(self, buf, pos=0, s=None):
        s = self._resolve(self.schema if s is None else s)
        if isinstance(s, list):
            i, pos = dec_long(buf, pos)
            return self.decode(buf, pos, s[i])
        t = s if isinstance(s, str) else s["type"]
        if t == "null":
            return None, pos
        if t == "boolean":
            return buf[pos] != 0, pos + 1
        if t in ("int", "long"):
            return dec_long(buf, pos)
        if t == "string":
            n, pos = dec_long(buf, pos)
            return buf[pos : pos + n].decode("utf-8"), pos + n
        if t == "enum":
            i, pos = dec_long(buf, pos)
            return s["symbols"][i], pos
        if t == "double":
            return struct.unpack("<d", buf[pos : pos + 8])[0], pos + 8
        if t == "float":
            return struct.unpack("<f", buf[pos : pos + 4])[0], pos + 4
        if t == "array":
            out = []
            while True:
                n, pos = dec_long(buf, pos)
                if n == 0:
                    return out, pos
                if n < 0:  # a negative count is followed by the block's size in bytes
                    n = -n
                    _, pos = dec_long(buf, pos)
                for _ in range(n):
                    x, pos = self.decode(buf, pos, s["items"])
                    out.append(x)
        if t == "record":
            out = {}
            for f in s["fields"]:
                out[f["name"]], pos = self.decode(buf, pos, f["type"])
            return out, pos
        if isinstance(t, (dict, list)):
            return self.decode(buf, pos, t)
        raise ValueError("unsupported type %r" % (t,))


def dec_long(buf, pos):
    shift = z = 0
    while True:
        b = buf[pos]
        pos += 1
        z |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return (z >> 1) ^ -(z & 1), pos


def frame(schema_id, body, magic=0):
    return bytes([magic]) + struct.pack(">I", schema_id) + body


def trace_headers(event):
    """The headers `produce --trace 1` puts on an event: [(name, bytes)], in order."""
    import hashlib

    h = hashlib.sha256(event["event_id"].encode()).hexdigest()
    return [
        ("traceparent", ("00-%s-%s-01" % (h[:32], h[32:48])).encode()),
        ("tracestate", ("xs=%s" % event["event_id"]).encode()),
        ("x-not-passed", b"private"),
    ]


def first_string_after_header(value):
    n, pos = dec_long(value, 5)
    return value[pos : pos + n].decode("utf-8")


# ---- Kafka ---------------------------------------------------------------------------------


def producer(boot):
    from confluent_kafka import Producer

    return Producer(
        {"bootstrap.servers": boot, "enable.idempotence": True, "linger.ms": 10, "log_level": 3}
    )


def flush_or_die(p, n):
    left = p.flush(60)
    if left:
        sys.exit("kafka_util: %d of %d records not delivered" % (left, n))


def cmd_produce(args):
    boot, topic, path = args[0], args[1], args[2]
    opts = dict(zip(args[3::2], args[4::2]))
    kind = opts.get("--kind", "event")
    enc = Encoder(load_schema("customer_event.avsc" if kind == "event" else "catalog_product.avsc"))
    sid = int(opts.get("--schema-id", EVENT_ID if kind == "event" else PRODUCT_ID))
    first, count = int(opts.get("--from", 0)), int(opts.get("--count", -1))
    rate = float(opts.get("--rate", 0))  # records per second (0: as fast as possible)
    trace = opts.get("--trace", "0") == "1"
    p = producer(boot)
    n = 0
    t0 = time.time()
    with open(path) as f:
        for i, line in enumerate(f):
            if i < first or (count >= 0 and i >= first + count):
                continue
            rec = json.loads(line)
            headers = None
            if kind == "event":
                key, value = rec["customer_id"], frame(sid, enc.encode(rec))
                headers = trace_headers(rec) if trace else None
            else:  # catalog: a deleted product is a tombstone (null value)
                key = rec["product_id"]
                value = None if rec.get("deleted") else frame(sid, enc.encode(rec))
            while True:
                try:
                    p.produce(topic, key=key.encode(), value=value, headers=headers)
                    break
                except BufferError:
                    p.poll(0.05)
            p.poll(0)
            n += 1
            if rate > 0:
                ahead = t0 + n / rate - time.time()
                if ahead > 0:
                    p.flush(10)
                    time.sleep(ahead)
    flush_or_die(p, n)
    print("produced %d records to %s" % (n, topic), file=sys.stderr)


def cmd_consume(args):
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    boot, topic = args[0], args[1]
    rest = args[2:]
    idle, mode, stop_at_eof, isolation, schema = 3.0, "raw", False, "read_committed", None
    i = 0
    while i < len(rest):
        if rest[i] == "--eof":
            stop_at_eof = True
            i += 1
            continue
        if rest[i] == "--idle":
            idle = float(rest[i + 1])
        elif rest[i] == "--mode":
            mode = rest[i + 1]
        elif rest[i] == "--isolation":
            isolation = rest[i + 1]
        elif rest[i] == "--schema":
            schema = rest[i + 1]
        i += 2
    c = Consumer(
        {
            "bootstrap.servers": boot,
            "group.id": "kafka-util-reader",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 10,
            "isolation.level": isolation,
            "log_level": 3,
        }
    )
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    dec = Decoder(load_schema("customer_event.avsc")) if mode == "events" else None
    if mode == "records" and schema:
        dec = Decoder(load_schema(schema))
    at_eof, last = set(), time.time()
    while time.time() - last < idle:
        m = c.poll(0.1)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(m.partition())
                if stop_at_eof and len(at_eof) == len(parts):
                    break
                continue
            print("kafka_util: consumer: %s" % m.error(), file=sys.stderr)
            continue
        last = time.time()
        at_eof.discard(m.partition())
        v = m.value()
        out = {"p": m.partition(), "o": m.offset(), "key": m.key().decode("utf-8", "replace") if m.key() is not None else None}
        if mode == "offers":
            out["offer_id"] = first_string_after_header(v)
        elif mode == "dead":
            out["headers"] = {k: (hv.decode("utf-8", "replace") if hv is not None else None) for k, hv in (m.headers() or [])}
            out["value_hex"] = v.hex() if v is not None else None
        elif mode == "events":
            out["magic"] = v[0]
            out["schema_id"] = struct.unpack(">I", v[1:5])[0]
            rec, end = dec.decode(v, 5)
            out["event"] = rec
            out["trailing"] = len(v) - end
        elif mode == "records":
            ts_type, ts = m.timestamp()
            out["ts"], out["ts_type"] = ts, ts_type
            out["headers"] = [[k, hv.decode("utf-8", "replace") if hv is not None else None] for k, hv in (m.headers() or [])]
            if dec is not None and v is not None and len(v) >= 5:
                out["schema_id"] = struct.unpack(">I", v[1:5])[0]
                out["value"], _ = dec.decode(v, 5)
            else:
                out["value_hex"] = v.hex() if v is not None else None
        else:
            out["value_hex"] = v.hex() if v is not None else None
        print(json.dumps(out, sort_keys=True))
    c.close()


def poison_records(enc, template):
    """(name, key, value, stage) of every kind of poison, built around a valid event. Each
    poison has its own customer and event id so that it cannot touch a good customer's state,
    and its event time is the template's (a poison must not move stream time)."""
    ev = dict(template)
    ev["items"] = [dict(x) for x in ev.get("items", [])] or [
        {"product_id": "p-poison", "quantity": 1, "unit_price": 100}
    ]
    out = []

    def good_body(tag, **chg):
        e = dict(ev, event_id="poison-" + tag, customer_id="poison-" + tag, **chg)
        return e["customer_id"], enc.encode(e)

    k, body = good_body("garbage")
    out.append(("garbage", k, b"\x00\x00\x00\x00\x01" + b"\xff" * 12 + b"garbage", "deserialize"))
    k, body = good_body("short")
    out.append(("too-short", k, b"\x00\x01", "deserialize"))
    k, body = good_body("truncated")
    out.append(("truncated", k, frame(EVENT_ID, body[: len(body) // 2]), "deserialize"))
    k, body = good_body("magic")
    out.append(("wrong-magic", k, frame(EVENT_ID, body, magic=1), "deserialize"))
    k, body = good_body("schema99")
    out.append(("unknown-schema-id", k, frame(99, body), "deserialize"))
    # an enum index beyond the symbols of the .avsc: the type field, hand-encoded
    e = dict(ev, event_id="poison-enum", customer_id="poison-enum")
    raw = (
        enc_string(e["event_id"])
        + enc_string(e["customer_id"])
        + enc_long(0)
        + enc_long(e["event_time"])
        + enc_long(77)
        + enc_long(0)
        + enc_long(0) * 3
    )
    out.append(("bad-enum-index", "poison-enum", frame(EVENT_ID, raw), "deserialize"))
    items = [dict(ev["items"][0], quantity=-3)]
    k, body = good_body("quantity", type="ADD_TO_CART", items=items)
    out.append(("quantity-minus-3", k, frame(EVENT_ID, body), "contract"))
    k, body = good_body("key")
    out.append(("key-not-customer", "someone-else", frame(EVENT_ID, body), "contract"))
    out.append(("null-value", "poison-null", None, "deserialize"))
    return out


def cmd_poison(args):
    boot, topic, good_path, out_good = args[0], args[1], args[2], args[3]
    enc = Encoder(load_schema("customer_event.avsc"))
    good = [json.loads(l) for l in open(good_path)]
    p = producer(boot)
    n = 0
    poisons = None
    every = max(1, len(good) // 10)
    with open(out_good, "w") as og:
        for i, rec in enumerate(good):
            p.produce(topic, key=rec["customer_id"].encode(), value=frame(EVENT_ID, enc.encode(rec)))
            og.write(json.dumps(rec) + "\n")
            n += 1
            if i % every == every - 1:
                if poisons is None:
                    poisons = poison_records(enc, rec)
                if poisons:
                    name, key, value, stage = poisons.pop(0)
                    p.produce(topic, key=key.encode(), value=value)
                    print(json.dumps({"poison": name, "key": key, "stage": stage,
                                      "value_hex": value.hex() if value is not None else None}))
                    n += 1
            p.poll(0)
        for name, key, value, stage in poisons or []:
            p.produce(topic, key=key.encode(), value=value)
            print(json.dumps({"poison": name, "key": key, "stage": stage,
                              "value_hex": value.hex() if value is not None else None}))
            n += 1
    flush_or_die(p, n)


def oversize_records(enc, template):
    """(name, key, value, headers, stage, cut) of records that are poison by size or by their
    strings: cut is what the dead letter must have cut to fit the default message.max.bytes
    (1,000,000), "" for nothing. Each has its own customer and the template's event time."""
    ev = dict(template, items=[{"product_id": "p-poison", "quantity": 1, "unit_price": 100}])

    def rec(tag, **chg):
        e = dict(ev, event_id="oversize-" + tag, customer_id="oversize-" + tag)
        e.update(chg)
        return e["customer_id"], frame(EVENT_ID, enc.encode(e))

    out = []
    # a 100,000-item basket: 1.4 MB, breaks event.max_items; its dead letter is cut
    items = [{"product_id": "p%06d" % i, "quantity": 1, "unit_price": 100} for i in range(100000)]
    k, v = rec("basket", type="PURCHASE", order_id="o-big", items=items)
    out.append(("basket-100k-items", k, v, None, "contract", "value"))
    # a 1 MB customer_id (the key too): breaks event.max_id_bytes; key and value are cut
    big = "c" * (1 << 20)
    k, v = rec("bigid", customer_id=big)
    out.append(("customer-id-1mb", big, v, None, "contract", "value,key"))
    # a 300-byte event_id: small enough to dead-letter whole
    k, v = rec("eid", event_id="e" * 300)
    out.append(("event-id-300-bytes", k, v, None, "contract", ""))
    # strings that are not UTF-8 (Latin-1 bytes): the customer_id (and key), a product_id
    latin = b"caf\xe9-oversize"
    k, v = rec("latin1", customer_id=latin)
    out.append(("customer-id-latin1", latin, v, None, "contract", ""))
    k, v = rec("badprod", items=[{"product_id": b"p\xff\xfe", "quantity": 1, "unit_price": 5}])
    out.append(("product-id-not-utf8", k, v, None, "contract", ""))
    # garbage with 1.2 MB of headers: the headers are left out of the dead letter
    out.append(("headers-1.2mb", "oversize-hdrs", b"\x00\x00\x00\x00\x01\xff\xff", [("big", b"h" * 1200000)], "deserialize", "headers"))
    return out


def catalog_poison_records(enc, template):
    """(name, key, value, headers, stage, cut) of catalog records that are poison: a key that is
    not the product_id, a product_id that is not UTF-8, a category too long."""
    p = dict(template)
    out = []
    v = frame(PRODUCT_ID, enc.encode(dict(p, product_id="cat-poison-key")))
    out.append(("catalog-key-not-product-id", "some-other-product", v, None, "contract", ""))
    bad = b"cat-\xc0\xaf"
    out.append(("catalog-product-id-not-utf8", bad, frame(PRODUCT_ID, enc.encode(dict(p, product_id=bad))), None, "contract", ""))
    v = frame(PRODUCT_ID, enc.encode(dict(p, product_id="cat-poison-label", category="k" * 5000)))
    out.append(("catalog-category-5000-bytes", "cat-poison-label", v, None, "contract", ""))
    return out


def describe(name, topic, key, value, stage, cut):
    kb = key if isinstance(key, bytes) else key.encode()
    return json.dumps({"poison": name, "topic": topic, "key_hex": kb.hex(), "key_len": len(kb),
                       "value_len": len(value) if value is not None else 0, "stage": stage,
                       "cut": cut})


def cmd_oversize(args):
    from confluent_kafka import Producer

    boot, topic, good_path, out_good = args[0], args[1], args[2], args[3]
    opts = dict(zip(args[4::2], args[5::2]))
    enc = Encoder(load_schema("customer_event.avsc"))
    good = [json.loads(l) for l in open(good_path)]
    p = Producer({"bootstrap.servers": boot, "enable.idempotence": True, "linger.ms": 10,
                  "log_level": 3, "message.max.bytes": 8000000})
    n = 0
    poisons = None
    every = max(1, len(good) // 8)

    def send(t, name, key, value, hdrs, stage, cut):
        kb = key if isinstance(key, bytes) else key.encode()
        while True:
            try:
                p.produce(t, key=kb, value=value, headers=hdrs)
                break
            except BufferError:
                p.poll(0.05)
        print(describe(name, t, key, value, stage, cut))

    with open(out_good, "w") as og:
        for i, rec in enumerate(good):
            while True:
                try:
                    p.produce(topic, key=rec["customer_id"].encode(), value=frame(EVENT_ID, enc.encode(rec)))
                    break
                except BufferError:
                    p.poll(0.05)
            og.write(json.dumps(rec) + "\n")
            n += 1
            if i % every == every // 2:
                if poisons is None:
                    poisons = oversize_records(enc, rec)
                if poisons:
                    send(topic, *poisons.pop(0))
                    n += 1
            p.poll(0)
        for x in poisons or []:
            send(topic, *x)
            n += 1
    if "--catalog-topic" in opts:
        cenc = Encoder(load_schema("catalog_product.avsc"))
        tmpl = {"product_id": "x", "category": "c", "price": 100, "currency": "EUR", "in_stock": True}
        for x in catalog_poison_records(cenc, tmpl):
            send(opts["--catalog-topic"], *x)
            n += 1
    flush_or_die(p, n)


def cmd_commit(args):
    """Commits as a member of the group (the mock broker takes commits from members only)."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    boot, group, topic = args[:3]
    offs = [TopicPartition(topic, int(p), int(o)) for p, o in zip(args[3::2], args[4::2])]
    c = Consumer({"bootstrap.servers": boot, "group.id": group, "enable.auto.commit": False,
                  "session.timeout.ms": 6000, "log_level": 3})
    assigned = []
    c.subscribe([topic], on_assign=lambda cons, parts: assigned.append(parts))
    deadline = time.time() + 60
    while not assigned:
        if time.time() > deadline:
            sys.exit("kafka_util: commit: never assigned")
        c.poll(0.1)
    for attempt in range(40):
        try:
            for tp in c.commit(offsets=offs, asynchronous=False):
                if tp.error:
                    sys.exit("kafka_util: commit [%d]: %s" % (tp.partition, tp.error))
            break
        except KafkaException as e:
            if attempt == 39:
                sys.exit("kafka_util: commit: %s" % e)
            c.poll(0.5)
    c.close()


def cmd_committed(args):
    from confluent_kafka import Consumer, TopicPartition

    boot, group, topic = args
    c = Consumer({"bootstrap.servers": boot, "group.id": group, "enable.auto.commit": False, "log_level": 3})
    md = c.list_topics(topic, timeout=10)
    parts = [TopicPartition(topic, p) for p in sorted(md.topics[topic].partitions)]
    for tp in c.committed(parts, timeout=10):
        lo, hi = c.get_watermark_offsets(tp, timeout=10)
        print("%d %d %d" % (tp.partition, tp.offset, hi))
    c.close()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ok":
        import confluent_kafka  # noqa: F401

        return
    {"produce": cmd_produce, "consume": cmd_consume, "poison": cmd_poison,
     "oversize": cmd_oversize, "commit": cmd_commit, "committed": cmd_committed}[cmd](args)


if __name__ == "__main__":
    main()
