#!/usr/bin/python3
"""Renders a Helm chart with the subset of Go templates (text/template + the Sprig functions
Helm adds) that deploy/helm/xsell uses, for tests/cli_deploy.sh (helm is not packaged by
Debian). Anything outside the subset is an error, not a silent pass: an unknown function, a
field of a non-map, an unclosed action or block.

    helm_render.py CHART_DIR [--set a.b=value]... [--values FILE]... [--release NAME]
                   [--namespace NS] [--notes]

Prints every rendered template as a YAML stream ("# Source: chart/templates/x.yaml" then the
manifest), like `helm template`; templates whose names start with "_" only define; with
--notes, NOTES.txt is printed instead.

The subset: {{ }} with {{- -}} trimming and {{/* */}} comments; pipelines with parentheses;
.Values/.Release/.Chart fields, $, $var, $var.field; if/else if/else, with/else, range over a
list or map (sorted keys, like Go) with `$k, $v :=`, define, variable declarations; functions
include, toYaml, indent, nindent, quote, default, sha256sum, print, printf, trunc, trimSuffix,
replace, sub, lower, eq, ne, gt, lt, ge, le, not, and, or, int, int64, toString, required, index,
empty, hasKey, b64enc, fail, contains, regexMatch, kindIs, float64.

Numbers as Helm has them: a number from values.yaml or --values is a float64 (Helm reads values
files through JSON), printed as Go prints a float64, so 5000000 prints as 5e+06 (helm/helm#12195);
an integer from --set is an int64 and prints in full; toYaml writes integral floats as integers.
"""
import base64
import decimal
import hashlib
import json
import os
import re
import sys

import yaml


class TemplateError(Exception):
    pass


# ---- lexing: text and actions -------------------------------------------------------------


def split_actions(src, name):
    """[(kind, value)] with kind 'text' or 'action'; applies the {{- and -}} trimming."""
    out = []
    pos = 0
    while True:
        i = src.find("{{", pos)
        if i < 0:
            out.append(["text", src[pos:]])
            break
        out.append(["text", src[pos:i]])
        j = src.find("}}", i)
        if j < 0:
            raise TemplateError("%s: unclosed action at offset %d" % (name, i))
        body = src[i + 2 : j]
        ltrim = body.startswith("- ") or body == "-"
        rtrim = body.endswith(" -")
        if ltrim:
            body = body[1:]
            out[-1][1] = out[-1][1].rstrip(" \t\r\n")
        if rtrim:
            body = body[:-1]
        body = body.strip()
        pos = j + 2
        if rtrim:
            while pos < len(src) and src[pos] in " \t\r\n":
                pos += 1
        if body.startswith("/*"):
            if not body.endswith("*/"):
                raise TemplateError("%s: unclosed comment" % name)
            continue
        out.append(["action", body])
    return out


TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<raw>`[^`]*`)|(?P<num>-?\d+(?:\.\d+)?)"""
    r"""|(?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(?P<field>(?:\.[A-Za-z0-9_]+)+|\.)"""
    r"""|(?P<decl>:=)|(?P<punct>[()|,=])|(?P<ident>[A-Za-z_][A-Za-z0-9_]*))"""
)


def tokens(s):
    out, pos = [], 0
    s = s.rstrip()
    while pos < len(s):
        m = TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise TemplateError("cannot parse %r at %r" % (s, s[pos:]))
        pos = m.end()
        for kind in ("str", "raw", "num", "var", "field", "decl", "punct", "ident"):
            if m.group(kind) is not None:
                out.append((kind, m.group(kind)))
                break
    return out


# ---- parsing: pipelines and blocks ---------------------------------------------------------


def parse_pipeline(toks):
    """A pipeline: [command, ...], each command a list of operands; an operand is a token or
    ('pipe', pipeline) for a parenthesized one."""
    cmds, cur, i = [], [], 0
    while i < len(toks):
        kind, v = toks[i]
        if kind == "punct" and v == "|":
            if not cur:
                raise TemplateError("empty command in pipeline")
            cmds.append(cur)
            cur = []
            i += 1
        elif kind == "punct" and v == "(":
            depth, j = 1, i + 1
            while j < len(toks) and depth:
                if toks[j] == ("punct", "("):
                    depth += 1
                elif toks[j] == ("punct", ")"):
                    depth -= 1
                j += 1
            if depth:
                raise TemplateError("unbalanced parentheses")
            cur.append(("pipe", parse_pipeline(toks[i + 1 : j - 1])))
            i = j
        elif kind == "punct":
            raise TemplateError("unexpected %r" % v)
        else:
            cur.append(toks[i])
            i += 1
    if not cur:
        raise TemplateError("empty pipeline")
    cmds.append(cur)
    return cmds


def parse_decl(body):
    """(variables, pipeline) of `$a := p`, `$k, $v := p` or (None, p)."""
    toks = tokens(body)
    for i, t in enumerate(toks):
        if t[0] == "decl" or t == ("punct", "="):
            names = [x[1] for x in toks[:i] if x[0] == "var"]
            if not names or len(names) > 2:
                raise TemplateError("bad declaration %r" % body)
            return names, parse_pipeline(toks[i + 1 :])
    return None, parse_pipeline(toks)


def parse(items, name):
    """Turns the action list into a tree; returns (nodes, defines)."""
    defines = {}
    pos = [0]

    def block(stop):
        nodes = []
        while pos[0] < len(items):
            kind, v = items[pos[0]]
            pos[0] += 1
            if kind == "text":
                if v:
                    nodes.append(("text", v))
                continue
            word = v.split(None, 1)[0] if v else ""
            rest = v[len(word) :].strip()
            if word in ("end", "else"):
                if word not in stop:
                    raise TemplateError("%s: unexpected {{%s}}" % (name, v))
                return nodes, word, rest
            if word in ("if", "with", "range"):
                vars_, pipe = parse_decl(rest)
                body, how, rest2 = block(("end", "else"))
                branches = [(vars_, pipe, body)]
                other = []
                while how == "else":
                    if rest2.startswith("if ") and word == "if":
                        _, p2 = parse_decl(rest2[3:])
                        b2, how, rest2 = block(("end", "else"))
                        branches.append((None, p2, b2))
                    else:
                        other, how, rest2 = block(("end",))
                nodes.append((word, branches, other))
            elif word == "define":
                tname = json.loads(rest)
                body, _, _ = block(("end",))
                defines[tname] = body
            elif word in ("template", "block", "break", "continue", "tpl"):
                raise TemplateError("%s: {{%s}} is outside the supported subset" % (name, word))
            else:
                vars_, pipe = parse_decl(v)
                nodes.append(("decl" if vars_ else "print", vars_, pipe))
        if stop:
            raise TemplateError("%s: missing {{end}}" % name)
        return nodes, None, None

    nodes, _, _ = block(())
    return nodes, defines


# ---- evaluation ----------------------------------------------------------------------------


def truthy(v):
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v != 0
    if isinstance(v, (str, list, dict)):
        return len(v) > 0
    return True


def go_float(f):
    """A float64 as Go's fmt prints it with %v: the shortest digits that round-trip, in the
    exponent form when the decimal exponent is < -4 or >= 6 (strconv's shortest 'g')."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0"
    d = decimal.Decimal(repr(f)).normalize()
    t = d.as_tuple()
    digits = "".join(map(str, t.digits))
    dp = len(digits) + t.exponent
    exp = dp - 1
    neg = "-" if t.sign else ""
    if exp < -4 or exp >= 6:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return "%s%se%s%02d" % (neg, mant, "+" if exp >= 0 else "-", abs(exp))
    if dp <= 0:
        return neg + "0." + "0" * (-dp) + digits
    if dp >= len(digits):
        return neg + digits + "0" * (dp - len(digits))
    return neg + digits[:dp] + "." + digits[dp:]


def kind(v):
    """Go's reflect kind name, as Sprig's kindIs and kindOf see a value."""
    if v is None:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "slice"
    raise TemplateError("no Go kind for %r" % (v,))


def as_json_numbers(v):
    """Values as Helm reads a values file (YAML -> JSON -> Go): every number a float64."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, dict):
        return {k: as_json_numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_json_numbers(x) for x in v]
    return v


def yaml_numbers(v):
    """toYaml marshals through JSON: an integral float64 is written as an integer."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return int(v)
    if isinstance(v, dict):
        return {k: yaml_numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [yaml_numbers(x) for x in v]
    return v


def to_str(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, (dict, list)):
        # Go prints maps as map[k:v]; a chart printing one is a bug in the chart
        raise TemplateError("printing a map or list (use toYaml): %r" % (v,))
    return str(v)


def field(v, path, what):
    for p in path:
        if v is None:
            return None
        if not isinstance(v, dict):
            raise TemplateError("%s: field %s of a non-map %r" % (what, p, v))
        v = v.get(p)
    return v


def to_yaml(v):
    if v is None:
        return "null"
    return yaml.safe_dump(yaml_numbers(v), default_flow_style=False, sort_keys=True).rstrip("\n")


def indent(n, s):
    pad = " " * int(n)
    return "\n".join(pad + line for line in to_str(s).split("\n"))


def go_printf(fmt, *args):
    out, ai, i = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        verb = fmt[i + 1]
        i += 2
        if verb == "%":
            out.append("%")
            continue
        a = args[ai]
        ai += 1
        if verb in "sv":
            out.append(to_str(a))
        elif verb == "d":
            out.append(str(int(a)))
        elif verb == "q":
            out.append(json.dumps(to_str(a)))
        else:
            raise TemplateError("printf verb %%%s is outside the subset" % verb)
    return "".join(out)


def compare(a, b):
    if isinstance(a, bool) or isinstance(b, bool) or type(a) != type(b):
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
            raise TemplateError("comparing %r with %r (incompatible types)" % (a, b))
    return (a > b) - (a < b)


def required(msg, v):
    if v is None or v == "":
        raise TemplateError("required: %s" % msg)
    return v


def fail(msg):
    raise TemplateError("fail: %s" % msg)


FUNCS = {
    "toYaml": to_yaml,
    "indent": indent,
    "nindent": lambda n, s: "\n" + indent(n, s),
    "quote": lambda *a: " ".join(json.dumps(to_str(x)) for x in a if x is not None),
    "default": lambda d, v=None: v if truthy(v) else d,
    "sha256sum": lambda s: hashlib.sha256(to_str(s).encode()).hexdigest(),
    "print": lambda *a: "".join(to_str(x) for x in a),
    "printf": go_printf,
    "trunc": lambda n, s: to_str(s)[: int(n)] if int(n) >= 0 else to_str(s)[int(n) :],
    "trimSuffix": lambda suf, s: to_str(s)[: -len(suf)] if suf and to_str(s).endswith(suf) else to_str(s),
    "replace": lambda old, new, s: to_str(s).replace(old, new),
    "lower": lambda s: to_str(s).lower(),
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: compare(a, b) > 0,
    "lt": lambda a, b: compare(a, b) < 0,
    "ge": lambda a, b: compare(a, b) >= 0,
    "le": lambda a, b: compare(a, b) <= 0,
    "not": lambda a: not truthy(a),
    "sub": lambda a, b: int(a) - int(b),
    "int": lambda a: int(float(a)) if a not in (None, "") else 0,
    "int64": lambda a: int(float(a)) if a not in (None, "") else 0,
    "float64": lambda a: float(a) if a not in (None, "") else 0.0,
    "kindIs": lambda k, v: kind(v) == k,
    "contains": lambda sub, s: to_str(sub) in to_str(s),
    "regexMatch": lambda rx, s: re.search(rx, to_str(s)) is not None,
    "toString": to_str,
    "required": required,
    "empty": lambda a: not truthy(a),
    "hasKey": lambda m, k: isinstance(m, dict) and k in m,
    "b64enc": lambda s: base64.b64encode(to_str(s).encode()).decode(),
    "fail": fail,
}


class Renderer:
    def __init__(self, defines, files):
        self.defines = defines
        self.files = files  # template path -> (nodes) for include of a file

    def operand(self, op, dot, scope):
        if op[0] == "pipe":
            return self.pipeline(op[1], dot, scope)
        kind, v = op
        if kind == "str":
            return json.loads(v)
        if kind == "raw":
            return v[1:-1]
        if kind == "num":
            return float(v) if "." in v else int(v)
        if kind == "field":
            return dot if v == "." else field(dot, v[1:].split("."), v)
        if kind == "var":
            parts = v.split(".")
            if parts[0] not in scope:
                raise TemplateError("undefined variable %s" % parts[0])
            return field(scope[parts[0]], parts[1:], v)
        if kind == "ident":
            if v in ("true", "false"):
                return v == "true"
            if v == "nil":
                return None
            return self.call(v, [], dot, scope)
        raise TemplateError("bad operand %r" % (op,))

    def call(self, name, args, dot, scope):
        if name == "include":
            tname, arg = args
            if tname in self.defines:
                return self.run(self.defines[tname], arg, {"$": arg})
            if tname in self.files:
                return self.run(self.files[tname], arg, {"$": arg})
            raise TemplateError("include: no template %r" % tname)
        if name == "and":
            for a in args:
                if not truthy(a):
                    return a
            return args[-1]
        if name == "or":
            for a in args:
                if truthy(a):
                    return a
            return args[-1]
        if name == "index":
            v = args[0]
            for k in args[1:]:
                v = field(v, [k], "index") if isinstance(v, dict) or v is None else v[int(k)]
            return v
        if name not in FUNCS:
            raise TemplateError("function %r is outside the supported subset" % name)
        try:
            return FUNCS[name](*args)
        except TypeError as e:
            raise TemplateError("%s: %s" % (name, e))

    def pipeline(self, cmds, dot, scope):
        val, have = None, False
        for cmd in cmds:
            head = cmd[0]
            if head[0] == "ident" and head[1] in ("and", "or") and not have:
                # Go (1.18+) evaluates and/or arguments only until the result is known
                for a in cmd[1:]:
                    val = self.operand(a, dot, scope)
                    if truthy(val) == (head[1] == "or"):
                        break
                if len(cmd) == 1:
                    raise TemplateError("%s without arguments" % head[1])
            elif head[0] == "ident" and head[1] not in ("true", "false", "nil"):
                args = [self.operand(a, dot, scope) for a in cmd[1:]]
                if have:
                    args.append(val)
                val = self.call(head[1], args, dot, scope)
            else:
                if len(cmd) > 1 or have:
                    raise TemplateError("cannot call a non-function %r" % (head,))
                val = self.operand(head, dot, scope)
            have = True
        return val

    def run(self, nodes, dot, scope):
        out = []
        scope = dict(scope)
        for n in nodes:
            kind = n[0]
            if kind == "text":
                out.append(n[1])
            elif kind == "print":
                out.append(to_str(self.pipeline(n[2], dot, scope)))
            elif kind == "decl":
                scope[n[1][0]] = self.pipeline(n[2], dot, scope)
            elif kind == "if":
                for _, pipe, body in n[1]:
                    if truthy(self.pipeline(pipe, dot, scope)):
                        out.append(self.run(body, dot, scope))
                        break
                else:
                    out.append(self.run(n[2], dot, scope))
            elif kind == "with":
                vars_, pipe, body = n[1][0]
                v = self.pipeline(pipe, dot, scope)
                if truthy(v):
                    s2 = dict(scope)
                    if vars_:
                        s2[vars_[0]] = v
                    out.append(self.run(body, v, s2))
                else:
                    out.append(self.run(n[2], dot, scope))
            elif kind == "range":
                vars_, pipe, body = n[1][0]
                v = self.pipeline(pipe, dot, scope)
                if isinstance(v, dict):
                    pairs = [(k, v[k]) for k in sorted(v)]
                elif isinstance(v, list):
                    pairs = list(enumerate(v))
                elif v is None:
                    pairs = []
                else:
                    raise TemplateError("range over %r" % (v,))
                if not pairs:
                    out.append(self.run(n[2], dot, scope))
                for k, x in pairs:
                    s2 = dict(scope)
                    if vars_ and len(vars_) == 2:
                        s2[vars_[0]], s2[vars_[1]] = k, x
                    elif vars_:
                        s2[vars_[0]] = x
                    out.append(self.run(body, x, s2))
        return "".join(out)


def merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v
    return dst


def set_path(values, path, raw):
    v = yaml.safe_load(raw) if raw != "" else ""
    # a.b=v sets values[a][b]; a dot escaped as \. stays in the key (config.kafka\.acks=all)
    keys = [k.replace("\0", ".") for k in path.replace("\\.", "\0").split(".")]
    d = values
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = v


def render(chart_dir, sets=(), value_files=(), release="xsell", namespace="default", notes=False):
    with open(os.path.join(chart_dir, "Chart.yaml")) as f:
        chart = yaml.safe_load(f)
    with open(os.path.join(chart_dir, "values.yaml")) as f:
        values = as_json_numbers(yaml.safe_load(f) or {})
    for vf in value_files:
        with open(vf) as f:
            merge(values, as_json_numbers(yaml.safe_load(f) or {}))
    for s in sets:
        k, v = s.split("=", 1)
        set_path(values, k, v)
    cname = chart["name"]
    base = cname + "/templates"
    tdir = os.path.join(chart_dir, "templates")
    defines, files, order = {}, {}, []
    for fn in sorted(os.listdir(tdir)):
        with open(os.path.join(tdir, fn)) as f:
            src = f.read()
        nodes, d = parse(split_actions(src, fn), fn)
        defines.update(d)
        files[base + "/" + fn] = nodes
        order.append(fn)
    top = {
        "Values": values,
        "Release": {"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": True},
        "Chart": {"Name": cname, "Version": chart.get("version"), "AppVersion": chart.get("appVersion")},
        "Template": {"BasePath": base},
    }
    r = Renderer(defines, files)
    out = []
    for fn in order:
        if fn.startswith("_"):
            continue
        if (fn == "NOTES.txt") != notes:
            continue
        top_t = dict(top, Template={"BasePath": base, "Name": base + "/" + fn})
        text = r.run(files[base + "/" + fn], top_t, {"$": top_t})
        if notes:
            out.append(text)
        elif text.strip():
            out.append("---\n# Source: %s/%s\n%s\n" % (base, fn, text.strip("\n")))
    return "".join(out)


def main(argv):
    chart, sets, vfiles, opts = None, [], [], {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--notes":
            opts["notes"] = True
            i += 1
            continue
        if a in ("--set", "--values", "--release", "--namespace") and i + 1 < len(argv):
            v = argv[i + 1]
            if a == "--set":
                sets.append(v)
            elif a == "--values":
                vfiles.append(v)
            else:
                opts[a[2:]] = v
            i += 2
            continue
        if a.startswith("-") or chart:
            print("usage: helm_render.py CHART_DIR [--set k=v] [--values F] [--notes]", file=sys.stderr)
            return 2
        chart = a
        i += 1
    if not chart:
        print("usage: helm_render.py CHART_DIR [--set k=v] [--values F] [--notes]", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(render(chart, sets, vfiles, **opts))
    except TemplateError as e:
        print("helm_render: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
