#!/usr/bin/env python3
"""check.py BUILD -- the machine-readable statistics, parsed as a program
would parse them:

- vmem_stats_print(vmp, "J") is one JSON document (json.loads) whose
  figures equal the text form's of the same moment (stats_dump pool: 1000
  objects of 64 bytes and 3 of 1 MiB) and what was allocated; "Jgb"
  leaves the general section and the bins out;
- libvmmalloc's VMMALLOC_LOG_STATS=json (and vmmalloc --stats=json) print
  one JSON document at exit: the pool's statistics, and with a DRAM tier
  the tier's and the tiers' figures;
- libvmmalloc's malloc_info(3) is glibc's XML shape (xml.etree), its
  totals the sums of its <size> lines, with a heap per tier, and
  options other than 0 fail with EINVAL.
Prints "ok ..." or "FAIL ..." per check; exit status 1 if any failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
DUMP = os.path.join(BUILD, "test", "stats", "stats_dump")
LIB = os.path.join(BUILD, "libvmmalloc.so.1")
failed = 0


def check(ok, what):
    global failed
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failed += 1


def run(args, env=None):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("VMMALLOC_") and k != "LD_PRELOAD"}
    e.update(env or {})
    return subprocess.run(args, env=e, capture_output=True, text=True,
                          timeout=120)


def text_figures(text):
    """the numbers of the text form's merged and large sections"""
    m = re.search(r"allocated: (\d+) bytes \(small (\d+) in (\d+) objects, "
                  r"large (\d+) in (\d+) objects\)", text)
    a = re.search(r"active: (\d+) bytes \(slabs (\d+), large (\d+)\)", text)
    f = re.search(r"  free: (\d+) bytes", text)
    lg = re.search(r"in use: (\d+) objects, (\d+) pages", text)
    return {
        "allocated": int(m.group(1)), "small_bytes": int(m.group(2)),
        "small_objects": int(m.group(3)), "large_bytes": int(m.group(4)),
        "large_objects": int(m.group(5)), "active": int(a.group(1)),
        "active_slabs": int(a.group(2)), "free": int(f.group(1)),
        "in_use_objects": int(lg.group(1)), "in_use_pages": int(lg.group(2)),
    }


def pool_api(d):
    r = run([DUMP, "pool", d])
    check(r.returncode == 0, "stats_dump pool ran (status %d)" % r.returncode)
    text, rest = r.stdout.split("@@JSON\n", 1)
    full, part = rest.split("@@JSON-gb\n", 1)
    try:
        doc = json.loads(full)
        check(True, "vmem_stats_print(vmp, \"J\") is one JSON document")
    except ValueError as e:
        check(False, "vmem_stats_print J is not JSON: %s" % e)
        return
    t = text_figures(text)
    m = doc["merged"]
    for k in ("allocated", "small_bytes", "small_objects", "large_bytes",
              "large_objects", "active", "active_slabs", "free"):
        check(m[k] == t[k], "merged.%s: JSON %d, text %d" % (k, m[k], t[k]))
    check(doc["large"]["in_use_objects"] == t["in_use_objects"] and
          doc["large"]["in_use_pages"] == t["in_use_pages"],
          "large: JSON agrees with the text")
    # what the program allocated (cached objects are free: in use is at
    # most what it holds, and the large ones exactly)
    check(m["small_objects"] == 1000 and m["small_bytes"] == 64000,
          "1000 objects of 64 bytes: %d objects, %d bytes"
          % (m["small_objects"], m["small_bytes"]))
    check(m["large_objects"] == 3 and m["large_bytes"] == 3 << 20,
          "3 objects of 1 MiB: %d objects, %d bytes"
          % (m["large_objects"], m["large_bytes"]))
    g = doc["libvmem"]
    check(g["pool"]["size"] == 64 << 20 and g["page"] == 4096 and
          g["pages"] == g["metadata_pages"] + g["data_pages"],
          "libvmem: pool size, page, pages")
    bins64 = [b for b in doc["bins"] if b["size"] == 64]
    check(len(bins64) == 1 and bins64[0]["in_use"] == 1000,
          "bins: the 64-byte class has 1000 in use")
    try:
        p = json.loads(part)
        check(set(p) == {"merged", "arena", "large"},
              "\"Jgb\" leaves libvmem and bins out: %s" % sorted(p))
    except ValueError as e:
        check(False, "vmem_stats_print Jgb is not JSON: %s" % e)


