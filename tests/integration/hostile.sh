#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A hostile front-end on one port while a real one moves traffic on another: every
# malformed message must drop only its own connection, be counted by cause, and leave no
# fd or guest mapping behind in vhostd; the other port's traffic must not stop.
# usage: hostile.sh VHOSTD
. "$(dirname "$0")/lib.sh"
shift
cat >"$T/vhostd.ini" <<INI
[vhost good]
socket = $T/good.sock

[vhost bad]
socket = $T/bad.sock
queues = 2

[link]
good = good
INI
start_vhostd vd --config "$T/vhostd.ini"
wait_file "$T/good.sock" 10
wait_file "$T/bad.sock" 10
start_testpmd fe "path=$T/good.sock,queues=1" io
tp_cmd fe "start tx_first"
sleep 1
tp_stats fe; RX0=$RXP
FDS0=$(ls /proc/"$VD_PID_vd"/fd | wc -l)

cat >"$T/attack.py" <<'PY'
import os, socket, struct, sys, time
path = sys.argv[1]
HDR = struct.Struct("<III")
V, NEED_REPLY = 1, 8
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(3)
    return s
def msg(req, payload=b"", flags=V, size=None):
    return HDR.pack(req, flags, len(payload) if size is None else size) + payload
def dropped(s):
    try:
        return s.recv(64) == b""
    except ConnectionResetError:
        return True
memfd = os.memfd_create("vhostd-attack")
os.ftruncate(memfd, 1 << 21)
def with_mem(s):
    table = struct.pack("<II", 1, 0) + struct.pack("<QQQQ", 0x100000, 1 << 21, 0x7f0000000000, 0)
    s.sendmsg([msg(5, table)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", memfd))])
cases = {
    "oversize": lambda s: s.send(HDR.pack(2, V, 1 << 20)),
    "short_payload": lambda s: s.send(msg(2, b"\0" * 4)),
    "fd_on_set_features": lambda s: s.sendmsg([msg(2, struct.pack("<Q", 0))],
        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", memfd))]),
    "index_out_of_range": lambda s: (with_mem(s), s.send(msg(8, struct.pack("<II", 9, 256)))),
    "ring_outside_memory": lambda s: (with_mem(s), s.send(msg(9, struct.pack("<IIQQQQ",
        0, 0, 0x7f0000000000 + (1 << 21) - 8, 0x7f0000000000, 0x7f0000001000, 0)))),
    "overlap": lambda s: s.sendmsg([msg(5, struct.pack("<II", 2, 0) +
        struct.pack("<QQQQ", 0, 1 << 20, 0, 0) + struct.pack("<QQQQ", 4096, 1 << 20, 1 << 30, 0))],
        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("ii", memfd, memfd))]),
    "bad_version": lambda s: s.send(msg(1, flags=2)),
    "garbage": lambda s: s.send(os.urandom(4) + HDR.pack(0xdead, V, 5000)),
}
for name, fn in cases.items():
    s = conn()
    fn(s)
    if not dropped(s):
        print("FAIL: case %s: connection not dropped" % name); sys.exit(1)
    s.close()
    print("  case %s: dropped" % name)
# unknown request: answered with a NACK, connection kept
s = conn()
s.send(msg(16, struct.pack("<Q", 1 << 3)))
s.send(msg(77, struct.pack("<Q", 0), flags=V | NEED_REPLY))
r = s.recv(20)
req, flags, size = HDR.unpack(r[:12])
val = struct.unpack("<Q", r[12:20])[0]
if (req, size, val) != (77, 8, 1):
    print("FAIL: unknown request: reply", req, size, val); sys.exit(1)
s.send(msg(17))
r = s.recv(20)
if struct.unpack("<Q", r[12:20])[0] != 2:
    print("FAIL: connection unusable after NACK"); sys.exit(1)
s.close()
print("  case unknown_request: NACK, connection kept")
PY
python3 "$T/attack.py" "$T/bad.sock" || fail "attack script"
sleep 1.5
tp_stats fe; RX1=$RXP
FDS1=$(ls /proc/"$VD_PID_vd"/fd | wc -l)
MAPS=$(grep -c "vhostd-attack" /proc/"$VD_PID_vd"/maps)
note "good port received $((RX1 - RX0)) packets during the attack; vhostd fds $FDS0 -> $FDS1, attack mappings left $MAPS"
[ $((RX1 - RX0)) -ge 1000 ] || fail "traffic on the good port stalled during the attack"
[ "$FDS1" = "$FDS0" ] || fail "vhostd leaked fds: $FDS0 -> $FDS1"
[ "$MAPS" = 0 ] || fail "vhostd still maps the attacker's memory"
tp_cmd fe "stop"
stop_testpmd fe
stop_vhostd vd
DROPPED=$(vd_json vd "j['ports']['bad']['dropped']")
ERRS=$(vd_json vd "' '.join('%s=%d' % kv for kv in j['ports']['bad']['errors'].items() if kv[1])")
note "bad port: $DROPPED connections dropped; errors $ERRS"
[ "$DROPPED" = 8 ] || fail "expected 8 dropped connections, vhostd counted $DROPPED"
[ "$ERRS" = "header=3 size=1 fds=1 index=1 memory=1 ring_addr=1 unknown=1" ] ||
	fail "error counters by cause: $ERRS"
[ "$(vd_json vd "j['ports']['good']['dropped']")" = 0 ] || fail "good port lost its connection"
[ "$(vd_drops vd)" = 0 ] || fail "ring drops/errors counted"
echo "PASS"
