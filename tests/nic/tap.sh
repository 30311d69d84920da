#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# net_tap as the NIC, in a network namespace made here: the namespace's kernel pings
# through vhostd to DPDK's virtio_user (testpmd icmpecho answers ARP and echo requests)
# and back (iputils ping, or icmping.py where it is missing). Every ping must be answered, vhostd's counters must agree both ways with no
# drop, and a link taken down (ip link set down) must be logged once and shown in stats.
# usage: tap.sh VHOSTD
. "$(dirname "$0")/nlib.sh"
shift
command -v ip >/dev/null || fail "iproute2 (ip) not found"
NS=vdnic$TAG TAP=vdtap$TAG COUNT=20
trap 'rc=$?; ip netns del "$NS" 2>/dev/null; (exit $rc); cleanup' EXIT
ip netns add "$NS" || fail "cannot create network namespace $NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$NS" ip link set lo up
# vhostd runs inside the namespace, so the tap it creates is born there.
REAL_VHOSTD=$VHOSTD
VHOSTD=$T/vhostd-in-ns
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$REAL_VHOSTD" >"$VHOSTD"
chmod +x "$VHOSTD"
cat >"$T/vhostd.ini" <<INI
[nic tap]
device = net_tap0,iface=$TAP

[vhost vm1]
socket = $T/vm1.sock

[link]
vm1 = tap
INI
start_vhostd vd --config "$T/vhostd.ini"
wait_file "$T/vm1.sock" 10
wait_log "$T/vd.err" "nic 'tap': link up" 10
start_guest fe "path=$T/vm1.sock,queues=1,mac=02:00:00:00:00:02" icmpecho 1
tp_cmd fe "start"
ip netns exec "$NS" ip addr add 10.77.0.1/24 dev "$TAP"
ip netns exec "$NS" ip link set "$TAP" up
# iputils ping when there is one, else the same through a raw socket (icmping.py).
if command -v ping >/dev/null; then
	ip netns exec "$NS" ping -c $COUNT -i 0.2 -W 2 10.77.0.2 >"$T/ping.out" 2>&1
else
	ip netns exec "$NS" python3 "$NIC_DIR/icmping.py" 10.77.0.2 $COUNT >"$T/ping.out" 2>&1
fi
note "$(grep -E 'transmitted|rtt' "$T/ping.out" | tr '\n' ' ')"
grep -q "^$COUNT packets transmitted, $COUNT received" "$T/ping.out" ||
	fail "not every ping was answered: $(grep transmitted "$T/ping.out")"
sleep 1.5 # one more stats line after the last reply
J() { vd_json vd "$1"; }
TRX=$(J "j['ports']['tap']['rx_packets']"); TTX=$(J "j['ports']['tap']['tx_packets']")
GRX=$(vd_sum vd vm1 rx packets); GTX=$(vd_sum vd vm1 tx packets)
note "vhostd: from tap $TRX -> guest $GRX; from guest $GTX -> tap $TTX"
[ "$TRX" -ge $((COUNT + 1)) ] || fail "vhostd took only $TRX packets from the tap (want >= $((COUNT + 1)))"
[ "$GRX" = "$TRX" ] || fail "vhostd took $TRX from the tap, delivered $GRX to the guest"
[ "$TTX" = "$GTX" ] || fail "vhostd took $GTX from the guest, sent $TTX to the tap"
[ "$GTX" -ge $((COUNT + 1)) ] || fail "the guest answered only $GTX packets"
[ "$(vd_guest_drops vd)" = 0 ] || fail "vhostd counted $(vd_guest_drops vd) drops/errors"
# Link down: logged once, visible in the JSON; then up again.
ip netns exec "$NS" ip link set "$TAP" down
wait_log "$T/vd.err" "nic 'tap': link down" 5
sleep 3
wait_json vd "not j['ports']['tap']['link_up'] and j['ports']['tap']['link_downs'] == 1" 3
N=$(grep -c "nic 'tap': link down" "$T/vd.err")
[ "$N" = 1 ] || fail "link down logged $N times, want once"
note "$(grep "nic 'tap': link down" "$T/vd.err")"
ip netns exec "$NS" ip link set "$TAP" up
wait_json vd "j['ports']['tap']['link_up']" 5
[ "$(grep -c "nic 'tap': link up" "$T/vd.err")" = 2 ] || fail "link up not logged again"
tp_cmd fe "stop"
stop_testpmd fe
stop_vhostd vd
echo "PASS"
