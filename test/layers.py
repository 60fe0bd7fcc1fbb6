#!/usr/bin/env python3
"""layers.py BUILD -- checks that the core's folders form a strict stack of
layers, from the sources and from the objects make built in BUILD.

The layers, lowest first (src/internal.h belongs to base):
    base  dax  large  slab  pool  interpose

It fails (exit 1, one line per finding) when
  - a file includes a header of a higher layer, or of a lower layer other
    than that layer's one exported header (src/X/X.h);
  - an object uses a symbol defined in an object of a higher layer
    (nm, release objects; libvmmalloc's for src/interpose);
  - the files of one folder use each other's symbols in a circle.
It prints, for the record, each folder's includes of other folders and the
calls between folders (from which layer to which, how many symbols).
"""
import collections
import os
import re
import subprocess
import sys

LAYERS = ["base", "dax", "large", "slab", "pool", "interpose"]
LEVEL = {name: i for i, name in enumerate(LAYERS)}
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "src")
# a program of its own, not part of the library
NOT_CORE = {"interpose/launcher.c"}
problems = []


def layer_of(rel):
    """the layer of a path under src/ ('internal.h' is base's)"""
    return "base" if "/" not in rel else rel.split("/", 1)[0]


def check_includes():
    seen = collections.defaultdict(set)
    for layer in LAYERS:
        folder = os.path.join(SRC, layer)
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".c", ".h")):
                continue
            rel = layer + "/" + name
            if rel in NOT_CORE:
                continue
            with open(os.path.join(folder, name)) as f:
                for lineno, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    inc = m.group(1)
                    if inc in ("libvmem.h", "libvmmalloc.h"):
                        continue	# the public API (include/)
                    if not os.path.exists(os.path.join(SRC, inc)):
                        problems.append(f"{rel}:{lineno}: includes {inc}, "
                                        "which is not in src/")
                        continue
                    to = layer_of(inc)
                    if to == layer:
                        continue
                    seen[layer].add(inc)
                    if LEVEL[to] > LEVEL[layer]:
                        problems.append(f"{rel}:{lineno}: includes {inc}, "
                                        f"from the higher layer {to}")
                    elif inc != f"{to}/{to}.h":
                        problems.append(f"{rel}:{lineno}: includes {inc}, "
                                        f"not {to}/{to}.h, the one header "
                                        f"of {to}")
    print("includes of other folders:")
    for layer in LAYERS:
        print(f"  {layer:9} -> {', '.join(sorted(seen[layer])) or '-'}")


def nm(path, *flags):
    out = subprocess.run(["nm", *flags, path], check=True,
                         capture_output=True, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def objects(build):
    """{source path under src/: object file}, core from the release build,
    interpose from libvmmalloc's"""
    objs = {}
    for variant, layers in (("release", LAYERS[:-1]),
                            ("vmmalloc", LAYERS[-1:])):
        for layer in layers:
            folder = os.path.join(build, "obj", variant, layer)
            if not os.path.isdir(folder):
                sys.exit(f"layers.py: no objects in {folder}: run make first")
            for name in sorted(os.listdir(folder)):
                if name.endswith(".o"):
                    objs[layer + "/" + name[:-2] + ".c"] = \
                        os.path.join(folder, name)
    return objs


def check_symbols(build):
    objs = objects(build)
    defined = {}
    for src, obj in objs.items():
        for sym in nm(obj, "--defined-only", "-g"):
            defined[sym] = src
    calls = collections.Counter()
    uses = collections.defaultdict(set)	# file -> files it uses
    for src, obj in objs.items():
        layer = layer_of(src)
        for sym in nm(obj, "-u"):
            owner = defined.get(sym)
            if owner is None or owner == src:
                continue
            to = layer_of(owner)
            if to == layer:
                uses[src].add(owner)
                continue
            calls[(layer, to)] += 1
            if LEVEL[to] > LEVEL[layer]:
                problems.append(f"{src}: uses {sym} of {owner}, in the "
                                f"higher layer {to}")
    print("symbols used across folders (user -> owner: how many):")
    for (a, b), n in sorted(calls.items(),
                            key=lambda kv: (LEVEL[kv[0][0]], LEVEL[kv[0][1]])):
        print(f"  {a:9} -> {b:9} {n}")
    # circles inside a folder: a depth-first search for a back edge
    state = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(uses[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                problems.append("files use each other in a circle: " +
                                " -> ".join(cycle))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for src in sorted(objs):
        if src not in state:
            visit(src, [src])


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    check_includes()
    check_symbols(build)
    for p in problems:
        print("layers: " + p)
    if problems:
        print(f"layers: {len(problems)} problem(s)")
        return 1
    print("layers: every include and every symbol goes down the stack "
          + " < ".join(LAYERS) + "; no circle inside a folder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
