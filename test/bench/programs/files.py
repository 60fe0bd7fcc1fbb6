# files.py -- writes the tree of text files that test/bench/programs.sh
# commits with git: DIRS directories of FILES files each, 20-200 lines of
# words, from a fixed seed (the same tree every time).
#
#   python3 files.py DEST [DIRS [FILES]]     (defaults 40 dirs, 100 files)
import os
import random
import sys

dest = sys.argv[1]
ndirs = int(sys.argv[2]) if len(sys.argv) > 2 else 40
nfiles = int(sys.argv[3]) if len(sys.argv) > 3 else 100
rnd = random.Random(5)
words = ("alpha beta gamma delta malloc free pool slab page tree list node "
         "arena extent bin cache thread fork map file size class").split()
for d in range(ndirs):
    sub = os.path.join(dest, "d%02d" % d)
    os.makedirs(sub, exist_ok=True)
    for f in range(nfiles):
        lines = (" ".join(rnd.choice(words) for _ in range(rnd.randint(2, 10)))
                 for _ in range(rnd.randint(20, 200)))
        with open(os.path.join(sub, "f%03d.txt" % f), "w") as fh:
            fh.write("\n".join(lines) + "\n")
