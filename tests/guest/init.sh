#!/bin/sh
# /init of the test guest (busybox sh). Reads its scenario from the kernel command line,
# runs it, prints "RESULT key=value ..." lines on the serial console and powers off.
# Parameters (all vt.*, defaults in brackets):
#   vt.mode=basic|reconnect|echo  [basic]  reconnect: traffic, wait for the link to go
#                                          down and up, traffic again. echo: serve UDP echo.
#   vt.ip=A/P [10.0.0.2/24]  vt.peer=A [10.0.0.1]  vt.mtu=N [1500]
#   vt.ping=N [10]  vt.udp=N [2000]  vt.window=N [32]  vt.flows=N [1]  vt.cpus=N [1]
#   vt.port=N [7777]  vt.echo_idle=S [10]  vt.echo_max=S [120]  vt.down_wait=S [60]
#   vt.hold=S [0]  after the results, wait S seconds before powering off (so the host can
#                  kill a running QEMU).  vt.mode=probe prints RESULT probe=ok at once.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "VT-INIT uptime=$(cut -d' ' -f1 /proc/uptime)"

MODE=basic IP=10.0.0.2/24 PEER=10.0.0.1 MTU=1500 PING=10 UDP=2000 WINDOW=32 FLOWS=1
CPUS=1 PORT=7777 ECHO_IDLE=10 ECHO_MAX=120 DOWN_WAIT=60 HOLD=0
for kv in $(cat /proc/cmdline); do
	case "$kv" in
	vt.mode=*) MODE=${kv#*=} ;;
	vt.ip=*) IP=${kv#*=} ;;
	vt.peer=*) PEER=${kv#*=} ;;
	vt.mtu=*) MTU=${kv#*=} ;;
	vt.ping=*) PING=${kv#*=} ;;
	vt.udp=*) UDP=${kv#*=} ;;
	vt.window=*) WINDOW=${kv#*=} ;;
	vt.flows=*) FLOWS=${kv#*=} ;;
	vt.cpus=*) CPUS=${kv#*=} ;;
	vt.port=*) PORT=${kv#*=} ;;
	vt.echo_idle=*) ECHO_IDLE=${kv#*=} ;;
	vt.echo_max=*) ECHO_MAX=${kv#*=} ;;
	vt.down_wait=*) DOWN_WAIT=${kv#*=} ;;
	vt.hold=*) HOLD=${kv#*=} ;;
	esac
done

up() { cut -d' ' -f1 /proc/uptime; }

finish() {
	st=/sys/class/net/eth0/statistics
	if [ -d $st ]; then
		echo "RESULT eth0_rx_packets=$(cat $st/rx_packets) eth0_tx_packets=$(cat $st/tx_packets)" \
			"eth0_rx_bytes=$(cat $st/rx_bytes) eth0_tx_bytes=$(cat $st/tx_bytes)" \
			"eth0_rx_dropped=$(cat $st/rx_dropped) eth0_tx_dropped=$(cat $st/tx_dropped)" \
			"eth0_rx_errors=$(cat $st/rx_errors) eth0_tx_errors=$(cat $st/tx_errors)"
	fi
	echo "RESULT done=$1 uptime=$(up)"
	if [ "$HOLD" -gt 0 ]; then
		echo "HOLD $HOLD"
		sleep "$HOLD"
	fi
	poweroff -f
}

# Waits up to $2 seconds for eth0's carrier to read $1; prints the time it took.
wait_carrier() {
	n=0
	while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != "$1" ]; do
		n=$((n + 1))
		[ $n -gt $(($2 * 10)) ] && return 1
		usleep 100000
	done
	return 0
}

if [ "$MODE" = probe ]; then
	echo "RESULT probe=ok"
	poweroff -f
fi

for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	failover net_failover virtio_net; do
	insmod /lib/modules/$m.ko || { echo "RESULT error=insmod_$m"; finish fail; }
done
n=0
while [ ! -d /sys/class/net/eth0 ]; do
	n=$((n + 1))
	[ $n -gt 100 ] && { echo "RESULT error=no_eth0"; finish fail; }
	usleep 100000
done
# The echo binds before this guest has an address, so before it answers a ping: the
# other guest sends no datagram before its pings are answered.
if [ "$MODE" = echo ]; then
	vtnet echo "$PORT" "$ECHO_IDLE" "$ECHO_MAX" &
	epid=$!
fi
ip link set lo up
ip link set eth0 mtu "$MTU"
ip addr add "$IP" dev eth0
ip link set eth0 up
wait_carrier 1 30 || { echo "RESULT error=no_carrier"; finish fail; }
echo "RESULT link_up=$(up) queues=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"

# Pings until the first reply (ARP and a peer that is still booting), then N counted ones.
traffic() {
	tag=$1
	[ "$PING" -gt 0 ] || [ "$UDP" -gt 0 ] || return 0
	n=0
	until ping -c 1 -W 1 "$PEER" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -gt 30 ] && break
	done
	echo "RESULT ${tag}first_ping_tries=$n"
	if [ "$PING" -gt 0 ]; then
		out=$(ping -c "$PING" -i 0.2 -W 2 "$PEER" 2>&1 | grep 'packets transmitted')
		tx=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
		rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
		echo "RESULT ${tag}ping_sent=${tx:-0} ${tag}ping_recv=${rx:-0}"
	fi
	if [ "$UDP" -gt 0 ] && [ "${rx:-0}" = 0 ] && [ "$PING" -gt 0 ]; then
		echo "RESULT ${tag}udp_skipped=no_ping_reply"
	elif [ "$UDP" -gt 0 ]; then
		maxlen=$((MTU - 28))
		vtnet blast "$PEER" "$PORT" "$UDP" "$maxlen" "$WINDOW" "$CPUS" "$FLOWS" |
			sed "s/^RESULT udp_/RESULT ${tag}udp_/; s/ udp_/ ${tag}udp_/g"
	fi
}

case "$MODE" in
basic)
	traffic ""
	;;
echo)
	traffic ""
	wait $epid
	;;
reconnect)
	traffic ""
	echo "READY phase=1 uptime=$(up)"
	if wait_carrier 0 "$DOWN_WAIT"; then
		echo "RESULT link_down=$(up)"
		if wait_carrier 1 "$DOWN_WAIT"; then
			echo "RESULT link_back=$(up)"
			traffic "p2_"
		else
			echo "RESULT error=link_stayed_down"
		fi
	else
		echo "RESULT error=link_never_down"
	fi
	;;
*)
	echo "RESULT error=unknown_mode_$MODE"
	;;
esac
finish ok
