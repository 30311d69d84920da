#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus (see docs/fuzzing.md): short scripts that
reach the main paths, so fuzzing starts past the shallow states. Run from tests/fuzz/."""
import os
import struct


def u16(v):
    return struct.pack('<H', v & 0xffff)


def u32(v):
    return struct.pack('<I', v & 0xffffffff)


def u64(v):
    return struct.pack('<Q', v & 0xffffffffffffffff)


# ---- vring target (fuzz_vring.c) ----
OP_DESC, OP_AVAIL, OP_POST, OP_DEQ, OP_ENQ, OP_EVENT, OP_POKE, OP_QUERY, OP_RESTART = range(9)
PACKED, EVENT_IDX, INDIRECT, IN_ORDER, MRG = 1, 2, 4, 8, 16


def vr_setup(fb, sb, la=0, lu=0):
    return bytes([fb, sb]) + u16(la) + u16(lu)


def vr_post(nseg, write=False, ind=False, id_=0, off=0, ln=64):
    b = bytes([OP_POST, (nseg - 1) | (4 if ind else 0) | (8 if write else 0)]) + u16(id_)
    for i in range(nseg):
        b += bytes([0]) + u16(off + i * 0x800)  # buffer area
        b += bytes([3, ln])  # len 12 + ln
    return b


def vr_deq(n=8, cap=2048, ext=0):
    return bytes([OP_DEQ, n - 1]) + u16(cap) + bytes([ext])


def vr_enq(lens, mrg_two_segs=False):
    b = bytes([OP_ENQ, len(lens) - 1])
    for ln in lens:
        b += bytes([1 if mrg_two_segs else 0, 0]) + u16(ln)
        if mrg_two_segs:
            b += u16(ln // 2)
    return b


def vring_seeds():
    s = {}
    for name, fb, sb in [('split', 0, 8), ('packed', PACKED, 255),
                         ('split-ev-ind', EVENT_IDX | INDIRECT, 4),
                         ('packed-ev-ind-ino', PACKED | EVENT_IDX | INDIRECT | IN_ORDER, 16)]:
        tx = vr_setup(fb, sb) + vr_post(1) + vr_post(3) + vr_post(2, ind=bool(fb & INDIRECT), id_=1)
        tx += vr_deq() + bytes([OP_QUERY, 9]) + bytes([OP_RESTART]) + vr_post(1, id_=2) + vr_deq()
        s['tx-' + name] = tx
        rx = vr_setup(fb | MRG, sb) + vr_post(1, write=True, ln=200) + vr_post(2, write=True, id_=1)
        rx += vr_post(1, write=True, ind=bool(fb & INDIRECT), id_=2, ln=255)
        rx += vr_enq([60, 300]) + vr_enq([100], True) + bytes([OP_QUERY, 1, OP_EVENT]) + u16(1) + bytes([1])
        s['rx-' + name] = rx
    # a hostile one: avail index jump and a descriptor into the hole
    s['hostile-split'] = (vr_setup(0, 3) + bytes([OP_DESC]) + u16(0) + bytes([5]) + u16(0) +
                          bytes([0, 64, 0]) + u16(0) + bytes([OP_AVAIL]) + u16(3) + u16(1) + vr_deq())
    return s


# ---- vhost-user target (fuzz_vhu.c) ----
def vhu_msg(req, payload=b'', flags=1, fds=0):
    """One message op: request, flags, size, fd-count byte, payload."""
    return bytes([0]) + u32(req) + u32(flags) + u32(len(payload)) + bytes([fds]) + payload


def vhu_seeds():
    s = {}
    GET_F, SET_F, OWNER, MEMT, NUM, ADDR, BASE, GBASE, KICK, CALL = 1, 2, 3, 5, 8, 9, 10, 11, 12, 13
    GPF, SPF, QN, ENABLE, ADDREG, REMREG, GSTAT, SSTAT = 15, 16, 17, 18, 37, 38, 40, 39
    UVA = 0x7f0000000000
    GPA = 0x100000
    memsize = 0x40000
    region = u64(GPA) + u64(memsize) + u64(UVA) + u64(0)
    memt = u32(1) + u32(0) + region
    feats = (1 << 32) | (1 << 30) | (1 << 15)
    b = vhu_msg(GET_F) + vhu_msg(GPF) + vhu_msg(SPF, u64(0x8 | 0x1)) + vhu_msg(SET_F, u64(feats))
    b += vhu_msg(OWNER) + vhu_msg(MEMT, memt, fds=0x81)
    for q in (0, 1):
        b += vhu_msg(NUM, u32(q) + u32(256))
        b += vhu_msg(ADDR, u32(q) + u32(0) + u64(UVA + q * 0x8000) + u64(UVA + q * 0x8000 + 0x2000) +
                     u64(UVA + q * 0x8000 + 0x1000) + u64(0))
        b += vhu_msg(BASE, u32(q) + u32(0))
        b += vhu_msg(CALL, u64(q), fds=0x01) + vhu_msg(KICK, u64(q), fds=0x01)
        b += vhu_msg(ENABLE, u32(q) + u32(1), flags=1 | 8)
    b += vhu_msg(QN) + vhu_msg(GBASE, u32(0) + u32(0)) + vhu_msg(GBASE, u32(1) + u32(0))
    # guest TX on queue 1: one 100-byte descriptor made available, then a dequeue burst;
    # guest RX on queue 0: one writable 2 KiB buffer, then an enqueue burst
    tx = u64(GPA + 0x10000) + u32(100) + u16(0) + u16(0)
    rx = u64(GPA + 0x20000) + u32(2048) + u16(2) + u16(0)
    dp = bytes([2]) + u32(0x8000) + bytes([15]) + tx + bytes([2]) + u32(0x9000) + bytes([5]) + u16(0) + u16(1) + u16(0)
    dp += bytes([3, 1, 7])
    dp += bytes([2]) + u32(0x0) + bytes([15]) + rx + bytes([2]) + u32(0x1000) + bytes([5]) + u16(0) + u16(1) + u16(0)
    dp += bytes([3, 0x80, 3])
    s['split-lifecycle'] = b.replace(vhu_msg(QN), dp + vhu_msg(QN))
    p = b.replace(u64(feats), u64(feats | (1 << 34))).replace(vhu_msg(QN), bytes([3, 1, 7, 3, 0x80, 7]) + vhu_msg(QN))
    s['packed-lifecycle'] = p
    s['add-rem-reg'] = (vhu_msg(SPF, u64(1 << 15 | 8)) + vhu_msg(ADDREG, u64(0) + region, fds=0x81) +
                        vhu_msg(ADDREG, u64(0) + region, fds=0x81) + vhu_msg(REMREG, u64(0) + region) +
                        vhu_msg(REMREG, u64(0) + region, flags=9) + vhu_msg(GSTAT) +
                        vhu_msg(SSTAT, u64(0xf)) + vhu_msg(GSTAT))
    s['bad-size'] = vhu_msg(SET_F, u32(1)) + vhu_msg(GET_F)
    s['unknown'] = vhu_msg(24, flags=9) + vhu_msg(99) + vhu_msg(GET_F)
    s['short'] = bytes([1]) + b'\x01\x00'  # raw bytes then EOF mid-header
    return s


def vhu_with_setup(seeds):
    # two setup bytes: queue pairs (1 + b % 2), MTU offered (b & 1)
    return {k: bytes([1, 1]) + v for k, v in seeds.items()}


def write(dirname, seeds):
    os.makedirs(dirname, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(dirname, 'seed-' + name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    write('corpus/vring', vring_seeds())
    write('corpus/vhu', vhu_with_setup(vhu_seeds()))
