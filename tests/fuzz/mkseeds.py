#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the seed corpus of vmmem-fuzz: one small program per file.

Each seed is a sequence of operations encoded the way fuzz.c decodes them
(an op byte, then the op's arguments).  The encoders below mirror the
pickers of fuzz.c; keep them in step when an op's arguments change.
Usage: tests/fuzz/mkseeds.py [DIR]   (default: the seeds/ directory here)
"""
import os
import struct
import sys

OPS = ["add_anon", "add_fd", "add_host", "remove", "read", "write",
       "read_exact", "write_exact", "fill", "copy", "load", "store",
       "scalar", "query", "slice", "snap_get", "snap_put", "snap_access",
       "map", "map_use", "dirty", "fd", "xf_fill", "misc", "huge",
       "inner", "vua", "atomic_le", "view", "view_access", "shlog"]
PG = 4096


def u8(x): return bytes([x & 0xff])
def u16(x): return struct.pack("<H", x & 0xffff)
def u32(x): return struct.pack("<I", x & 0xffffffff)
def u64(x): return struct.pack("<Q", x & 0xffffffffffffffff)


def op(name, *args):
    return u8(OPS.index(name)) + b"".join(args)


def gpa(x):
    """pick_gpa(): an exact address below the low window's end."""
    assert x < 96 * PG
    return u8(4) + u32(x)


def gpa_top(page):
    """pick_gpa(): page @page of the window below 2^64."""
    return u8(6) + u8(page)


def length(n):
    """pick_len(): an exact length below 1 MiB."""
    return u8(4) + u16(n) if n < 3 * PG else u8(7) + u32(n)


def glen(n):
    """pick_glen() of an exact length below 1 MiB."""
    return u8(0) + length(n)


def size(n):
    """pick_size(): whole pages or an odd size up to 16 pages."""
    if n % PG == 0:
        return u8(((n // PG) - 1) << 2)
    return u8(2) + u16(n - 1)


def rgpa(page):
    """pick_region_gpa(): a page of the low window."""
    return u8(0) + u8(page)


RO, POPULATE, PRIVATE, HOSTFILE = 1, 2, 4, 8


def add_anon(page, n, fl=0):
    return op("add_anon", u8(0), u8(fl), u8(0), size(n), rgpa(page))


def add_fd(page, n, memfd=0, off_pages=0, fl=0):
    return op("add_fd", u8(0), u8(fl), u8(memfd), size(n), rgpa(page),
              u8(off_pages))


def add_host(page, n, fl=0, memfd=0, off_pages=0):
    a = op("add_host", u8(0), u8(fl), u8(memfd), size(n), rgpa(page))
    return a + (u8(off_pages) if fl & HOSTFILE else b"")


def write(g, n, seed=1):
    return op("write", gpa(g), length(n), u32(seed))


def read(g, n):
    return op("read", gpa(g), length(n))


def rexact(g, n):
    return op("read_exact", gpa(g), length(n), u32(0))


def wexact(g, n, seed=2):
    return op("write_exact", gpa(g), length(n), u32(seed))


def fill(g, n, c=0x5a):
    return op("fill", gpa(g), glen(n), u8(c)) + (u8(1) + u8(0x80) if c & 1 else b"")


def copy(d, s, n):
    return op("copy", gpa(d), gpa(s), glen(n))


def load(g, sz_log2, order=0):
    # m: size 1 << (m & 3), aligned, order index in bits 4-6
    return op("load", u8(sz_log2 | order << 4), gpa(g))


def store(g, sz_log2, val, order=0):
    return op("store", u8(sz_log2 | order << 4), gpa(g), u64(val))


def scalar(kind, g, v=0x1122334455667788, w=False):
    return op("scalar", u8(kind | (16 if w else 0)), gpa(g), u64(v))


def dirty_start(idx=1):
    return op("dirty", u8(0), u8(idx))


def dirty_stop():
    return op("dirty", u8(1))


def dirty_get(g, npages, clear=True):
    return op("dirty", u8(2 | (8 if clear else 0)), gpa(g), u16(npages))


def dirty_test(g):
    return op("dirty", u8(3), gpa(g))


def dirty_mark(g, n):
    return op("dirty", u8(4), glen(n), gpa(g))


def remove_live(k):
    return op("remove", u8(0), u8(k))


def snap_get(slot):
    return op("snap_get", u8(slot))


def snap_refresh(slot):
    return op("snap_get", u8(slot | 4))


def snap_put(slot):
    return op("snap_put", u8(slot))


def snap_rd(slot, g, n):
    return op("snap_access", u8(0), u8(slot), gpa(g), length(n), u32(0))


def snap_wr(slot, g, n, seed=3):
    return op("snap_access", u8(1), u8(slot), gpa(g), length(n), u32(seed))


def snap_store(slot, g, v):
    return op("snap_access", u8(3), u8(slot), u8(3), gpa(g), u64(v))


def map_(slot, g, n, flags=3):
    return op("map", u8(slot | flags << 2), gpa(g), glen(n))


def map_write(slot, seed=4):
    return op("map_use", u8(slot | 8), u64(0), u32(seed))


def unmap(slot, written):
    return op("map_use", u8(slot), u64(written), u32(0))


def fd(kind, g, n, k=0, off=0, seed=5):
    """kind: 0 read_from_fd 1 write_to_fd 2 pread 3 pwrite 4 read_exact
    5 write_all 6 pread_exact 7 pwrite_all (+8: a pipe that ends)."""
    a = op("fd", u8(kind | 16), gpa(g), glen(n), u32(seed))
    if kind & 2:
        a += u32(off)
    elif not kind & 1:
        a += u32(k)
    return a


def query(q, g=0, n=0):
    return op("query", u8(q), gpa(g), glen(n)) + (u8(0) if q in (1, 7) else b"")


def slices(g, n):
    return op("slice", u8(2), gpa(g), length(n), u32(0))


def slice_write(g, n, mark=True):
    return op("slice", u8(16 | (32 if mark else 0)), gpa(g), length(n), u32(9))


def mbyte(mod, rem, want=0, mask=0):
    """The smallest op byte m with m % mod == rem and m & mask == want."""
    return next(m for m in range(256) if m % mod == rem and m & mask == want)


def add_anon_vua(page, n, vua, fl=0):
    return op("add_anon", u8(0), u8(fl | 0x80), u8(0), size(n), rgpa(page),
              u64(vua))


def vua_at(k, off=0):
    """pick_vua(): VUA of live region k, plus @off (-32768 to 32767)."""
    return u8(1) + u8(k) + u16(off)


def vua_to_gpa(v, n=None):
    return op("vua", u8(0 if n is None else 4), v) + (b"" if n is None else glen(n))


def gpa_to_hva(g, n):
    return op("vua", u8(1), gpa(g), glen(n))


def prefix(g, n, cnt):
    return op("vua", u8(2), gpa(g), glen(n), u8(cnt))


def atomic_le(g, sz_log2, val=None, order=0, misalign=False):
    m = sz_log2 | (4 if misalign else 0) | order << 4
    a = op("atomic_le", u8(0 if val is None else 1), u8(m), gpa(g))
    return a + (b"" if val is None else u64(val))


R, W = 1, 2


def view_new():
    return op("view", u8(0))


def view_drop():
    return op("view", u8(1))


def iova(x):
    """pick_iova(): a page of the low window plus a multiple of 8."""
    return u8(1) + u8(x // PG) + u8(x % PG)


def iotlb_update(io, n, target, perm, vua=False, on_mem=False):
    m = mbyte(6, 2, perm << 3 | (32 if vua else 0) | (64 if on_mem else 0),
              0xf8)
    return op("view", u8(m), iova(io), glen(n), target if vua else gpa(target))


def iotlb_inval(io=None, n=None):
    if io is None:
        return op("view", u8(mbyte(6, 3, 8, 8 | 64)))
    return op("view", u8(mbyte(6, 3, 0, 8 | 64)), iova(io), glen(n))


def last_miss():
    return op("view", u8(4))


def view_refusals(idx=0):
    return op("view", u8(5), u8(idx))


def va_rw(g, n, w=False, seed=6):
    return op("view_access", u8(1 if w else 0), gpa(g), length(n), u32(seed))


def va_exact(g, n, w=False, seed=7):
    return op("view_access", u8(2 | (1 if w else 0)), gpa(g), length(n),
              u32(seed))


def va_atomic(g, sz_log2, val=None, le=False):
    m = next(x for x in range(256) if (x >> 1) % 6 == 2 and
             x & 17 == ((1 if val is not None else 0) | (16 if le else 0)))
    a = op("view_access", u8(m), u8(sz_log2), gpa(g))
    return a + (b"" if val is None else u64(val))


def va_hva(g, n):
    return op("view_access", u8(6), gpa(g), glen(n))


def va_prefix(g, n, cnt):
    return op("view_access", u8(8), gpa(g), glen(n), u8(cnt))


def va_mark(g, n):
    return op("view_access", u8(10), glen(n), gpa(g))


def sh_attach_file(off, size_idx, mut=0, *extra):
    return op("shlog", u8(0), u8(mut), u16(off), u8(size_idx), *extra)


def sh_attach_buf(n, mut=0, *extra):
    return op("shlog", u8(mbyte(6, 0, 8, 8)), u8(mut), u8(n - 1), *extra)


def sh_detach():
    return op("shlog", u8(1))


def sh_overflow():
    return op("shlog", u8(2))


def sh_check():
    return op("shlog", u8(3))


def sh_clear(off, n, in_buf=False):
    return op("shlog", u8(mbyte(6, 4, 8 if in_buf else 0, 8)), u16(off), u8(n))


SEEDS = {
    "copy-self": b"".join([
        add_fd(0, 2 * PG, 0, 0, PRIVATE), add_fd(4, PG, 0, 0),
        copy(10, 10, 5), write(4 * PG + 8, 16, 41), rexact(8, 16),
        copy(PG + 3, PG + 3, 2), write(4 * PG, PG, 42), rexact(0, 2 * PG),
    ]),
    "vua": b"".join([
        add_anon_vua(0, 4 * PG, 0x10000000), add_anon_vua(8, 2 * PG, 0x10004000),
        add_anon_vua(16, 2 * PG, 0x20000000, RO), add_fd(20, 2 * PG),
        add_anon_vua(24, PG, 0x20000000 + PG // 2),
        write(0, 4 * PG, 21), write(8 * PG, 2 * PG, 22),
        vua_to_gpa(vua_at(0, 5)), vua_to_gpa(vua_at(1, 100), 3 * PG),
        vua_to_gpa(vua_at(0, 4 * PG - 1), 10), vua_to_gpa(vua_at(2, 0x900)),
        vua_to_gpa(vua_at(4, 0)), vua_to_gpa(u8(6) + u64(0x30000000)),
        gpa_to_hva(100, 10 * PG), gpa_to_hva(8 * PG + 5, 0),
        gpa_to_hva(4 * PG, 1), prefix(100, 20 * PG, 8), prefix(0, 20 * PG, 1),
        prefix(16 * PG - 10, 8 * PG, 3), prefix(4 * PG, 10, 2),
        prefix(0, 0, 2), prefix(0, 10, 0), op("vua", u8(3)),
        atomic_le(8, 1, 0xbeef, 3), atomic_le(8, 1), atomic_le(16, 2),
        atomic_le(24, 3, 2 ** 64 - 3, 5), atomic_le(24, 3, order=2),
        atomic_le(0, 0), atomic_le(3, 1, misalign=True), atomic_le(16 * PG, 2, 1),
        atomic_le(4 * PG, 2), query(1), remove_live(0), vua_to_gpa(vua_at(0, 5)),
    ]),
    "iova-view": b"".join([
        add_anon_vua(0, 4 * PG, 0x7f0000000000), add_anon(4, 4 * PG),
        add_anon(8, 2 * PG, RO), add_fd(12, 2 * PG, 0, 3),
        write(0, 8 * PG, 31), write(12 * PG, 2 * PG, 32), dirty_start(1),
        view_new(), iotlb_update(0x10000, 6 * PG, PG, R | W),
        iotlb_update(0x20000, 2 * PG, 8 * PG, R | W),
        iotlb_update(0x30000, PG, 12 * PG, W),
        iotlb_update(0x31000, PG, 13 * PG, R),
        iotlb_update(0x40000, 2 * PG, vua_at(0, 0x800), R | W, vua=True),
        iotlb_update(0x11000, PG, 9 * PG, R),
        iotlb_update(0x50000, 2 * PG, 10 * PG - 10, R | W),
        iotlb_update(0x50000, 0, 0, R), iotlb_update(0x50000, PG, 0, 0),
        iotlb_update(0x50000, PG, 0, R, on_mem=True),
        view_refusals(0), view_refusals(2),
        va_rw(0x10000 + 100, 3 * PG), va_rw(0x12000, 4 * PG, w=True),
        va_rw(0x20000, 10, w=True), va_rw(0x30000, 10),
        va_rw(0x30000, 2 * PG, w=True), va_rw(0x31000 - 8, 16),
        va_rw(0x5f000, 4), last_miss(), last_miss(),
        va_exact(0x16000 - 8, 16), last_miss(), va_exact(0x30000, 8),
        va_exact(0x30000, 8, w=True), va_exact(0x20000, 8, w=True),
        va_exact(0x40000, 2 * PG, w=True), last_miss(),
        va_atomic(0x10008, 3, 0x1122334455667788, le=True),
        va_atomic(0x10008, 3, le=True), va_atomic(0x30000, 2),
        va_atomic(0x20000, 2, 5), va_atomic(0x7000, 2), last_miss(),
        va_hva(0x10000 + 8, 20 * PG), va_hva(0x8000, 1), last_miss(),
        va_prefix(0x10000, 0x40000, 6), va_prefix(0x12000, 16, 1),
        va_prefix(0x9000, 16, 1), va_mark(0x11000, 3 * PG),
        dirty_get(0, 16), remove_live(0), va_rw(0x10000, 2 * PG, w=True),
        va_rw(0x10000, PG), dirty_get(0, 16), iotlb_inval(0x10000 + PG // 2, PG),
        va_rw(0x10000, 3 * PG), iotlb_inval(0x10000, 8 * PG),
        iotlb_inval(), view_refusals(), va_rw(0x20000, 1), last_miss(),
        view_drop(), view_new(), last_miss(),
        iotlb_update(0x1000, PG, 4 * PG, R | W), va_rw(0x2000, 1),
        view_new(), last_miss(),
    ]),
    "shared-log": b"".join([
        add_anon(0, 8 * PG), add_anon(8, 2 * PG), add_anon(12, PG, RO),
        op("add_anon", u8(0), u8(0), u8(0), size(PG), u8(7), u8(60)),
        sh_overflow(), sh_detach(), sh_attach_file(5, 0),
        write(100, 3 * PG), fill(5 * PG, 10), store(9 * PG, 2, 7),
        atomic_le(9 * PG + 8, 2, 9), sh_check(), sh_overflow(),
        op("write", gpa_top(60), length(10), u32(1)), sh_overflow(),
        sh_attach_file(100, 2), copy(9 * PG, 0, PG), map_(0, PG, PG),
        unmap(0, 100), slice_write(6 * PG, 10), dirty_mark(7 * PG + 5, 1),
        snap_get(0), remove_live(1), snap_wr(0, 8 * PG, 8), sh_check(),
        sh_clear(100, 3), sh_check(), dirty_start(1), write(2 * PG, 1),
        sh_attach_buf(1), write(3 * PG, 1), write(7 * PG, PG + 1),
        sh_overflow(), sh_check(), sh_clear(0, 1, True), sh_check(),
        view_new(), iotlb_update(0x50000, 2 * PG, 4 * PG, R | W),
        va_rw(0x50000 + PG, 8, w=True), sh_check(), dirty_get(0, 16),
        sh_detach(), write(0, 1), sh_check(), sh_detach(),
        sh_attach_file(8190, 0), sh_attach_file(8190, 5),
        sh_attach_file(0, 0, 1, u8(3)), sh_attach_file(0, 0, 2),
        sh_attach_file(0, 0, 3), sh_attach_file(0, 0, 4),
        sh_attach_file(0, 0, 5, u8(1)), sh_attach_file(0, 0, 6, u8(2)),
        sh_attach_file(0, 0, 7, u8(0)), sh_attach_file(0, 0, 8, u8(5)),
        sh_attach_buf(8, 7, u8(4)), sh_attach_file(16, 5, 9),
        write(5 * PG, 3), op("shlog", u8(5)), sh_check(),
    ]),
    "anon-span": b"".join([
        add_anon(0, 4 * PG), add_anon(4, 4 * PG), add_anon(8, 2 * PG, RO),
        add_anon(10, 3 * PG + 123), add_anon(20, PG), add_anon(21, 2 * PG),
        write(4 * PG - 100, 300), read(4 * PG - 200, 500),
        wexact(8 * PG - 8, 16), wexact(7 * PG, 100), rexact(8 * PG - 8, 16),
        fill(3 * PG, 2 * PG, 7), copy(5 * PG - 10, 4 * PG - 50, 100),
        copy(4 * PG - 50, 5 * PG - 10, 100), read(10 * PG, 4 * PG),
        store(4 * PG - 8, 3, 0xdeadbeef, 1), load(4 * PG - 8, 3, 2),
        store(8 * PG, 2, 1), load(13 * PG + 120, 1),
        scalar(9, 20 * PG + 4094, w=True), scalar(9, 20 * PG + 4094),
        scalar(5, 100, w=True), scalar(8, 100), query(0), query(3),
        query(5, 0, 30 * PG), slices(3 * PG, 3 * PG),
    ]),
    "dirty": b"".join([
        add_anon(0, 8 * PG), add_anon(8, 3 * PG + 10), dirty_start(1),
        write(100, 10), fill(2 * PG + 1, 3), store(5 * PG, 2, 7),
        copy(9 * PG, 0, 2 * PG), dirty_test(2 * PG), dirty_test(3 * PG),
        dirty_get(0, 64, False), dirty_get(0, 64), dirty_get(0, 64),
        slice_write(6 * PG, 10), dirty_mark(7 * PG + 5, 1),
        add_anon(20, 2 * PG), write(20 * PG, 5000), dirty_get(0, 200),
        dirty_stop(), dirty_start(2), write(PG, 1), dirty_get(0, 40),
        dirty_start(3), dirty_stop(), dirty_get(0, 1),
    ]),
    "fd-alias": b"".join([
        add_fd(0, 4 * PG, 0, 0), add_fd(16, 4 * PG, 0, 0, PRIVATE),
        add_fd(32, 4 * PG, 0, 2, RO), add_host(48, 4 * PG, HOSTFILE, 0, 0),
        add_fd(64, 8 * PG, 1, 4, PRIVATE | POPULATE), add_host(80, 2 * PG),
        write(10, 100), read(16 * PG, 200), write(16 * PG + PG, 50),
        write(PG + 40, 50), read(16 * PG + PG, 100), rexact(32 * PG, 8),
        write(48 * PG + 2 * PG, 10), read(2 * PG, 20), write(64 * PG, 9),
        read(80 * PG, 10), query(1), query(2, 64 * PG),
        add_fd(90, PG, 1, 31, PRIVATE | RO),
    ]),
    "snapshot": b"".join([
        add_anon(0, 2 * PG), add_fd(2, 2 * PG, 0, 0), snap_get(0),
        write(0, 10), remove_live(0), snap_rd(0, 0, 10), snap_wr(0, 5, 10),
        snap_rd(0, 0, 4 * PG), snap_refresh(0), snap_refresh(0),
        snap_get(1), add_anon(0, PG), dirty_start(1), snap_wr(1, 2 * PG, 8),
        snap_store(1, 2 * PG + 8, 9), dirty_get(0, 8), snap_put(1),
        snap_put(0), snap_refresh(2),
    ]),
    "map": b"".join([
        add_anon(0, 2 * PG), add_anon(2, 2 * PG), add_anon(4, PG, RO),
        dirty_start(1), map_(0, PG, 2 * PG), map_write(0), unmap(0, 3000),
        dirty_get(0, 8), map_(1, 3 * PG, 2 * PG, 1), map_(2, 3 * PG, 2 * PG),
        remove_live(1), map_write(1), read(PG, 100), unmap(1, 0),
        map_(3, 0, 2 * PG), remove_live(0), map_write(3), unmap(3, 5 * PG),
        # a slot in use remapped with the length 2^64 - 2
        map_(0, 4 * PG, PG, 1),
        op("map", u8(0 | 1 << 2), gpa(4 * PG), u8(6) + u16(1), u64(12345)),
    ]),
    "fd-transfer": b"".join([
        add_anon(0, 4 * PG), add_anon(4, 4 * PG), add_anon(8, PG, RO),
        op("xf_fill", u32(100), u16(3000), u32(77)),
        fd(0, 100, 8 * PG, k=5000), fd(1, 2 * PG, 3 * PG),
        fd(2, PG, 2 * PG, off=0), fd(3, 0, 9 * PG, off=PG),
        fd(4, 0, 100, k=50), fd(4, 0, 100, k=200), fd(5, 0, 8 * PG),
        fd(6, 0, 3 * PG, off=PG), fd(6, 0, 40 * PG, off=0),
        fd(7, 3 * PG, 5 * PG, off=123), fd(0, 8 * PG, 10, k=10),
        fd(8 | 4, 0, 100, k=10), fd(8, 0, 100, k=0),
    ]),
    "many-regions": b"".join(
        [add_anon(i * 5, PG * (1 + i % 3), RO if i % 4 == 3 else 0)
         for i in range(12)] +
        [write(i * 5 * PG + 10, 4000) for i in range(12)] +
        [read(i * 5 * PG, 3 * PG) for i in range(12)] +
        [remove_live(3), query(0), read(15 * PG, 10), query(4, 40 * PG)]),
    "spread": b"".join(
        [add_anon(i * 7 + 1, PG * (1 + i % 2)) for i in range(6)] +
        [op("add_anon", u8(0), u8(0), u8(0), size(2 * PG), u8(7), u8(8 * i))
         for i in range(3)] +
        [write(i * 7 * PG + PG, 3 * PG) for i in range(6)] +
        [read(i * 7 * PG + PG - 10, 3 * PG) for i in range(6)] +
        [op("read", gpa_top(8 * i + 1), length(2 * PG)) for i in range(3)] +
        [dirty_start(5), write(8 * PG, 9), dirty_get(0, 1), remove_live(2),
         query(2, 15 * PG), dirty_start(4), dirty_stop(), dirty_start(4),
         op("fill", gpa_top(8), glen(PG), u8(1), u8(0), u8(0)),
         dirty_test(0)]),
    "dirty-shared-page": b"".join([
        op("add_anon", u8(0), u8(0), u8(0), size(100), u8(5), u32(0x1f00)),
        op("add_anon", u8(0), u8(0), u8(0), size(3 * PG + 1), u8(5),
           u32(0x1f64)),
        add_anon(6, PG, RO), dirty_start(2), write(0x1f64, 1),
        dirty_test(0x1f00), dirty_get(0, 4), write(0x1f10, 1),
        dirty_get(0, 4), store(0x3000, 0, 1), copy(0x1f00, 0x1f64, 200),
        map_(0, 0x1f00, 300), unmap(0, 150), dirty_get(0, 4, False),
        dirty_mark(0x6000, 1), dirty_get(0x4000, 2), remove_live(0),
        dirty_get(0, 4),
    ]),
    "huge": b"".join(
        [add_anon(0, 4 * PG), add_anon(4, PG, RO)] +
        [op("huge", u8(k), gpa(100), u64(k * 1000003)) for k in range(8)] +
        [op("huge", u8(k | 8), gpa(4 * PG), u8(k)) for k in range(8)] +
        [op("huge", u8(0), u8(7), u64(2 ** 63))]),
    "inner": b"".join(
        [add_anon(0, 2 * PG), add_anon(2, PG), add_anon(3, 2 * PG),
         add_fd(5, PG), write(0, 6 * PG, 11), dirty_start(1)] +
        [op("inner", u8(k), gpa(g), u16(n - 1), u8(r), u16(o))
         for k, g, n, r, o in [(0, 2 * PG - 100, 300, 1, 0),
                               (1, 2 * PG - 100, 300, 1, 0),
                               (2, 3 * PG - 50, 200, 2, 2),
                               (3, 3 * PG - 50, 200, 1, 4000),
                               (1, PG, 2 * PG, 0, 10),
                               (0, 5 * PG - 10, 100, 2, 5)]] +
        [dirty_get(0, 8)]),
    "bad-descriptors": b"".join([
        add_anon(0, PG),
        op("add_fd", u8(7), u8(0), u8(0), size(PG), rgpa(2), u8(0), u8(2), u8(0)),
        op("add_fd", u8(7), u8(0), u8(0), size(PG), rgpa(2), u8(0), u8(0), u8(5)),
        op("add_fd", u8(7), u8(0), u8(0), size(PG), rgpa(2), u8(0), u8(1), u8(5)),
        op("add_fd", u8(7), u8(0), u8(0), size(PG), rgpa(0), u8(0), u8(2), u8(0)),
        op("add_anon", u8(8), u8(0), u8(0), size(PG), rgpa(2), u8(3)),
        op("add_anon", u8(9), u8(0), u8(0), size(PG), rgpa(2), u8(2)),
        op("add_anon", u8(10), u8(0), u8(0), size(PG), rgpa(2)),
        op("add_anon", u8(11), u8(0), u8(0), size(PG), rgpa(2), u8(3)),
        op("add_fd", u8(11), u8(0), u8(0), size(PG), rgpa(2), u8(0), u8(5)),
        op("add_anon", u8(12), u8(0), u8(0), size(PG), rgpa(2), u8(4)),
        op("add_anon", u8(13), u8(0), u8(0), size(PG), rgpa(2), u8(1)),
        op("add_host", u8(13), u8(0), u8(0), size(PG), rgpa(2)),
        op("add_host", u8(14), u8(0), u8(0), size(PG), rgpa(2)),
        # Xen types: an fd_offset is -EINVAL before the -EOPNOTSUPP of
        # libvmmem.so; FOREIGN, then GRANT (bit 7), then FOREIGN without.
        op("add_fd", u8(14), u8(0), u8(0), size(PG), rgpa(2), u8(3)),
        op("add_fd", u8(0x8e), u8(0), u8(0), size(PG), rgpa(2), u8(3)),
        op("add_fd", u8(14), u8(0), u8(0), size(PG), rgpa(2), u8(0)),
        op("add_anon", u8(15), u8(0), u8(0), size(PG), rgpa(2), u8(0), u8(1)),
        op("add_anon", u8(15), u8(0), u8(0), size(PG), rgpa(2), u8(1), u8(3)),
        op("add_anon", u8(15), u8(0), u8(0), size(PG), rgpa(2), u8(2)),
        op("add_anon", u8(15), u8(0), u8(0), size(2 * PG), rgpa(4), u8(3),
           u8(12), u8(1)),
        op("add_anon", u8(15), u8(0), u8(0), size(PG), rgpa(0), u8(3),
           u8(21), u8(1)),
    ]),
    "top": b"".join([
        op("add_anon", u8(0), u8(0), u8(0), size(PG), u8(7), u8(60)),
        op("add_anon", u8(0), u8(0), u8(0), size(3 * PG), u8(6), u8(0)),
        op("read", gpa_top(60), length(2 * PG)),
        op("write", gpa_top(63), length(PG), u32(1)),
        op("store", u8(3), gpa_top(60), u64(5)),
        query(3), op("query", u8(5), gpa_top(60), u8(6), u16(3)),
    ]),
    "misc": b"".join([
        op("misc", u8(4), u8(8)), op("misc", u8(1), u8(0)),
        op("misc", u8(2), u8(0), u8(2), size(PG), rgpa(0), u8(0), size(PG), rgpa(1),
           u8(0)),
        op("misc", u8(6), u8(0), u8(2), size(PG), rgpa(0), u8(1), size(PG), rgpa(4),
           u8(3)),
        op("misc", u8(3), u8(0)), op("misc", u8(4), u8(4)), add_anon(0, PG, 0x80) + u64(0x1000),
        query(1), query(7, 5, 4096),
    ]),
}

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "seeds")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
