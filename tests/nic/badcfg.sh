#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad NIC configs: vhostd must refuse to start with one exact line on stderr naming the key
# and the fix, and a non-zero exit code (2: the config file itself; 1: a device refused).
#   unknown device, a PCI device not bound to vfio-pci, more queues than the port has,
#   a [link] naming a port that does not exist.
# usage: badcfg.sh VHOSTD
. "$(dirname "$0")/nlib.sh"
shift

# expect NAME EXIT LINE: vhostd --config $T/NAME.ini must exit EXIT and print LINE.
expect() {
	local name=$1 want_rc=$2 want=$3 rc
	timeout 60 "$VHOSTD" --config "$T/$name.ini" --lcores 0 --file-prefix "vd-$name-$TAG" \
		--eal "$VD_EAL" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	grep -qFx -- "$want" "$T/$name.err" ||
		fail "$name: line not printed: '$want'; stderr was: $(grep -v '^EAL\|^TELEMETRY' "$T/$name.err")"
	[ $rc = "$want_rc" ] || fail "$name: exit $rc, want $want_rc"
	[ ! -e "$T/$name.sock" ] || fail "$name: vhostd left $T/$name.sock behind"
	note "$name: exit $rc: $want"
}

# cfg NAME DEVICE [QUEUES] [LINK_PEER]: a NIC and a vhost port, linked.
cfg() {
	cat >"$T/$1.ini" <<INI
[nic nic0]
device = $2
queues = ${3:-1}

[vhost vm1]
socket = $T/$1.sock

[link]
vm1 = ${4:-nic0}
INI
}

cfg unknown "net_bogus0,x=1"
expect unknown 1 "vhostd: nic 'nic0': key 'device': cannot probe 'net_bogus0,x=1' (error -14); check the driver name and its arguments"

# A PCI device held by a kernel driver and of a class no DPDK NIC driver claims (not a
# network controller), so EAL leaves it alone while vhostd looks at its binding.
PCI=
for d in /sys/bus/pci/devices/*; do
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	case $(cat "$d/class") in 0x02*) continue ;; esac
	[ -n "$drv" ] && [ "$drv" != vfio-pci ] && { PCI=$(basename "$d"); break; }
done
[ -n "$PCI" ] || fail "no PCI device bound to a kernel driver on this host to try"
cfg pci "$PCI"
expect pci 1 "vhostd: nic 'nic0': key 'device': PCI device $PCI is bound to $drv, not vfio-pci; bind it: modprobe vfio-pci && dpdk-devbind.py -b vfio-pci $PCI"

$PCAPTOOL gen "$T/in.pcap" 1 0
cfg queues "net_pcap0,rx_pcap=$T/in.pcap,tx_pcap=$T/out.pcap" 2
expect queues 1 "vhostd: nic 'nic0': key 'queues': 2 queues asked, net_pcap0 has at most 1 (rx 1, tx 1); set queues = 1 or less"

cfg nolink "net_null0" 1 uplink
expect nolink 2 "vhostd: $T/nolink.ini:9: key 'vm1': unknown port 'uplink'; declare it as [vhost uplink] or [nic uplink]"
echo "PASS"
