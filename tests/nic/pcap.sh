#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A pcap file as the NIC (net_pcap): PVP through vhostd, byte for byte.
#   rx_pcap (one file per NIC queue) -> vhostd -> guest RX queue q -> testpmd io forward ->
#   guest TX queue q -> vhostd -> NIC TX queue q -> tx_pcap (one file per queue)
# Frames are 60..9000 bytes, VLAN tagged or not, IPv4/IPv6, TCP/UDP (pcaptool.py). A file
# never overflows, so nothing may be lost: each queue's tx_pcap must equal its rx_pcap
# (same frames, same order), vhostd's counters must match exactly with no drop, and DPDK
# telemetry must serve the same numbers.
# vhostd must log one mbuf pool, on socket 0 (this machine's one NUMA node), for both ports.
# With --polling-lcores K, vhostd must have spread the 2 x N link queues evenly over K
# polling lcores (round-robin), as it logs at start.
# usage: pcap.sh VHOSTD [--queues N] [--frames N] [--vd-lcores LIST] [--polling-lcores K]
#                [--packed]
. "$(dirname "$0")/nlib.sh"
shift
Q=1 N=300 PACKED=0 K=1
while [ $# -gt 0 ]; do
	case $1 in
	--queues) Q=$2; shift ;; --frames) N=$2; shift ;; --packed) PACKED=1 ;;
	--vd-lcores) VD_LCORES=$2; shift ;; --polling-lcores) K=$2; shift ;;
	*) fail "unknown option $1" ;;
	esac
	shift
done
echo "pcap: queues=$Q frames/queue=$N packed=$PACKED vhostd-lcores=${VD_LCORES:-0}"
DEV=net_pcap0 TOTAL=0 BYTES=0
for q in $(seq 0 $((Q - 1))); do
	$PCAPTOOL gen "$T/in$q.pcap" "$N" $((q * 1000)) || fail "pcaptool gen"
	read -r n b < <($PCAPTOOL count "$T/in$q.pcap")
	TOTAL=$((TOTAL + n)); BYTES=$((BYTES + b))
	DEV="$DEV,rx_pcap=$T/in$q.pcap,tx_pcap=$T/out$q.pcap"
done
cat >"$T/vhostd.ini" <<INI
[nic uplink]
device = $DEV
queues = $Q
mtu = 9000

[vhost vm1]
socket = $T/vm1.sock
queues = $Q

[link]
vm1 = uplink
INI
start_vhostd vd --config "$T/vhostd.ini"
wait_file "$T/vm1.sock" 10
wait_log "$T/vd.err" "nic 'uplink': link up" 10
wait_log "$T/vd.err" "vhostd: 2 ports, $((2 * Q)) link queues, $K polling lcores" 5
# One socket here: one pool, on socket 0, for both ports (vhost ports first, as configured).
grep -qx "vhostd: mbuf pool on socket 0: [0-9]* mbufs for ports vm1,uplink" "$T/vd.err" ||
	fail "no single socket-0 mbuf pool for vm1,uplink: $(grep 'mbuf pool' "$T/vd.err")"
