#!/usr/bin/env python3
"""A strict parser of the Prometheus text exposition format 0.0.4, independent of xsell, for
tests/cli_kafka_metrics.sh. It refuses what Prometheus would refuse, and a bit more that the
format says and lenient parsers let through:

  - '# HELP name text' and '# TYPE name type' at most once per family, TYPE before its samples,
    type one of counter|gauge|histogram|summary|untyped; other '#' lines are comments;
  - metric and label names by the format's grammar, no label named twice, label values in
    double quotes with only the escapes \\\\ \\" \\n, values as Go's ParseFloat reads them
    (+Inf, -Inf, NaN too), an optional integer timestamp;
  - a family's samples together (not interleaved with another family), no sample twice;
  - counters and histogram buckets, _sum and _count not negative (and not NaN);
  - histograms: an le label on every _bucket, buckets ascending in le and non-decreasing in
    count per label set, a +Inf bucket equal to _count.

    prom_parse.py FILE            prints {"name{labels}": value, ...} as JSON (labels as written,
                                  values unescaped), or exits 1 with "line N: reason"
"""
import json
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Bad(Exception):
    pass


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not FLOAT.match(s):
        raise Bad(f"bad value {s!r}")
    return float(s)


def parse_labels(s, i):
    """s[i] is '{'; returns (labels as a tuple of pairs, index after '}')."""
    i += 1
    labels = []
    seen = set()
    while True:
        if i < len(s) and s[i] == "}":
            return tuple(labels), i + 1
        m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(s, i)
        if not m:
            raise Bad(f"bad label name at column {i + 1}")
        name = m.group(0)
        if name in seen:
            raise Bad(f"label {name} twice")
        seen.add(name)
        i = m.end()
        if s[i:i + 2] != '="':
            raise Bad(f"label {name}: expected =\"")
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Bad(f"label {name}: unterminated value")
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt == "\\":
                    val.append("\\")
                elif nxt == '"':
                    val.append('"')
                elif nxt == "n":
                    val.append("\n")
                else:
                    raise Bad(f"label {name}: bad escape \\{nxt}")
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                raise Bad(f"label {name}: raw newline")
            val.append(c)
            i += 1
        labels.append((name, "".join(val)))
        if i < len(s) and s[i] == ",":
            i += 1
            if i < len(s) and s[i] == "}":
                return tuple(labels), i + 1  # a trailing comma is allowed
        elif i < len(s) and s[i] == "}":
            return tuple(labels), i + 1
        else:
            raise Bad(f"expected , or }} after label {name}")


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) in ("histogram", "summary"):
            return name[: -len(suffix)]
    return name


def parse(text):
    if text and not text.endswith("\n"):
        raise Bad("the text does not end with a newline")
    helps, types, samples, shown = {}, {}, {}, {}
    done = set()  # families whose samples are over
    current = None
    hist = {}  # (family, labels without le) -> list of (le, count)
    counts = {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        try:
            if line == "":
                continue
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                    name = parts[2]
                    if not NAME.match(name):
                        raise Bad(f"bad metric name {name!r}")
                    if parts[1] == "HELP":
                        if name in helps:
                            raise Bad(f"HELP of {name} twice")
                        h = parts[3] if len(parts) > 3 else ""
                        if re.search(r"\\[^\\n]", h.replace("\\\\", "")):
                            raise Bad(f"HELP of {name}: bad escape")
                        helps[name] = h
                    else:
                        if name in types:
                            raise Bad(f"TYPE of {name} twice")
                        if any(family_of(s[0], {name: parts[3] if len(parts) > 3 else ""}) == name
                               for s in samples):
                            raise Bad(f"TYPE of {name} after its samples")
                        t = parts[3] if len(parts) > 3 else ""
                        if t not in TYPES:
                            raise Bad(f"bad type {t!r}")
                        types[name] = t
                continue
            m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(line)
            if not m:
                raise Bad("bad metric name")
            name = m.group(0)
            i = m.end()
            labels = ()
            if i < len(line) and line[i] == "{":
                labels, i = parse_labels(line, i)
            if i >= len(line) or line[i] != " ":
                raise Bad("expected a space before the value")
            rest = line[i + 1:].split(" ")
            if len(rest) not in (1, 2) or (len(rest) == 2 and not re.match(r"-?\d+\Z", rest[1])):
                raise Bad(f"bad value or timestamp {line[i + 1:]!r}")
            value = parse_value(rest[0])
            fam = family_of(name, types)
            if fam != current:
                if fam in done:
                    raise Bad(f"samples of {fam} are not together")
                if current is not None:
                    done.add(current)
                current = fam
            key = (name, tuple(sorted(labels)))
            if key in samples:
                raise Bad(f"sample {name}{dict(labels)} twice")
            samples[key] = value
            shown[key] = show((name, labels))  # as written, labels in their order
            t = types.get(fam, "untyped")
            if t == "counter" or (t == "histogram" and name != fam):
                if math.isnan(value) or value < 0:
                    raise Bad(f"{name}: a counter cannot be {value}")
            if t == "histogram":
                if name == fam:
                    raise Bad(f"{name}: a histogram sample needs _bucket, _sum or _count")
                rest_labels = tuple(sorted((k, v) for k, v in labels if k != "le"))
                if name.endswith("_bucket"):
                    le = dict(labels).get("le")
                    if le is None:
                        raise Bad(f"{name}: no le label")
                    hist.setdefault((fam, rest_labels), []).append((parse_value(le), value))
                elif name.endswith("_count"):
                    counts[(fam, rest_labels)] = value
        except Bad as e:
            raise Bad(f"line {n}: {e}: {line!r}")
    for key, buckets in hist.items():
        les = [b[0] for b in buckets]
        if les != sorted(les) or len(set(les)) != len(les):
            raise Bad(f"{key[0]}: buckets not in ascending le order")
        cs = [b[1] for b in buckets]
        if any(b < a for a, b in zip(cs, cs[1:])):
            raise Bad(f"{key[0]}: bucket counts decrease")
        if les[-1] != math.inf:
            raise Bad(f"{key[0]}: no +Inf bucket")
        if counts.get(key) != cs[-1]:
            raise Bad(f"{key[0]}: +Inf bucket {cs[-1]} != _count {counts.get(key)}")
    for fam, t in types.items():
        if t == "histogram" and not any(k[0] == fam for k in hist):
            raise Bad(f"{fam}: histogram without buckets")
    return {shown[k]: v for k, v in samples.items()}


def show(key):
    name, labels = key
    if not labels:
        return name
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}"


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    try:
        samples = parse(text)
    except Bad as e:
        print(f"prom_parse: {e}", file=sys.stderr)
        sys.exit(1)
    json.dump(samples, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
