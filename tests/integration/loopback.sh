#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# vhostd loopback (guest TX returns on guest RX) with DPDK virtio_user as the front-end.
# usage: loopback.sh VHOSTD [--packed] [--no-mrg] [--queues N] [--client]
# Passes when traffic circulates, vhostd delivered every packet it took (nothing pending,
# no drop) and its counts match testpmd's.
. "$(dirname "$0")/lib.sh"
shift
PACKED=0 MRG=1 Q=1 CLIENT=0
while [ $# -gt 0 ]; do
	case $1 in
	--packed) PACKED=1 ;; --no-mrg) MRG=0 ;; --client) CLIENT=1 ;;
	--queues) Q=$2; shift ;; *) fail "unknown option $1" ;;
	esac
	shift
done
echo "loopback: packed=$PACKED mrg_rxbuf=$MRG queues=$Q vhostd-client=$CLIENT"
SOCK=$T/v0.sock
VDEV="path=$SOCK,queues=$Q,packed_vq=$PACKED,mrg_rxbuf=$MRG"
if [ $CLIENT = 1 ]; then
	start_vhostd vd --socket "$SOCK" --client --queues "$Q" --loopback
	start_testpmd fe "$VDEV,server=1" io "$Q"
else
	start_vhostd vd --socket "$SOCK" --queues "$Q" --loopback
	wait_file "$SOCK" 10
	start_testpmd fe "$VDEV" io "$Q"
fi
tp_cmd fe "start tx_first"
sleep 3
tp_cmd fe "stop"; [ -n "${DEBUG:-}" ] && set -x
sleep 1
tp_stats fe
note "testpmd: TX $TXP pkts $TXB bytes, RX $RXP pkts $RXB bytes"
stop_testpmd fe
sleep 0.5
stop_vhostd vd
[ $CLIENT = 1 ] || [ ! -e "$SOCK" ] || fail "vhostd left its socket $SOCK behind"
VTX=$(vd_sum vd vhost0 tx packets); VRX=$(vd_sum vd vhost0 rx packets)
VRB=$(vd_sum vd vhost0 rx bytes); DROPS=$(vd_drops vd)
PEND=$(vd_json vd "j['pending']")
note "vhostd: took $VTX from guest TX, delivered $VRX ($VRB bytes) to guest RX, drops+errors $DROPS, pending $PEND"
[ "$RXP" -ge 1000 ] || fail "only $RXP packets came back (want >= 1000)"
[ "$TXP" -ge "$RXP" ] && [ $((TXP - RXP)) -le $((32 * Q)) ] ||
	fail "testpmd TX $TXP vs RX $RXP: more than the $((32 * Q)) packets in flight are missing"
[ "$VTX" = "$TXP" ] || fail "vhostd took $VTX packets, testpmd sent $TXP"
[ "$VRX" = "$VTX" ] || fail "vhostd delivered $VRX of the $VTX packets it took"
[ "$VRB" = "$TXB" ] || fail "vhostd delivered $VRB bytes, testpmd sent $TXB"
[ "$DROPS" = 0 ] || fail "vhostd counted $DROPS drops/errors"
[ "$PEND" = 0 ] || fail "vhostd still held $PEND packets"
if [ "$Q" -gt 1 ]; then
	ACTIVE=$(vd_json vd "sum(1 for q in j['ports']['vhost0']['queues'] if q['tx']['packets'] > 0)")
	[ "$ACTIVE" = "$Q" ] || fail "only $ACTIVE of $Q queue pairs carried traffic"
fi
echo "PASS"
