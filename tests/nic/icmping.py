#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""icmping.py DST COUNT: ICMP echo through the kernel's IP stack (it resolves ARP and
routes), standard library only, for hosts without iputils ping. Each request waits up to
2 s for its own reply (matched by id and sequence). Prints
"COUNT packets transmitted, N received" and exits 0 only when every request was answered."""
import os
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    dst, count = sys.argv[1], int(sys.argv[2])
    ident = os.getpid() & 0xFFFF
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    got = 0
    for seq in range(1, count + 1):
        payload = struct.pack("!d", time.time()) + bytes(range(48))
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = hdr[:2] + struct.pack("!H", csum(hdr + payload)) + hdr[4:] + payload
        s.sendto(pkt, (dst, 0))
        deadline = time.time() + 2
        while time.time() < deadline:
            s.settimeout(max(deadline - time.time(), 0.01))
            try:
                data, addr = s.recvfrom(2048)
            except socket.timeout:
                break
            ihl = (data[0] & 0xF) * 4
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and rid == ident and rseq == seq and addr[0] == dst and \
                    data[ihl + 8:] == payload and csum(data[ihl:]) == 0:
                got += 1
                break
        time.sleep(0.1)
    print("%d packets transmitted, %d received" % (count, got))
    return 0 if got == count else 1


if __name__ == "__main__":
    sys.exit(main())
