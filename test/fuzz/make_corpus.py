#!/usr/bin/env python3
"""make_corpus.py -- writes the seed corpus of fuzz_pools (test/fuzz/corpus).

Owns the seeds: small inputs in the encoding fuzz_pools.c reads (a header
of 5 bytes, then operations), each aimed at one operation or one path of
it, so that fuzzing starts with every operation reached. Deterministic:
the same files every run. Usage: test/fuzz/make_corpus.py [DIR]
"""
import os
import struct
import sys

# operations: the opcode byte (fuzz_pools.c, enum of OP_*)
MALLOC, CALLOC, REALLOC, ALIGNED, STRDUP, WCSDUP, FREE, USABLE, CHECK, \
    STATS, BAD, BAD_ALIGN, FREE_ALL, REGION, NOT_POOL, NULLPTR = range(16)

MIB = 1 << 20


def header(third=False, nested=False, garbage=0, byte=0, sizes=(0, 0, 0),
           free_first=False):
    """flags, garbage byte, the size codes of pools 0-2 (14 MiB + 3 MiB *
    (code % 7) + 272 * (code >> 3))"""
    flags = (1 if third or nested else 0) | (2 if nested else 0) | \
        (garbage & 3) << 2 | (16 if free_first else 0)
    return bytes([flags, byte]) + bytes(sizes)


def u8(v):
    return struct.pack('<B', v)


def u16(v):
    return struct.pack('<H', v)


def u32(v):
    return struct.pack('<I', v)


# sizes (take_size): a kind byte, then what the kind reads
def tiny(n):            # 0-255
    return u8(0) + u8(n)


def small(n):           # 0-16384
    return u8(112) + u16(n)


def large(bits, n):     # 16385 + n % 2^(12 + bits % 11)
    return u8(184) + u8(bits) + u32(n)


def edge(i):            # edge_sizes[i]
    return u8(216) + u8(i)


def big(n):             # 4 MiB + n % pool size: may not fit
    return u8(240) + u32(n)


def huge(k):            # no pool holds it
    return u8(250) + u8(k)


def malloc(pool, size):
    return u8(MALLOC) + u8(pool) + size


def calloc_n(pool, nmemb, size, div=0):
    """nmemb 1-16, size divided by 1 + div (mode 0-3)"""
    return u8(CALLOC) + u8(pool) + u8(div) + u8(nmemb - 1) + size


def calloc_zero(pool, nmemb_zero, other):
    if nmemb_zero:
        return u8(CALLOC) + u8(pool) + u8(5) + u8(1) + u16(other)
    return u8(CALLOC) + u8(pool) + u8(5) + u8(0) + u16(other)


def calloc_overflow(pool, a, b, swap=False):
    if swap:
        return u8(CALLOC) + u8(pool) + u8(7) + u8(a) + u16(b)
    return u8(CALLOC) + u8(pool) + u8(6) + u8(a) + u8(b)


def pk(idx, nlive, high=0, shift=8):
    """a pick (16 bits) whose low bits choose live object idx of nlive and
    whose bits from shift up are high (realloc's modes 6 and 7)"""
    for low in range(1 << shift):
        v = high << shift | low
        if v % nlive == idx:
            return v
    raise ValueError('no such pick')


def realloc(mode, pick, size=tiny(0)):
    """mode 0-3 to size, 4 to 0, 5 NULL pointer (pool = pick % pools),
    6 shrink by (pick >> 8) / 256, 7 grow by pick >> 10"""
    return u8(REALLOC) + u8(mode) + u16(pick) + size


def aligned(pool, shift, size):
    return u8(ALIGNED) + u8(pool) + u8(shift) + size


def strdup(pool, length, ch=65, long=False):
    code = (0x8000 | length) if long else length
    return u8(STRDUP) + u8(pool) + u16(code) + u8(ch)


def wcsdup(pool, length, ch=7):
    return u8(WCSDUP) + u8(pool) + u8(length) + u8(ch)


def free(pick):
    return u8(FREE) + u16(pick)


def usable(pick):
    return u8(USABLE) + u16(pick)


def check(pool):
    return u8(CHECK) + u8(pool)


def stats(pool, bits):
    return u8(STATS) + u8(pool) + u8(bits)


# bad pointers: kind 0 interior, 1 another pool's, 2 freed, 3 stack,
# 4 into the pool, 5 outside, 6 static data, 7 system heap;
# call 0 free, 1 realloc, 2 usable_size
def bad(kind, call, a=0, b=1):
    return u8(BAD) + u8(kind) + u8(call) + u16(a) + u16(b)


def bad_align(pool, k, v=0, n=16):
    return u8(BAD_ALIGN) + u8(pool) + u8(k) + u32(v) + u16(n)