[ "$(grep -c '^vhostd: mbuf pool on socket' "$T/vd.err")" = 1 ] || fail "more than one mbuf pool"
SPREAD=$(grep -c "^vhostd: lcore [0-9]* polls $((2 * Q / K)) link queue" "$T/vd.err")
[ "$SPREAD" = "$K" ] || fail "link queues not spread evenly over $K lcores: $(grep 'polls' "$T/vd.err")"
note "$(grep "^vhostd: lcore" "$T/vd.err" | tr '\n' ';')"
start_guest fe "path=$T/vm1.sock,queues=$Q,packed_vq=$PACKED,mrg_rxbuf=1" io "$Q"
# Retry a TX the virtio ring cannot take yet (up to 0.1 s): testpmd must not drop either.
tp_cmd fe "set fwd io retry"
tp_cmd fe "set burst tx delay 10 retry 10000"
tp_cmd fe "start"
wait_json vd "j['ports']['uplink']['tx_packets'] >= $TOTAL" 30
sleep 1 # a late extra frame would show now
TM_PORTS=$(telemetry vd /vhostd/ports)
TM_NIC=$(telemetry vd /vhostd/stats,uplink)
TM_VM=$(telemetry vd /vhostd/stats,vm1)
tp_cmd fe "stop"
tp_stats fe
note "guest testpmd: RX $RXP pkts $RXB bytes, TX $TXP pkts $TXB bytes"
stop_testpmd fe
stop_vhostd vd
J() { vd_json vd "$1"; }
note "vhostd: $(J "{k: v for k, v in j['ports']['uplink'].items() if k != 'queues'}")"
NRX=$(J "j['ports']['uplink']['rx_packets']"); NTX=$(J "j['ports']['uplink']['tx_packets']")
NRB=$(J "j['ports']['uplink']['rx_bytes']"); NTB=$(J "j['ports']['uplink']['tx_bytes']")
[ "$NRX" = "$TOTAL" ] || fail "vhostd took $NRX frames from the pcap NIC, the files hold $TOTAL"
[ "$NRB" = "$BYTES" ] || fail "vhostd took $NRB bytes from the pcap NIC, the files hold $BYTES"
[ "$NTX" = "$TOTAL" ] || fail "vhostd sent $NTX frames to the pcap NIC, want $TOTAL"
[ "$NTB" = "$BYTES" ] || fail "vhostd sent $NTB bytes to the pcap NIC, want $BYTES"
[ "$RXP" = "$TOTAL" ] && [ "$TXP" = "$TOTAL" ] || fail "guest got $RXP and sent $TXP, want $TOTAL"
[ "$RXB" = "$BYTES" ] || fail "guest got $RXB bytes, want $BYTES"
[ "$(vd_guest_drops vd)" = 0 ] || fail "vhostd counted $(vd_guest_drops vd) guest-side drops/errors"
for k in rx_missed rx_nombuf rx_errors tx_too_big tx_errors link_downs; do
	[ "$(J "j['ports']['uplink']['$k']")" = 0 ] || fail "uplink $k = $(J "j['ports']['uplink']['$k']")"
done
[ "$(J "sum(q['rx']['drops']['dst_down'] + q['tx']['drops']['too_big'] for q in j['ports']['uplink']['queues'])")" = 0 ] ||
	fail "NIC queue drops counted"
[ "$(J "j['pending']")" = 0 ] || fail "vhostd still held $(J "j['pending']") packets"
for q in $(seq 0 $((Q - 1))); do
	out=$($PCAPTOOL cmp "$T/in$q.pcap" "$T/out$q.pcap") || fail "queue $q: $out"
	read -r n b < <($PCAPTOOL count "$T/in$q.pcap")
	for k in "['rx']['packets']" "['tx']['packets']"; do
		v=$(J "j['ports']['uplink']['queues'][$q]$k")
		[ "$v" = "$n" ] || fail "uplink queue $q$k = $v, its file holds $n"
	done
	for d in rx tx; do
		v=$(J "j['ports']['vm1']['queues'][$q]['$d']['packets']")
		[ "$v" = "$n" ] || fail "vm1 queue $q $d packets = $v, want $n"
	done
	note "queue $q: $n frames, $b bytes, tx_pcap identical to rx_pcap"
done
# Telemetry (read while running, after every frame was through) agrees with the JSON.
note "telemetry /vhostd/ports: $TM_PORTS"
[ "$TM_PORTS" = '["vm1","uplink"]' ] || fail "telemetry /vhostd/ports: $TM_PORTS"
TJ() { python3 -c "import json,sys; print(json.loads(sys.argv[1])$2)" "$1"; }
[ "$(TJ "$TM_NIC" "['rx_packets']")" = "$TOTAL" ] && [ "$(TJ "$TM_NIC" "['tx_bytes']")" = "$BYTES" ] &&
	[ "$(TJ "$TM_NIC" "['link_up']")" = 1 ] && [ "$(TJ "$TM_NIC" "['q$((Q - 1))_tx_packets']")" = "$n" ] ||
	fail "telemetry /vhostd/stats,uplink: $TM_NIC"
[ "$(TJ "$TM_VM" "['rx_packets']")" = "$TOTAL" ] && [ "$(TJ "$TM_VM" "['tx_bytes']")" = "$BYTES" ] &&
	[ "$(TJ "$TM_VM" "['tx_drop_dst_down']")" = 0 ] || fail "telemetry /vhostd/stats,vm1: $TM_VM"
echo "PASS"
