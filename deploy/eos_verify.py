#!/usr/bin/python3
"""Reads the offers topic and checks exactly-once delivery against the offers of a replay.

Used by deploy/eos-check.sh; runs with Debian's python3-confluent-kafka (/usr/bin/python3) and
shares no code with xsell. Every record is decoded in full: the Confluent wire format (magic
byte 0, a 4-byte big-endian schema id) and then Avro binary with the writer's schema -- fetched
from the Schema Registry by id (GET /schemas/ids/ID) when --registry is given, otherwise
schemas/offer.avsc -- and the body must end exactly where the value ends. Values are binary:
they are never split on newlines or decoded as text.

    eos_verify.py --bootstrap HOST:PORT --expect REPLAY.jsonl [--topic offers]
                  [--registry URL] [--schema FILE] [--schema-id N] [--idle S] [--exact]
                  [-X librdkafka.key=value]...

--expect is the output of `xsell replay -o FILE` (JSON lines with offer_id). Exit 0 when no
offer id appears twice under read_committed and every record decodes; with --exact, also when
the set of offer ids equals the replay's (a single input partition keeps the replay's order;
with several, offers that depend on the interleaving may legitimately differ and are only
reported). Exit 1 otherwise, 2 on a usage error.
"""
import base64
import json
import os
import struct
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "schemas", "offer.avsc")


class AvroError(Exception):
    pass


class Reader:
    """Avro binary decoding (specification 1.11, "Binary Encoding") of every type an .avsc of
    ours can use, named types included."""

    def __init__(self, schema):
        self.named = {}
        self.schema = schema
        self._collect(schema, None)

    def _collect(self, s, ns):
        if isinstance(s, list):
            for b in s:
                self._collect(b, ns)
            return
        if not isinstance(s, dict):
            return
        t = s.get("type")
        if t in ("record", "enum", "fixed", "error"):
            ns = s.get("namespace", ns)
            name = s["name"]
            full = name if "." in name or not ns else ns + "." + name
            self.named[full] = s
            self.named[name] = s
            for f in s.get("fields", []):
                self._collect(f["type"], ns)
        elif t in ("array", "map"):
            self._collect(s.get("items", s.get("values")), ns)
        elif isinstance(t, (dict, list)):
            self._collect(t, ns)

    def _resolve(self, s):
        if isinstance(s, str) and s in self.named:
            return self.named[s]
        return s

    @staticmethod
    def _long(buf, pos):
        shift = z = 0
        while True:
            if pos >= len(buf):
                raise AvroError("truncated varint at byte %d" % pos)
            b = buf[pos]
            pos += 1
            z |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift > 63:
                raise AvroError("varint longer than 10 bytes at byte %d" % pos)
        return (z >> 1) ^ -(z & 1), pos

    @staticmethod
    def _take(buf, pos, n):
        if n < 0 or pos + n > len(buf):
            raise AvroError("length %d at byte %d runs past the end (%d bytes)" % (n, pos, len(buf)))
        return buf[pos : pos + n], pos + n

    def decode(self, buf, pos=0, s=None):
        s = self._resolve(self.schema if s is None else s)
        if isinstance(s, list):
            i, pos = self._long(buf, pos)
            if not 0 <= i < len(s):
                raise AvroError("union branch %d of %d" % (i, len(s)))
            return self.decode(buf, pos, s[i])
        t = s if isinstance(s, str) else s["type"]
        if isinstance(t, (dict, list)):
            return self.decode(buf, pos, t)
        if t == "null":
            return None, pos
        if t == "boolean":
            b, pos = self._take(buf, pos, 1)
            if b[0] > 1:
                raise AvroError("boolean byte %d" % b[0])
            return b[0] == 1, pos
        if t in ("int", "long"):
            return self._long(buf, pos)
        if t == "float":
            b, pos = self._take(buf, pos, 4)
            return struct.unpack("<f", b)[0], pos
        if t == "double":
            b, pos = self._take(buf, pos, 8)
            return struct.unpack("<d", b)[0], pos
        if t in ("bytes", "string"):
            n, pos = self._long(buf, pos)
            b, pos = self._take(buf, pos, n)
            if t == "bytes":
                return b, pos
            try:
                return b.decode("utf-8"), pos
            except UnicodeDecodeError as e:
                raise AvroError("string is not UTF-8: %s" % e)
        if t == "fixed":
            return self._take(buf, pos, s["size"])
        if t == "enum":
            i, pos = self._long(buf, pos)
            if not 0 <= i < len(s["symbols"]):
                raise AvroError("enum %s index %d of %d" % (s["name"], i, len(s["symbols"])))
            return s["symbols"][i], pos
        if t in ("array", "map"):
            out = [] if t == "array" else {}
            while True:
                n, pos = self._long(buf, pos)
                if n == 0:
                    return out, pos
                if n < 0:  # a negative count is followed by the block's size in bytes
                    n = -n
                    _, pos = self._long(buf, pos)
                for _ in range(n):
                    if t == "array":
                        x, pos = self.decode(buf, pos, s["items"])
                        out.append(x)
                    else:
                        k, pos = self.decode(buf, pos, "string")
                        out[k], pos = self.decode(buf, pos, s["values"])
        if t in ("record", "error"):
            out = {}
            for f in s["fields"]:
                out[f["name"]], pos = self.decode(buf, pos, f["type"])
            return out, pos
        raise AvroError("unsupported type %r" % (t,))


