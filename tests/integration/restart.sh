#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Recovery: (1) the front-end goes away and a new one connects to the same vhostd port;
# (2) vhostd (client mode) is stopped and restarted under a virtio_user server=1 front-end
# that stays up. Traffic must flow again after each, with nothing dropped by vhostd.
# usage: restart.sh VHOSTD [--packed]
. "$(dirname "$0")/lib.sh"
shift
PACKED=0
[ "${1:-}" = --packed ] && PACKED=1
echo "restart: packed=$PACKED"

# loop_traffic NAME: 2 s of io loopback from a fresh burst; sets RXP/TXP deltas (RXD, TXD).
loop_traffic() {
	tp_stats "$1"; local rx0=$RXP tx0=$TXP
	tp_cmd "$1" "start tx_first"
	sleep 2
	tp_cmd "$1" "stop"
	sleep 0.5
	tp_stats "$1"
	RXD=$((RXP - rx0)); TXD=$((TXP - tx0))
}

# (1) front-end restart
start_vhostd vd1 --socket "$T/s1.sock" --loopback
wait_file "$T/s1.sock" 10
for round in 1 2; do
	start_testpmd "fe$round" "path=$T/s1.sock,queues=1,packed_vq=$PACKED" io
	loop_traffic "fe$round"
	note "front-end #$round: TX $TXD RX $RXD"
	[ "$RXD" -ge 1000 ] || fail "front-end #$round: only $RXD packets came back"
	stop_testpmd "fe$round"
done
sleep 0.3
stop_vhostd vd1
[ "$(vd_json vd1 "j['ports']['vhost0']['connects']")" = 2 ] || fail "vhostd saw != 2 connects"
[ "$(vd_drops vd1)" = 0 ] || fail "vhostd counted drops/errors across the front-end restart"

# (2) vhostd restart under a server=1 front-end
start_vhostd vd2 --socket "$T/s2.sock" --client --loopback
start_testpmd fe3 "path=$T/s2.sock,queues=1,packed_vq=$PACKED,server=1" io
wait_log "$T/vd2.err" "front-end connected" 10
loop_traffic fe3
note "before vhostd restart: TX $TXD RX $RXD"
[ "$RXD" -ge 1000 ] || fail "before restart: only $RXD packets came back"
stop_vhostd vd2
sleep 1
start_vhostd vd3 --socket "$T/s2.sock" --client --loopback
wait_log "$T/vd3.err" "front-end connected" 10
sleep 2 # virtio_user re-negotiates and brings the link up again
loop_traffic fe3
note "after vhostd restart: TX $TXD RX $RXD"
[ "$RXD" -ge 1000 ] || fail "after vhostd restart: only $RXD packets came back"
stop_testpmd fe3
sleep 0.3
stop_vhostd vd3
V3=$(vd_sum vd3 vhost0 rx packets)
[ "$V3" -ge "$RXD" ] || fail "restarted vhostd delivered $V3 < $RXD"
[ "$(vd_drops vd3)" = 0 ] || fail "restarted vhostd counted drops/errors"
echo "PASS"
