#!/usr/bin/env python3
"""Checks the layout rules of processor/ (README "Layout"); exits 1 and says where on a breach.

1. Folder order. Each folder of processor/ is a stage of the data path, ranked:
       util < engine < codec < io, kafka < cli
   A file includes headers only from its own folder, from util/ and from folders of lower rank
   (io/ and kafka/ share a rank: neither includes the other). The public headers in
   include/xsell/ count as the folder whose API they are.
2. No include cycle between modules. A module is one folder/name: name.c with name.h (and
   name_*.h). An edge A -> B is a file of A including a header of B; any cycle is reported.
3. No call cycle between modules (with --objects BUILD_DIR): the same on the symbols the object
   files of BUILD_DIR define and use (nm), which also finds two modules calling each other
   through a third module's header.
4. Size: a source file above 800 lines says why it is one file in its top comment (a line
   starting "One file:").
"""
import argparse
import collections
import os
import re
import subprocess
import sys

RANK = {"util": 0, "engine": 1, "codec": 2, "io": 3, "kafka": 3, "cli": 4}
PUBLIC = {  # include/xsell/<name>.h -> the folder whose API it is
    "common": "util", "event": "util", "offer": "util", "conf": "util", "stats": "util",
    "engine": "engine", "codec": "codec", "io": "io", "registry": "kafka", "xsell": "cli",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
MAX_LINES = 800


def module_of(relpath):
    """processor/engine/window.c -> engine/window; include/xsell/io.h -> xsell/io."""
    parts = relpath.split("/")
    if parts[0] == "include":
        return "xsell/" + os.path.splitext(parts[-1])[0]
    folder, name = parts[1], os.path.splitext(parts[2])[0]
    return folder + "/" + name


def folder_of_module(mod):
    folder, name = mod.split("/", 1)
    return PUBLIC.get(name, "?") if folder == "xsell" else folder


def sources(root):
    for base in ("processor", "include"):
        for d, _, files in os.walk(os.path.join(root, base)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, f), root)


def header_module(root, inc, including):
    """The module of a quoted include, or None for a header outside the project."""
    if inc.startswith("xsell/"):
        return "xsell/" + os.path.splitext(inc[len("xsell/"):])[0]
    if os.path.exists(os.path.join(root, "processor", inc)):
        return module_of("processor/" + inc)
    here = os.path.join(root, os.path.dirname(including), inc)
    if os.path.exists(here):
        return module_of(os.path.relpath(here, root))
    return None


def cycles(edges):
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    nodes = set(edges) | {b for bs in edges.values() for b in bs}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def module_name(mod):
    """window_int -> window: a module's private headers belong to it."""
    folder, name = mod.split("/", 1)
    return folder + "/" + name.split("_int")[0]


def symbol_edges(build):
    """Module -> module edges from the object files of the folder libraries in build."""
    defs, uses = {}, collections.defaultdict(set)
    pat = re.compile(r"CMakeFiles/xs_(\w+)\.dir/.*?processor/(\w+)/(\w+)\.c\.o$")
    pat_exe = re.compile(r"CMakeFiles/xsell\.dir/.*?processor/(\w+)/(\w+)\.c\.o$")
    objs = []
    for d, _, files in os.walk(build):
        for f in files:
            p = os.path.join(d, f)
            m = pat.search(p)
            if m:
                objs.append((m.group(2) + "/" + m.group(3), p))
                continue
            m = pat_exe.search(p)
            if m:
                objs.append((m.group(1) + "/" + m.group(2), p))
    for mod, p in objs:
        res = subprocess.run(["nm", p], capture_output=True, text=True)
        for line in res.stdout.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBRC":
                defs[f[2]] = mod
            elif len(f) == 2 and f[0] == "U":
                uses[mod].add(f[1])
    edges = collections.defaultdict(set)
    why = {}
    for mod, syms in uses.items():
        for s in syms:
            d = defs.get(s)
            if d and d != mod:
                edges[mod].add(d)
                why.setdefault((mod, d), s)
    return edges, why, len(objs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--objects", help="a build directory: also check call cycles")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    bad = []
    edges = collections.defaultdict(set)
    n_files = 0
    for rel in sources(root):
        n_files += 1
        text = open(os.path.join(root, rel), encoding="utf-8").read()
        mod = module_of(rel)
        folder = folder_of_module(mod)
        if folder not in RANK:
            bad.append(f"{rel}: folder '{folder}' is not a stage of the layout")
            continue
        for inc in INCLUDE.findall(text):
            hm = header_module(root, inc, rel)
            if hm is None:
                continue
            hf = folder_of_module(hm)
            ok = hf == folder or hf == "util" or RANK.get(hf, 99) < RANK[folder]
            if not ok:
                bad.append(f'{rel}: includes "{inc}" ({hf}/), not below {folder}/')
            a_mod, b_mod = module_name(mod), module_name(hm)
            if a_mod != b_mod:
                edges[a_mod].add(b_mod)
        if rel.endswith(".c") and text.count("\n") > MAX_LINES:
            head = text.split("*/", 1)[0]
            if not re.search(r"^\s*\*\s*One file:", head, re.M):
                bad.append(f"{rel}: {text.count(chr(10))} lines, and its top comment does not say"
                           " why it is one file ('One file: ...')")
    for comp in cycles(edges):
        bad.append("include cycle between modules: " + " <-> ".join(comp))
    checked = f"{n_files} files, {sum(len(v) for v in edges.values())} include edges"
    if a.objects:
        sedges, why, n_objs = symbol_edges(a.objects)
        if n_objs == 0:
            bad.append(f"--objects {a.objects}: no object files of the folder libraries found")
        for comp in cycles(sedges):
            pairs = [f"{x}->{y} ({why[(x, y)]})" for x in comp for y in comp
                     if (x, y) in why]
            bad.append("call cycle between modules: " + ", ".join(pairs))
        checked += f", {n_objs} objects, {sum(len(v) for v in sedges.values())} call edges"
    for b in bad:
        print("layout:", b)
    print(f"layout: {checked}: {'FAILED' if bad else 'ok'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