class Schemas:
    """Writer schemas by id: from the registry (cached), or one local .avsc for every id."""

    def __init__(self, registry, schema_path, auth):
        self.registry = registry.rstrip("/") if registry else None
        self.auth = auth
        self.cache = {}
        self.local = None
        if not self.registry:
            with open(schema_path) as f:
                self.local = Reader(json.load(f))

    def get(self, sid):
        if self.local:
            return self.local
        if sid not in self.cache:
            req = urllib.request.Request("%s/schemas/ids/%d" % (self.registry, sid))
            if self.auth:
                req.add_header("Authorization", "Basic " + base64.b64encode(self.auth.encode()).decode())
            with urllib.request.urlopen(req, timeout=10) as r:
                self.cache[sid] = Reader(json.loads(json.loads(r.read())["schema"]))
        return self.cache[sid]


def decode_value(schemas, v, want_id):
    """The Offer record of one value in the Confluent wire format; AvroError if it is not one."""
    if v is None:
        raise AvroError("null value (offers are never tombstones)")
    if len(v) < 5:
        raise AvroError("%d bytes: shorter than the 5-byte header" % len(v))
    if v[0] != 0:
        raise AvroError("magic byte %d, not 0" % v[0])
    sid = struct.unpack(">I", v[1:5])[0]
    if want_id is not None and sid != want_id:
        raise AvroError("schema id %d, expected %d" % (sid, want_id))
    rec, end = schemas.get(sid).decode(v, 5)
    if end != len(v):
        raise AvroError("%d trailing bytes after the record" % (len(v) - end))
    if not isinstance(rec, dict) or "offer_id" not in rec:
        raise AvroError("not an Offer record")
    return sid, rec