def vmmalloc_json(d):
    for name, extra in (("no tier", {}),
                        ("a DRAM tier", {"VMMALLOC_DRAM_THRESHOLD": "1K"})):
        env = {"LD_PRELOAD": LIB, "VMMALLOC_POOL_DIR": d,
               "VMMALLOC_POOL_SIZE": "64M", "VMMALLOC_LOG_STATS": "json"}
        env.update(extra)
        r = run([DUMP, "heap"], env)
        try:
            doc = json.loads(r.stderr)
        except ValueError as e:
            check(False, "VMMALLOC_LOG_STATS=json, %s: not JSON: %s"
                  % (name, e))
            continue
        pool = doc["pool"]["merged"]
        if extra:
            t = doc["tiers"]
            dram = doc["dram_tier"]["merged"]
            check(dram["small_objects"] >= 1000 and
                  t["dram_objects"] == dram["small_objects"] +
                  dram["large_objects"] and t["threshold"] == 1024,
                  "VMMALLOC_LOG_STATS=json, %s: the 64-byte objects in "
                  "DRAM, the tiers' figures (%d DRAM objects)"
                  % (name, t["dram_objects"]))
            check(pool["large_objects"] >= 3,
                  "VMMALLOC_LOG_STATS=json, %s: the 1 MiB objects in the "
                  "pool" % name)
        else:
            check(set(doc) == {"pool"} and pool["small_objects"] >= 1000 and
                  pool["large_objects"] >= 3,
                  "VMMALLOC_LOG_STATS=json, %s: one pool with the objects"
                  % name)
    r = run([os.path.join(BUILD, "vmmalloc"), "--dir", d, "--size", "64M",
             "--stats=json", "--", DUMP, "heap"])
    try:
        json.loads(r.stderr)
        check(True, "vmmalloc --stats=json prints one JSON document")
    except ValueError as e:
        check(False, "vmmalloc --stats=json: not JSON: %s" % e)


def malloc_info(d):
    for name, extra, heaps in (("no tier", {}, 1),
                               ("a DRAM tier",
                                {"VMMALLOC_DRAM_THRESHOLD": "1K"}, 2)):
        env = {"LD_PRELOAD": LIB, "VMMALLOC_POOL_DIR": d,
               "VMMALLOC_POOL_SIZE": "64M"}
        env.update(extra)
        r = run([DUMP, "heap"], env)
        check(r.returncode == 0, "malloc_info, %s: ran, and options 1 "
              "failed with EINVAL (status %d)" % (name, r.returncode))
        try:
            root = ET.fromstring(r.stdout)
        except ET.ParseError as e:
            check(False, "malloc_info, %s: not XML: %s" % (name, e))
            continue
        hs = root.findall("heap")
        check(root.tag == "malloc" and root.get("version") == "1" and
              len(hs) == heaps and
              [h.get("nr") for h in hs] == [str(i) for i in range(heaps)],
              "malloc_info, %s: <malloc version=1> with %d heap(s)"
              % (name, heaps))
        rest_count = rest_size = 0
        for h in hs:
            sizes = h.find("sizes").findall("size")
            count = sum(int(s.get("count")) for s in sizes)
            size = sum(int(s.get("total")) for s in sizes)
            rest = [t for t in h.findall("total") if t.get("type") == "rest"]
            check(len(rest) == 1 and int(rest[0].get("count")) == count and
                  int(rest[0].get("size")) == size and size > 0,
                  "malloc_info, %s, heap %s: rest = the sum of its sizes "
                  "(%d in %d)" % (name, h.get("nr"), size, count))
            cur = [s for s in h.findall("system")
                   if s.get("type") == "current"]
            check(len(cur) == 1 and int(cur[0].get("size")) > 0,
                  "malloc_info, %s, heap %s: system current"
                  % (name, h.get("nr")))
            rest_count += count
            rest_size += size
        top = [t for t in root.findall("total") if t.get("type") == "rest"]
        check(len(top) == 1 and int(top[0].get("size")) == rest_size and
              int(top[0].get("count")) == rest_count,
              "malloc_info, %s: the totals add the heaps up" % name)


with tempfile.TemporaryDirectory(dir="/dev/shm") as d:
    pool_api(d)
    vmmalloc_json(d)
    malloc_info(d)
    check(os.listdir(d) == [], "nothing left in the pool directory")
print("stats: %s" % ("all passed" if failed == 0 else "%d failed" % failed))
sys.exit(1 if failed else 0)
