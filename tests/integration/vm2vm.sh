#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# VM to VM through a [link]: testpmd A (txonly) -> vhostd -> testpmd B (rxonly).
# usage: vm2vm.sh VHOSTD [--packed] [--no-mrg] [--queues N] [--vd-lcores LIST]
# Passes when every packet (and byte) A's port sent is received by B's port: lossless.
. "$(dirname "$0")/lib.sh"
shift
PACKED=0 MRG=1 Q=1
while [ $# -gt 0 ]; do
	case $1 in
	--packed) PACKED=1 ;; --no-mrg) MRG=0 ;; --queues) Q=$2; shift ;;
	--vd-lcores) VD_LCORES=$2; shift ;;
	*) fail "unknown option $1" ;;
	esac
	shift
done
echo "vm2vm: packed=$PACKED mrg_rxbuf=$MRG queues=$Q vhostd-lcores=${VD_LCORES:-0}"
cat >"$T/vhostd.ini" <<INI
[dataplane]
lcores = 0

[vhost a]
socket = $T/a.sock
queues = $Q

[vhost b]
socket = $T/b.sock
queues = $Q

[link]
a = b
INI
start_vhostd vd --config "$T/vhostd.ini"
wait_file "$T/a.sock" 10
wait_file "$T/b.sock" 10
start_testpmd rx "path=$T/b.sock,queues=$Q,packed_vq=$PACKED,mrg_rxbuf=$MRG" rxonly "$Q"
start_testpmd tx "path=$T/a.sock,queues=$Q,packed_vq=$PACKED,mrg_rxbuf=$MRG" txonly "$Q"
tp_cmd rx "start"
sleep 0.5
tp_cmd tx "start"
sleep 3
tp_cmd tx "stop"
sleep 1.5 # let vhostd drain A's TX ring into B
tp_stats tx; ATX=$TXP; ATB=$TXB
tp_stats rx; BRX=$RXP; BRB=$RXB
note "A sent $ATX pkts / $ATB bytes; B received $BRX pkts / $BRB bytes"
tp_cmd rx "stop"
stop_testpmd tx
stop_testpmd rx
sleep 0.3
stop_vhostd vd
VTX=$(vd_sum vd a tx packets); VRX=$(vd_sum vd b rx packets); DROPS=$(vd_drops vd)
note "vhostd: took $VTX from a, delivered $VRX to b, drops+errors $DROPS"
[ "$ATX" -ge 1000 ] || fail "A sent only $ATX packets"
[ "$BRX" = "$ATX" ] || fail "B received $BRX packets, A sent $ATX: $((ATX - BRX)) lost"
[ "$BRB" = "$ATB" ] || fail "B received $BRB bytes, A sent $ATB"
[ "$VTX" = "$ATX" ] && [ "$VRX" = "$ATX" ] || fail "vhostd counts $VTX/$VRX, A sent $ATX"
[ "$DROPS" = 0 ] || fail "vhostd counted $DROPS drops/errors"
echo "PASS"
