#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""pcap files for the NIC tests, standard library only.

  pcaptool.py gen FILE COUNT SEED   COUNT frames of 60..9000 bytes: VLAN tagged or not,
                                    IPv4/IPv6, TCP/UDP, valid checksums, payload from SEED
  pcaptool.py cmp SENT GOT          exit 0 when GOT holds exactly SENT's frames, in order
  pcaptool.py count FILE            prints the frame count and the byte total
"""
import random
import struct
import sys

SIZES = [60, 64, 65, 128, 511, 1000, 1514, 1518, 1522, 2047, 2048, 2049, 4000, 6000,
         8192, 9000]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(rng, i, size):
    vlan, v6, tcp = i % 2 == 1, (i // 2) % 2 == 1, (i // 4) % 2 == 1
    l2 = 18 if vlan else 14
    l3 = 40 if v6 else 20
    l4 = 20 if tcp else 8
    size = max(size, l2 + l3 + l4)
    pay = bytes(rng.getrandbits(8) for _ in range(size - l2 - l3 - l4))
    sport, dport = 1024 + rng.randrange(60000), 1024 + i % 4096
    if v6:
        src, dst = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]), \
            bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2])
        pseudo_base = src + dst
    else:
        src, dst = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
        pseudo_base = src + dst
    l4len = l4 + len(pay)
    proto = 6 if tcp else 17
    if tcp:
        hdr = struct.pack("!HHIIBBHHH", sport, dport, i, 0, 5 << 4, 0x18, 65535, 0, 0)
    else:
        hdr = struct.pack("!HHHH", sport, dport, l4len, 0)
    if v6:
        pseudo = pseudo_base + struct.pack("!IxxxB", l4len, proto)
    else:
        pseudo = pseudo_base + struct.pack("!xBH", proto, l4len)
    c = csum(pseudo + hdr + pay)
    if not tcp and c == 0:
        c = 0xFFFF
    off = 16 if tcp else 6
    hdr = hdr[:off] + struct.pack("!H", c) + hdr[off + 2:]
    if v6:
        ip = struct.pack("!IHBB", 6 << 28, l4len, proto, 64) + src + dst
        etype = 0x86DD
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, l3 + l4len, i & 0xFFFF, 0, 64, proto, 0,
                         src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        etype = 0x0800
    eth = bytes([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1])
    if vlan:
        eth += struct.pack("!HH", 0x8100, (i % 7) << 13 | (100 + i % 4000))
    eth += struct.pack("!H", etype)
    return eth + ip + hdr + pay


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, fr in enumerate(frames):
            f.write(struct.pack("<IIII", n, 0, len(fr), len(fr)))
            f.write(fr)


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit("%s: not a pcap file (%d bytes)" % (path, len(data)))
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    frames, off = [], 24
    while off < len(data):
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        if incl != orig:
            raise SystemExit("%s: frame %d truncated (%d of %d bytes)"
                             % (path, len(frames), incl, orig))
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def main(argv):
    if len(argv) == 5 and argv[1] == "gen":
        count, seed = int(argv[3]), int(argv[4])
        rng = random.Random(seed)
        # Every size in SIZES at least once when count allows, then random sizes.
        sizes = [SIZES[(k + seed) % len(SIZES)] if k < len(SIZES) else rng.randint(60, 9000)
                 for k in range(count)]
        write(argv[2], [frame(rng, k + seed, s) for k, s in enumerate(sizes)])
        return 0
    if len(argv) == 4 and argv[1] == "cmp":
        sent, got = read(argv[2]), read(argv[3])
        for k, (a, b) in enumerate(zip(sent, got)):
            if a != b:
                diff = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]),
                            min(len(a), len(b)))
                print("frame %d differs: sent %d bytes, got %d, first difference at byte %d"
                      % (k, len(a), len(b), diff))
                return 1
        if len(sent) != len(got):
            print("sent %d frames, got %d" % (len(sent), len(got)))
            return 1
        return 0
    if len(argv) == 3 and argv[1] == "count":
        fr = read(argv[2])
        print(len(fr), sum(len(x) for x in fr))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
