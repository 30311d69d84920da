#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Helpers for the NIC tests on top of tests/integration/lib.sh (processes, cleanup, testpmd
# over a fifo, vhostd's JSON): a guest testpmd that keeps what it finds in its RX rings and
# takes jumbo frames, waits on vhostd's counters, and DPDK telemetry reads.
. "$(dirname "$0")/../integration/lib.sh"
NIC_DIR=$(cd "$(dirname "$0")" && pwd)
PCAPTOOL="python3 $NIC_DIR/pcaptool.py"

# start_guest NAME VDEV_ARGS FWD_MODE QUEUES [EXTRA...]: testpmd on virtio_user (CPU 1) with
# --no-flush-rx (what vhostd delivered before "start" is forwarded, not thrown away) and
# 10 KB mbufs, so a 9000-byte frame is one mbuf on either side of the guest.
start_guest() {
	local name=$1 vdev=$2 mode=$3 q=$4 fd
	shift 4
	mkfifo "$T/$name.fifo"
	stdbuf -oL -eL "$TESTPMD" --no-pci --file-prefix "tp-$name-$TAG" --lcores '0@1,1@1' $MEMARGS \
		--vdev "net_virtio_user0,$vdev" -- -i --forward-mode="$mode" --no-flush-rx \
		--rxq="$q" --txq="$q" --nb-cores=1 --max-pkt-len=9216 --mbuf-size=10240 \
		--total-num-mbufs=4096 "$@" <"$T/$name.fifo" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "TP_PID_$name=$!"
	exec {fd}>"$T/$name.fifo"
	FDS+=($fd)
	eval "TP_FD_$name=$fd"
	wait_log "$T/$name.log" "testpmd>" 30
}

# wait_json NAME EXPR SECONDS: until the python expression over vhostd's last JSON line is
# true; prints how it ended.
wait_json() {
	local i
	for i in $(seq "$3"); do
		[ "$(vd_json "$1" "$2" 2>/dev/null)" = True ] && return 0
		sleep 1
	done
	fail "vhostd's counters never reached: $2 (last: $(tail -n 1 "$T/$1.log" | cut -c1-600))"
}

# telemetry NAME CMD: one DPDK telemetry command to vhostd NAME through dpdk-telemetry.py;
# prints the reply as compact JSON (the value under the command's key).
telemetry() {
	echo "$2" | dpdk-telemetry.py -f "vd-$1-$TAG" 2>&1 | python3 -c '
import json, sys
text = sys.stdin.read()
obj, _ = json.JSONDecoder().raw_decode(text[text.find("{"):])
print(json.dumps(list(obj.values())[0], separators=(",", ":")))'
}

# vd_guest_drops NAME: every drop and ring error counter of every vhost port (lib.sh's
# vd_drops reads vhost-shaped queues only; NIC ports count theirs in other keys).
vd_guest_drops() {
	vd_json "$1" "sum(sum(q[d]['drops'].values()) + sum(q[d]['errors'].values()) for p in j['ports'].values() if p['kind'] == 'vhost' for q in p['queues'] for d in ('rx','tx'))"
}
