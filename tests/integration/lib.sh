#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers for vhostd integration tests against DPDK's virtio_user (dpdk-testpmd).
# Every process a test starts is killed and every socket removed on any exit (trap).
# Needs root and hugepages (set up here) or VHOSTD_TEST_NO_HUGE=1.

set -u
VHOSTD=${VHOSTD:-${1:-}}
TESTPMD=${TESTPMD:-dpdk-testpmd}
[ -x "$VHOSTD" ] || { echo "FAIL: vhostd binary not given (arg 1 or VHOSTD=)"; exit 1; }
command -v "$TESTPMD" >/dev/null || { echo "FAIL: $TESTPMD not found"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (hugepages, DPDK)"; exit 1; }

T=$(mktemp -d /tmp/vhostd-it.XXXXXX)
TAG=$$
PIDS=()
FDS=()

cleanup() {
	local rc=$?
	for fd in "${FDS[@]}"; do eval "exec $fd>&-" 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ $rc -ne 0 ]; then
		echo "---- diagnostics (exit $rc) ----"
		for f in "$T"/*.log "$T"/*.err; do
			[ -f "$f" ] || continue
			echo "== $f (last 25 lines)"; tail -n 25 "$f"
		done
	fi
	rm -rf "$T" /var/run/dpdk/*-"$TAG" 2>/dev/null
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*"; exit 1; }
note() { echo "  $*"; }

hugepages() {
	if [ "${VHOSTD_TEST_NO_HUGE:-0}" = 1 ]; then
		MEMARGS="--no-huge -m 256"; VD_EAL="--no-huge -m 256"; return
	fi
	local have; have=$(cat /proc/sys/vm/nr_hugepages)
	[ "$have" -ge 512 ] || echo 1024 > /proc/sys/vm/nr_hugepages
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages
	MEMARGS="-m 256 --single-file-segments"
	VD_EAL="-m 128"
}
hugepages

# start_vhostd NAME ARGS...: vhostd on CPU 0, stats every second, stdout NAME.log.
start_vhostd() {
	local name=$1; shift
	"$VHOSTD" --lcores "${VD_LCORES:-0}" --file-prefix "vd-$name-$TAG" --eal "$VD_EAL" --stats-interval 1 \
		"$@" >"$T/$name.log" 2>"$T/$name.err" &
	PIDS+=($!)
	eval "VD_PID_$name=$!"
}

# stop_vhostd NAME: SIGINT, wait (bounded), check it exited 0.
stop_vhostd() {
	local name=$1 pid rc
	pid=$(eval echo "\$VD_PID_$name")
	kill -INT "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "vhostd $name did not exit within 5 s of SIGINT"
	wait "$pid"; rc=$?
	[ $rc = 0 ] || fail "vhostd $name exited $rc"
}

wait_file() { # wait_file PATH SECONDS
	for _ in $(seq $(($2 * 10))); do [ -e "$1" ] && return 0; sleep 0.1; done
	fail "$1 did not appear within $2 s"
}

wait_log() { # wait_log FILE PATTERN SECONDS
	for _ in $(seq $(($3 * 10))); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	fail "'$2' not seen in $1 within $3 s"
}

# start_testpmd NAME VDEV_ARGS FWD_MODE [QUEUES]: interactive testpmd on CPU 1, commands
# through a fifo (tp_cmd NAME CMD).
start_testpmd() {
	local name=$1 vdev=$2 mode=$3 q=${4:-1} fd
	mkfifo "$T/$name.fifo"
	stdbuf -oL -eL "$TESTPMD" --no-pci --file-prefix "tp-$name-$TAG" --lcores '0@1,1@1' $MEMARGS \
		--vdev "net_virtio_user0,$vdev" -- -i --forward-mode="$mode" --txpkts=64 \
		--rxq="$q" --txq="$q" --nb-cores=1 --total-num-mbufs=16384 <"$T/$name.fifo" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "TP_PID_$name=$!"
	exec {fd}>"$T/$name.fifo"
	FDS+=($fd)
	eval "TP_FD_$name=$fd"
	wait_log "$T/$name.log" "testpmd>" 20
}

tp_cmd() { # tp_cmd NAME CMD
	local fd; fd=$(eval echo "\$TP_FD_$1")
	echo "$2" >&"$fd"
}

# tp_stats NAME: sets RXP RXB TXP TXB from "show port stats 0".
tp_stats() {
	local name=$1 n0 n
	n0=$(grep -c "NIC statistics for port" "$T/$name.log")
	tp_cmd "$name" "show port stats 0"
	for _ in $(seq 50); do
		n=$(grep -c "NIC statistics for port" "$T/$name.log")
		[ "$n" -gt "$n0" ] && grep -q "TX-bytes" <(tail -n 12 "$T/$name.log") && break
		sleep 0.1
	done
	local rx tx
	rx=$(grep "RX-packets:" "$T/$name.log" | grep "RX-bytes" | tail -n 1)
	tx=$(grep "TX-packets:" "$T/$name.log" | grep "TX-bytes" | tail -n 1)
	RXP=$(echo "$rx" | awk '{print $2}'); RXB=$(echo "$rx" | awk '{print $6}')
	TXP=$(echo "$tx" | awk '{print $2}'); TXB=$(echo "$tx" | awk '{print $6}')
	[ -n "$RXP" ] && [ -n "$TXP" ] || fail "no port stats from testpmd $name"
}

stop_testpmd() { # stop_testpmd NAME: quit, bounded
	local name=$1 pid fd
	pid=$(eval echo "\$TP_PID_$name"); fd=$(eval echo "\$TP_FD_$name")
	tp_cmd "$name" "quit"
	eval "exec $fd>&-"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "testpmd $name did not quit"; }
	wait "$pid" 2>/dev/null
	return 0
}

# vd_json NAME EXPR: evaluates a python expression over the last JSON line vhostd printed
# (variable j).
vd_json() {
	python3 - "$T/$1.log" "$2" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]
j = json.loads(lines[-1])
print(eval(sys.argv[2]))
PY
}

# vd_sum NAME PORT DIR FIELD: sum of FIELD over every queue of PORT in direction rx|tx.
vd_sum() {
	vd_json "$1" "sum(q['$3']['$4'] for q in j['ports']['$2']['queues'])"
}

# vd_drops NAME: every drop and ring error counter, summed over all ports and queues.
vd_drops() {
	vd_json "$1" "sum(sum(q[d]['drops'].values()) + sum(q[d]['errors'].values()) for p in j['ports'].values() for q in p['queues'] for d in ('rx','tx'))"
}