def parse_args(argv):
    o = {"topic": "offers", "idle": 10.0, "exact": False, "registry": None, "schema": DEFAULT_SCHEMA,
         "schema_id": None, "bootstrap": None, "expect": None, "x": {}, "registry_auth": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--exact":
            o["exact"] = True
            i += 1
            continue
        if a not in ("-X", "--bootstrap", "--topic", "--registry", "--schema", "--expect",
                     "--registry-auth", "--idle", "--schema-id"):
            raise SystemExit("eos_verify: unknown option %s" % a)
        if i + 1 >= len(argv):
            raise SystemExit("eos_verify: %s needs a value (see the top of this file)" % a)
        v = argv[i + 1]
        if a == "-X":
            if "=" not in v:
                raise SystemExit("eos_verify: -X key=value")
            k, val = v.split("=", 1)
            o["x"][k[len("kafka.") :] if k.startswith("kafka.") else k] = val
        elif a in ("--bootstrap", "--topic", "--registry", "--schema", "--expect", "--registry-auth"):
            o[a[2:].replace("-", "_")] = v
        elif a == "--idle":
            o["idle"] = float(v)
        else:
            o["schema_id"] = int(v)
        i += 2
    if not o["bootstrap"] or not o["expect"]:
        raise SystemExit("eos_verify: --bootstrap and --expect are required")
    return o


def main(argv):
    try:
        o = parse_args(argv)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    expect = []
    with open(o["expect"]) as f:
        for line in f:
            if line.strip():
                expect.append(json.loads(line)["offer_id"])
    schemas = Schemas(o["registry"], o["schema"], o["registry_auth"])
    conf = {
        "bootstrap.servers": o["bootstrap"],
        "group.id": "xsell-eos-check",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "isolation.level": "read_committed",
        "log_level": 3,
    }
    conf.update(o["x"])
    c = Consumer(conf)
    md = c.list_topics(o["topic"], timeout=15)
    t = md.topics.get(o["topic"])
    if t is None or t.error is not None or not t.partitions:
        print("eos_verify: topic %s: %s" % (o["topic"], t.error if t else "not found"), file=sys.stderr)
        return 1
    parts = sorted(t.partitions)
    c.assign([TopicPartition(o["topic"], p, OFFSET_BEGINNING) for p in parts])
    got, bad, newline, ids = [], [], 0, set()
    at_eof, last = set(), time.time()
    # Read until every partition is at its end and nothing new arrived for --idle seconds
    # (in compose, xsell may still be working through the input).
    while time.time() - last < o["idle"] or len(at_eof) < len(parts):
        if time.time() - last > max(o["idle"], 60):
            break  # a partition that never reports its end must not hang the check
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(m.partition())
                continue
            print("eos_verify: consumer: %s" % m.error(), file=sys.stderr)
            continue
        last = time.time()
        at_eof.discard(m.partition())
        v = m.value()
        if v is not None and b"\n" in v:
            newline += 1
        try:
            sid, rec = decode_value(schemas, v, o["schema_id"])
        except (AvroError, OSError, ValueError, KeyError) as e:
            bad.append("partition %d offset %d: %s" % (m.partition(), m.offset(), e))
            continue
        ids.add(sid)
        key = m.key().decode("utf-8", "replace") if m.key() is not None else None
        if key != rec["customer_id"]:
            bad.append("partition %d offset %d: key %r is not the offer's customer %r"
                       % (m.partition(), m.offset(), key, rec["customer_id"]))
        got.append(rec["offer_id"])
    c.close()
    seen, dups = set(), 0
    for x in got:
        if x in seen:
            dups += 1
        seen.add(x)
    exp = set(expect)
    missing, unexpected = len(exp - seen), len(seen - exp)
    print("offers expected %d, read_committed %d (%d distinct), duplicates %d, missing %d, "
          "unexpected %d; values holding a newline byte %d; undecodable %d; schema ids %s"
          % (len(expect), len(got), len(seen), dups, missing, unexpected, newline, len(bad),
             ",".join(str(i) for i in sorted(ids)) or "-"))
    for b in bad[:10]:
        print("eos_verify: undecodable: %s" % b, file=sys.stderr)
    ok = dups == 0 and not bad and (not o["exact"] or (missing == 0 and unexpected == 0))
    if not ok:
        print("eos_verify: FAILED (%s)" % ", ".join(
            w for w, c in (("duplicates", dups), ("undecodable records", len(bad)),
                           ("missing offers", o["exact"] and missing),
                           ("unexpected offers", o["exact"] and unexpected)) if c), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