def free_all(pool):
    return u8(FREE_ALL) + u8(pool)


def region(mode, pool, a=0, b=0):
    """mode 0 in a large object, 1 over a pool, 2 unaligned, 3 too small"""
    return u8(REGION) + u8(pool * 4 + mode) + u16(a) + u16(b)


def not_pool(kind, a=0):
    return u8(NOT_POOL) + u8(kind) + u16(a)


def null(pool, call):
    return u8(NULLPTR) + u8(pool) + u8(call)


def seeds():
    s = {}
    h2 = header()
    h3 = header(third=True, sizes=(1, 2, 3))
    s['malloc-small'] = h2 + b''.join(malloc(p % 2, tiny(n))
                                      for p, n in enumerate([0, 1, 16, 17,
                                                             100, 255]))
    s['malloc-classes'] = h2 + b''.join(malloc(0, small(n)) for n in
                                        [129, 257, 1025, 4097, 12288,
                                         14337, 16384])
    s['malloc-large'] = h3 + b''.join(malloc(n % 3, large(b, n)) for b, n in
                                      [(0, 1), (4, 4096), (8, 70000),
                                       (10, 3000000)])
    s['malloc-edges'] = h2 + b''.join(malloc(i % 2, edge(i))
                                      for i in range(0, 35, 3))
    s['malloc-big'] = header(sizes=(6, 6, 0)) + malloc(0, big(11 * MIB)) + \
        malloc(1, big(0)) + malloc(0, big(30 * MIB))
    s['malloc-huge'] = h3 + b''.join(malloc(k % 3, huge(k)) for k in range(8))
    s['calloc'] = h2 + calloc_n(0, 3, tiny(40)) + \
        calloc_n(1, 16, small(1000), 1) + calloc_n(0, 2, large(6, 5000), 0)
    s['calloc-zero'] = h2 + calloc_zero(0, True, 100) + \
        calloc_zero(1, False, 7)
    s['calloc-overflow'] = h2 + calloc_overflow(0, 0, 0) + \
        calloc_overflow(1, 200, 3) + calloc_overflow(0, 0, 0, swap=True) + \
        calloc_overflow(1, 9, 65535, swap=True)
    s['calloc-huge'] = h2 + calloc_n(0, 1, huge(0)) + \
        calloc_n(1, 16, big(31 * MIB))
    s['realloc-grow-shrink'] = h2 + malloc(1, tiny(100)) + \
        realloc(0, 2, small(3000)) + realloc(1, 2, large(9, 100000)) + \
        realloc(2, 2, tiny(10)) + check(1)
    # the live objects of a header: one per pool (indices 0, 1[, 2]);
    # each new one is appended, a free moves the last into its place
    s['realloc-same-class'] = h2 + malloc(0, small(130)) + \
        realloc(7, pk(2, 3, 5, 10)) + realloc(6, pk(2, 3, 250)) + usable(2)
    s['realloc-large-in-place'] = header(sizes=(3, 3, 0)) + \
        malloc(0, large(10, 600000)) + realloc(6, pk(2, 3, 128)) + \
        realloc(0, 2, large(10, 900000)) + usable(2)
    s['realloc-null'] = h2 + realloc(5, 0, tiny(50)) + \
        realloc(5, 1, tiny(0)) + realloc(5, 0, huge(3))
    s['realloc-zero'] = h2 + malloc(0, tiny(10)) + realloc(4, 2) + \
        bad(2, 0)
    s['realloc-huge'] = h2 + malloc(0, large(5, 1)) + \
        realloc(0, 2, huge(0)) + realloc(1, 2, huge(7)) + check(0)
    s['aligned'] = h2 + b''.join(aligned(sh % 2, sh, tiny(sh * 3))
                                 for sh in [0, 4, 5, 8, 12, 13, 16, 21])
    s['aligned-large'] = h2 + aligned(0, 12, large(3, 9000)) + \
        aligned(1, 21, large(10, 1 << 20)) + aligned(0, 14, small(16384))
    s['aligned-huge'] = h2 + aligned(0, 30, tiny(1)) + \
        aligned(1, 40, tiny(0)) + aligned(0, 63, tiny(0)) + \
        aligned(1, 12, huge(2))
    s['bad-alignment'] = h2 + b''.join(bad_align(k % 2, k) for k in
                                       range(16)) + \
        bad_align(0, 200, 12345) + bad_align(1, 255, 1 << 20)
    s['strdup'] = h2 + strdup(0, 0) + strdup(1, 40, 66) + \
        strdup(0, 255, 200) + strdup(1, 20000, 3, long=True)
    s['wcsdup'] = h2 + wcsdup(0, 0) + wcsdup(1, 10, 90) + wcsdup(0, 255, 250)
    s['free-usable'] = h3 + malloc(0, tiny(8)) + malloc(1, small(5000)) + \
        malloc(2, large(7, 77)) + usable(1) + usable(2) + usable(3) + \
        free(2) + free(1) + check(0) + check(1) + check(2)
    s['stats'] = h2 + malloc(0, tiny(30)) + stats(0, 0) + stats(1, 0x80) + \
        stats(0, 0x1f) + stats(1, 0x21) + stats(0, 0x05)
    for kind, name in enumerate(['interior', 'other-pool', 'double-free',
                                 'stack', 'in-pool', 'outside', 'static',
                                 'heap']):
        ops = malloc(0, tiny(64)) + malloc(1, large(6, 9)) + free(0) + \
            malloc(0, small(2000))
        for call in range(3):
            for a in range(3):
                ops += bad(kind, call, a * 7 + 1, a * 300 + call * 5 + 1)
        s['bad-' + name] = h2 + ops
    s['double-free-large'] = h2 + malloc(0, large(8, 3000)) + \
        malloc(0, big(2 * MIB)) + free(1) + free(1) + bad(2, 0, 0) + \
        bad(2, 1, 1) + bad(2, 2, 0)
    s['null'] = h2 + null(0, 0) + null(1, 1) + null(0, 1) + null(1, 0)
    s['free-all'] = h3 + b''.join(malloc(i % 3, tiny(i * 20)) for i in
                                  range(12)) + free_all(0) + free_all(1) + \
        free_all(2) + check(0)
    s['nested'] = header(nested=True, sizes=(0, 2, 0)) + \
        malloc(2, tiny(48)) + malloc(0, tiny(48)) + bad(1, 0, 4, 0) + \
        bad(1, 1, 5, 1) + bad(4, 2, 0, 5) + bad(0, 0, 0, 9) + \
        not_pool(2, 4) + check(2) + check(0)
    s['nested-aligned'] = header(nested=True, sizes=(0, 0, 16 + 8 + 3),
                                 free_first=True) + \
        malloc(2, large(9, 1)) + free_all(2) + check(0)
    s['region-accepted'] = header(sizes=(6, 0, 0)) + \
        malloc(0, big(11 * MIB)) + region(0, 0, 0, 0) + \
        region(0, 0, 1, 0x8001) + check(0)
    s['region-refused'] = h3 + region(1, 0, 32, 0) + region(1, 1, 100, 1) + \
        region(1, 2, 5000, 2) + region(2, 0, 3, 4) + region(3, 1, 0, 9)
    s['not-pool'] = h2 + malloc(0, tiny(1)) + not_pool(0) + not_pool(1) + \
        not_pool(2, 1) + not_pool(3, 1)
    s['garbage'] = header(garbage=2, byte=0xa5, sizes=(4, 5, 0)) + \
        malloc(0, tiny(8)) + malloc(1, large(10, 123456)) + check(0) + \
        check(1)
    s['garbage-more'] = header(third=True, garbage=3, byte=0xff,
                               sizes=(8, 9, 10), free_first=True) + \
        malloc(2, small(300)) + check(2)
    exhaust = b''.join(malloc(0, large(10, 4 * MIB - 20000 - i))
                       for i in range(8))
    s['exhaust'] = header(sizes=(0, 0, 0)) + exhaust + \
        malloc(0, small(100)) + free_all(0) + malloc(0, large(10, 1))
    s['exhaust-small'] = header(sizes=(0, 0, 0)) + b''.join(
        malloc(0, small(16384)) for _ in range(900)) + check(0) + \
        realloc(6, pk(500, 902, 1)) + free_all(0)
    # the first input the fuzzer failed on (fixed in 993a1ec): a freed
    # large object's address becomes the tail of a short slab (class
    # 12288 in 4 pages), and a free of it must still be refused
    s['slab-tail'] = h2 + malloc(1, tiny(51)) + malloc(1, small(11807)) + \
        malloc(0, tiny(114)) + malloc(1, tiny(32)) + \
        strdup(1, 32623, long=True) + free(3) + free(3) + \
        malloc(1, huge(3)) + malloc(1, small(11807)) + bad(2, 0, 1)
    s['mixed'] = h3 + b''.join(
        malloc(i % 3, tiny(i)) + realloc(i % 8, i * 37, small(i * 91)) +
        aligned(i % 3, i % 13, tiny(i)) + free(i * 13)
        for i in range(20)) + check(0) + check(1) + check(2)
    return s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, 'seed-' + name), 'wb') as f:
            f.write(data)
    print(f'{len(seeds())} seeds in {out}')


if __name__ == '__main__':
    main()
