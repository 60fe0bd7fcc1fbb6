# gencode.py -- writes the C file that test/bench/programs.sh compiles with
# "gcc -O2 -c": N groups of a struct, inline helpers, a function with
# loops, a switch and calls, and a table of function pointers, all
# generated from a fixed seed (the same file every time). It compiles
# standalone (only <stddef.h> and <string.h>).
#
#   python3 gencode.py [GROUPS] > big.c     (default 40)
import random
import sys

groups = int(sys.argv[1]) if len(sys.argv) > 1 else 40
rnd = random.Random(2026)
out = ["#include <stddef.h>", "#include <string.h>", ""]

for g in range(groups):
    nf = rnd.randint(4, 9)
    fields = ["f%d" % i for i in range(nf)]
    out.append("struct s%d {" % g)
    for f in fields:
        out.append("\tlong %s;" % f)
    out.append("\tdouble d[%d];" % rnd.randint(2, 8))
    out.append("\tstruct s%d *next;" % g)
    out.append("};")
    for h in range(3):
        a, b = rnd.sample(fields, 2)
        op = rnd.choice(["+", "-", "^", "*", "|"])
        out.append("static inline long h%d_%d(const struct s%d *p, long x)"
                   % (g, h, g))
        out.append("{")
        out.append("\tif (x > %d)" % rnd.randint(1, 1000))
        out.append("\t\treturn p->%s %s (x >> %d);" % (a, op, rnd.randint(1, 7)))
        out.append("\treturn p->%s + x * %d;" % (b, rnd.randint(2, 99)))
        out.append("}")
    out.append("long fn%d(struct s%d *p, long n, const char *s)" % (g, g))
    out.append("{")
    out.append("\tlong acc = %d;" % rnd.randint(0, 99))
    out.append("\tfor (long i = 0; i < n; i++) {")
    out.append("\t\tswitch ((i + acc) & 15) {")
    for c in range(16):
        f = rnd.choice(fields)
        out.append("\t\tcase %d: acc += h%d_%d(p, i) %s p->%s; break;"
                   % (c, g, rnd.randint(0, 2), rnd.choice(["+", "^", "-"]), f))
    out.append("\t\t}")
    out.append("\t\tfor (struct s%d *q = p->next; q != NULL && q != p; q = q->next)" % g)
    out.append("\t\t\tacc ^= q->%s + (long)q->d[%d];" % (rnd.choice(fields), 1))
    out.append("\t\tif (s != NULL && s[i & 7] == '%c')" % rnd.choice("abcdefgh"))
    out.append("\t\t\tacc += (long)strlen(s) * %d;" % rnd.randint(2, 50))
    out.append("\t}")
    for k in range(rnd.randint(3, 8)):
        out.append("\tp->d[%d] = p->d[0] * %d.5 + (double)acc;" % (1, k + 1))
        out.append("\tp->%s = acc %% %d;" % (rnd.choice(fields), rnd.randint(3, 999)))
    if g > 0:
        out.append("\tacc += fn%d(NULL, n / 2, s);" % rnd.randint(0, g - 1))
    out.append("\treturn acc;")
    out.append("}")
    out.append("")

out.append("typedef long (*fn_t)(void *, long, const char *);")
out.append("const fn_t table[] = {")
for g in range(groups):
    out.append("\t(fn_t)fn%d," % g)
out.append("};")
print("\n".join(out))
