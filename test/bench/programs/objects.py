# objects.py -- the python3 program of test/bench/programs.sh: builds and
# throws away many dicts, lists, strings and tuples of mixed sizes, the way
# a data-munging script does, and prints a digest of what it computed
# (the same under every correct malloc).
#
#   python3 objects.py [ROUNDS]     (default 10)
#
# Objects above 512 bytes (long strings, lists and dicts past a few dozen
# entries, and their resized tables) come from malloc; smaller ones from
# Python's own pool allocator, which takes 256 KiB arenas from mmap.
import sys
import zlib

def records(n, seed):
    """n dicts like rows parsed from a file"""
    x = seed
    out = []
    for i in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        name = "user%d-%x" % (i, x >> 40)
        out.append({
            "id": i,
            "name": name,
            "tags": [name[j:j + 3] for j in range(0, len(name), 2)],
            "note": name * (1 + (x >> 58)),          # 10 B .. ~1 KiB
            "blob": "z" * ((x >> 33) & 2047),         # up to 2 KiB
            "score": (x >> 20) % 1000,
        })
    return out

def one_round(r):
    rows = records(20000, r + 1)
    index = {}
    for row in rows:                                  # group by score
        index.setdefault(row["score"] % 97, []).append(row)
    words = {}
    for row in rows:                                  # count tag words
        for t in row["tags"]:
            words[t] = words.get(t, 0) + 1
    joined = ",".join(row["name"] for row in rows[::7])
    pieces = joined.split(",")
    top = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
    big = [row["note"] + row["blob"] for row in rows if row["score"] < 300]
    sizes = sorted(len(s) for s in big)
    digest = zlib.crc32(repr(top).encode())
    digest = zlib.crc32(repr(sizes[::101]).encode(), digest)
    digest = zlib.crc32(repr(sorted(len(v) for v in index.values())).encode(),
                        digest)
    return digest, len(pieces), len(words)

def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    total = 0
    for r in range(rounds):
        digest, npieces, nwords = one_round(r)
        total = zlib.crc32(b"%d %d %d" % (digest, npieces, nwords), total)
        print("round %d: %08x %d pieces %d words" % (r, digest, npieces, nwords))
    print("total %08x" % total)

main()
