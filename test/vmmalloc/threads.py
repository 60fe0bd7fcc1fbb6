"""threads.py -- the Python workload of prog_python.sh, which runs it under
libvmmalloc and under glibc's malloc and compares the output.

Four threading.Thread workers at once build dicts, lists, tuples, strings
and bytes (small to a few MiB), drop most of them, and print digests of
what they built; then, with --fork, a child made by os.fork() repeats one
worker's job and sends its digest through a pipe. Everything printed is
deterministic (no hash-order dependence, no addresses, no timings).

With VMMTEST_POOLCHECK=1 in the environment (set only for the libvmmalloc
run, with PYTHONMALLOC=malloc so that every object comes from malloc) the
script also checks that objects it makes, in every thread and in the
child, lie in the pool mapping of /proc/self/maps (or, with a DRAM tier,
in its anonymous mapping); a miss goes to stderr
and ends the run with status 3, so that a run on another allocator cannot
pass for one on the pool.
"""
import hashlib
import os
import sys
import threading

POOLCHECK = os.environ.get("VMMTEST_POOLCHECK") == "1"


def pool_range():
    """[start, end) of the mapping of a file in VMMALLOC_POOL_DIR."""
    d = os.path.realpath(os.environ["VMMALLOC_POOL_DIR"]) + "/"
    lo = hi = None
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6 and parts[5].startswith(d):
                a, b = (int(x, 16) for x in parts[0].split("-"))
                lo = a if lo is None else min(lo, a)
                hi = b if hi is None else max(hi, b)
    return lo, hi


TIERS = any(os.environ.get(v) for v in
            ("VMMALLOC_DRAM_THRESHOLD", "VMMALLOC_DRAM_RATIO"))


def in_dram_tier(addr):
    """addr is in an anonymous mapping of 14 MiB or more: with a DRAM
    tier (VMMALLOC_DRAM_*), that is where its objects are."""
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            a, b = (int(x, 16) for x in parts[0].split("-"))
            if a <= addr < b:
                return len(parts) < 6 and b - a >= 14 << 20
    return False


def check_in_pool(obj, what):
    if not POOLCHECK:
        return
    lo, hi = pool_range()
    if TIERS and in_dram_tier(id(obj)):
        return
    if lo is None or not lo <= id(obj) < hi:
        sys.stderr.write("threads.py: %s at %#x is not in the pool %s\n"
                         % (what, id(obj), (lo, hi)))
        sys.stderr.flush()
        os._exit(3)


def work(k):
    """One worker's job: a digest of what it built."""
    h = hashlib.sha256()
    d = {}
    for i in range(20000):
        d["k%d-%d" % (k, i)] = [i, str(i * i), (k, i), {"x": i}]
    check_in_pool(d, "a dict of thread %d" % k)
    for key in list(d)[::3]:
        del d[key]
    for key, v in d.items():
        h.update(key.encode())
        h.update(v[1].encode())
    blobs = [bytes([(i * 7 + k) & 0xFF]) * (100 + 499 * i) for i in range(200)]
    big = bytearray(3 << 20)
    big[::4096] = bytes(len(big[::4096]))
    check_in_pool(big, "a 3 MiB bytearray of thread %d" % k)
    for b in blobs[::7]:
        h.update(b)
    text = " ".join(str(x) for x in range(k, 200000, 7))
    words = sorted(set(text.split()), key=lambda w: (len(w), w))
    h.update(" ".join(words[-100:]).encode())
    lists = [list(range(i % 500)) for i in range(3000)]
    total = sum(len(x) for x in lists)
    return "%d %d %d %d %s" % (k, len(d), sum(len(b) for b in blobs),
                               total, h.hexdigest()[:32])


def main():
    results = [None] * 4

    def run(k):
        for _ in range(2):
            results[k] = work(k)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        print("thread", r)
    if "--fork" in sys.argv:
        sys.stdout.flush()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.write(w, work(9).encode())
            os._exit(0)
        os.close(w)
        with os.fdopen(r) as f:
            child = f.read()
        _, status = os.waitpid(pid, 0)
        print("child", child, "status", status)
        print("parent after fork", work(5))
    sys.stdout.flush()


main()
