#!/bin/bash
# vhostd-xml checks (meson suite 'config'): every output form against its golden file,
# then through libvirt's schema (virt-xml-validate) and libvirt's own parser (virsh on the
# test driver, define --validate + dumpxml in one call); every bad input against its
# exact one-line error and exit status 2; host-check against fake host trees.
# usage: xml_test.sh VHOSTD_XML TESTS_DIR     (UPDATE_GOLDEN=1 rewrites the golden files)
set -u
X=$1
T=$2
D=$T/data
G=$T/golden
for tool in virt-xml-validate virsh; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing (apt-get install libvirt-clients libvirt-daemon libxml2-utils)"; exit 77; }
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
R=$W/host
B=$W/bare
"$T/fake-host.sh" "$R" good
"$T/fake-host.sh" "$B" bare
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# First line of a golden file as libvirt's dumpxml writes it (single quotes).
headline() { head -n1 "$1" | tr '"' "'" | sed 's/^ *//'; }

# virsh on the test driver: define with validation and dump in one call, then make sure
# the device survived libvirt's parser.
virsh_domain() { # FILE NAME LINE
	local out
	if ! out=$(virsh -q -c test:///default "define --validate $1; dumpxml $2" 2>&1); then
		bad "virsh refused $1: $out"
		return
	fi
	grep -qF -- "$3" <<<"$out" && ok || bad "virsh dumpxml of $1 lacks $3"
}

wrap() { # FRAGMENT OUT
	{
		echo "<domain type='kvm'><name>vx</name><memory>524288</memory>"
		echo "<os><type arch='x86_64'>hvm</type></os><devices>"
		cat "$1"
		echo "</devices></domain>"
	} >"$2"
}

validate() { # TYPE FILE(golden)
	local f=$2 name
	case $1 in
	frag)
		wrap "$f" "$W/wrapped.xml"
		virt-xml-validate "$W/wrapped.xml" domain >/dev/null 2>&1 && ok || bad "schema: $f"
		virsh_domain "$W/wrapped.xml" vx "$(headline "$f")"
		;;
	domain)
		virt-xml-validate "$f" domain >/dev/null 2>&1 && ok || bad "schema: $f"
		name=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$f" | head -n1)
		virsh_domain "$f" "$name" "<domain type='kvm'>"
		;;
	network)
		virt-xml-validate "$f" network >/dev/null 2>&1 && ok || bad "schema: $f"
		name=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$f" | head -n1)
		out=$(virsh -q -c test:///default "net-define $f; net-dumpxml $name" 2>&1) &&
			grep -qF "<forward mode='hostdev' managed='yes'>" <<<"$out" && ok ||
			bad "virsh refused network $f: $out"
		;;
	esac
}

golden() { # NAME TYPE ARGS...
	local name=$1 type=$2 rc
	shift 2
	"$X" "$@" >"$W/out" 2>"$W/err"
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$W/err" ] || { bad "$name: rc $rc: $(cat "$W/err")"; return; }
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$W/out" "$G/$name.xml"
	if diff -u "$G/$name.xml" "$W/out"; then ok; else bad "$name: differs from golden"; fi
	validate "$type" "$G/$name.xml"
}

err() { # NAME EXPECTED-STDERR ARGS...   (paths: TESTS for the tests dir, ROOT for the fake host)
	local name=$1 want=$2 rc got
	shift 2
	"$X" "$@" >"$W/out" 2>"$W/err"
	rc=$?
	got=$(sed -e "s|$R|ROOT|g" -e "s|$T|TESTS|g" "$W/err")
	[ $rc -eq 2 ] || bad "$name: exit $rc, want 2"
	[ ! -s "$W/out" ] || bad "$name: wrote to stdout"
	[ "$(wc -l <"$W/err")" -eq 1 ] || bad "$name: stderr is not one line"
	[ "$got" = "$want" ] && ok || bad "$name: stderr
   got: $got
  want: $want"
}

hostcheck() { # NAME ROOT RC
	local rc
	"$X" host-check --root "$2" >"$W/out" 2>"$W/err"
	rc=$?
	[ $rc -eq "$3" ] && [ ! -s "$W/err" ] || bad "$1: rc $rc want $3: $(cat "$W/err")"
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$W/out" "$G/$1.txt"
	if diff -u "$G/$1.txt" "$W/out"; then ok; else bad "$1: differs from golden"; fi
}

# --- vhost-user (vhostd's own port) ---
golden vhostuser-flags frag vhostuser --socket /run/vhostd/vm1.sock --queues 2 \
	--rx-queue-size 1024 --tx-queue-size 1024 --mac 52:54:00:12:34:56 --mtu 9000
golden vhostuser-config-server frag vhostuser --config "$D/vhostd.ini" --port vm1
golden vhostuser-config-client frag vhostuser --config "$D/vhostd.ini" --port vm2
golden vhostuser-override frag vhostuser --config "$D/vhostd.ini" --port vm1 --queues 4 \
	--reconnect 5 --rx-queue-size 512 --mtu 1500
golden vhostuser-no-reconnect frag vhostuser --socket /run/vhostd/vm3.sock --reconnect 0
# --- the article's methods 1 and 2: virtio, vhost-net ---
golden virtio-bridge frag virtio --bridge br0 --mac 52:54:00:00:00:11
golden vhost-net-bridge frag vhost-net --bridge br0 --queues 4 --mac 52:54:00:00:00:12
golden vhost-net-off frag vhost-net --network default --off
# --- method 3: passthrough, from an address, a nodedev file or sysfs: one result ---
golden passthrough-nic frag passthrough --pci 0000:02:00.0
golden passthrough-nic frag passthrough --pci 02:00.0
golden passthrough-nic frag passthrough --nodedev "$D/nodedev-nic.xml"
golden passthrough-nic frag passthrough --ifname eth0 --sysfs-root "$R"
golden passthrough-nic frag passthrough --pci 0000:02:00.0 --sysfs-root "$R"
# --- method 4: SR-IOV, one VF three ways, and VF pools ---
golden sriov-vf frag sriov-vf --vf-nodedev "$D/nodedev-vf.xml" --mac 52:54:00:00:00:02 --vlan 42
golden sriov-vf frag sriov-vf --pf-nodedev "$D/nodedev-pf.xml" --vf 1 --mac 52:54:00:00:00:02 \
	--vlan 42
golden sriov-vf frag sriov-vf --pf 0000:03:00.0 --sysfs-root "$R" --vf 1 \
	--mac 52:54:00:00:00:02 --vlan 42
golden sriov-vf-plain frag sriov-vf --pf-nodedev "$D/nodedev-pf.xml" --vf 0
golden sriov-pool-pf network sriov-pool --name vfpool --pf-dev enp3s0f0
golden sriov-pool-vfs network sriov-pool --name vfpool --pf-nodedev "$D/nodedev-pf.xml"
golden sriov-pool-vfs network sriov-pool --name vfpool --pf 0000:03:00.0 --sysfs-root "$R"
# --- whole domains: the device added, shared memory for vhost-user, the rest kept ---
golden domain-vhostuser domain domain "$D/domain-in.xml" vhostuser --config "$D/vhostd.ini" \
	--port vm1
golden domain-vhostuser-hugepages domain domain --memory hugepages "$D/domain-mb.xml" \
	vhostuser --socket /run/vhostd/vm2.sock
golden domain-passthrough domain domain "$D/domain-in.xml" passthrough \
	--nodedev "$D/nodedev-nic.xml"
golden domain-vhost-net domain domain "$D/domain-in.xml" vhost-net --network default
golden domain-sriov-vf domain domain "$D/domain-nodevices.xml" sriov-vf \
	--vf-nodedev "$D/nodedev-vf.xml" --vlan 7

# libvirt's parser must be able to say no: reconnect in server mode is refused.
wrap "$D/bad-vhostuser-server-reconnect.xml" "$W/refused.xml"
if virsh -q -c test:///default "define --validate $W/refused.xml; dumpxml vx" >/dev/null 2>&1; then
	bad "virsh accepted reconnect with mode='server'"
else
	ok
fi

# --- bad input: one line on stderr, exit 2 ---
err malformed-nodedev "vhostd-xml: TESTS/data/nodedev-malformed.xml:7: malformed XML: expected '>'; pass the unmodified output of virsh nodedev-dumpxml" \
	passthrough --nodedev "$D/nodedev-malformed.xml"
err missing-nodedev "vhostd-xml: TESTS/data/none.xml: cannot read: No such file or directory; check the path" \
	passthrough --nodedev "$D/none.xml"
err not-pci-nodedev "vhostd-xml: TESTS/data/nodedev-net.xml: no <capability type='pci'>; this node device is not a PCI device (list them with virsh nodedev-list --cap pci)" \
	passthrough --nodedev "$D/nodedev-net.xml"
err not-device-root "vhostd-xml: TESTS/data/domain-in.xml: root element is <domain>, not <device>; pass the output of virsh nodedev-dumpxml" \
	passthrough --nodedev "$D/domain-in.xml"
err bad-bus "vhostd-xml: TESTS/data/nodedev-badbus.xml: bus '300' is not a PCI bus (0..255); pass the unmodified output of virsh nodedev-dumpxml" \
	passthrough --nodedev "$D/nodedev-badbus.xml"
err nic-as-pf "vhostd-xml: TESTS/data/nodedev-nic.xml: device 0000:02:00.0 has no <capability type='virt_functions'>; it is not an SR-IOV physical function" \
	sriov-vf --pf-nodedev "$D/nodedev-nic.xml" --vf 0
err nic-as-vf "vhostd-xml: TESTS/data/nodedev-nic.xml: device 0000:02:00.0 has no <capability type='phys_function'>; it is not an SR-IOV VF (use passthrough for a whole NIC)" \
	sriov-vf --vf-nodedev "$D/nodedev-nic.xml"
err pci-short "vhostd-xml: --pci 02:00: not a PCI address; write DDDD:BB:SS.F such as 0000:02:00.0" \
	passthrough --pci 02:00
err pci-slot "vhostd-xml: --pci 0000:02:20.0: not a PCI address; write DDDD:BB:SS.F such as 0000:02:00.0" \
	passthrough --pci 0000:02:20.0
err pci-pf "vhostd-xml: --pf 0000:03:00.g: not a PCI address; write DDDD:BB:SS.F such as 0000:02:00.0" \
	sriov-vf --pf 0000:03:00.g --vf 0
err pci-absent "vhostd-xml: 0000:09:00.0: no such PCI device in ROOT/sys/bus/pci/devices; check the address with lspci -D" \
	passthrough --pci 0000:09:00.0 --sysfs-root "$R"
err ifname-absent "vhostd-xml: eth9: no PCI device behind ROOT/sys/class/net/eth9; pick a physical NIC (ip link, lspci -D)" \
	passthrough --ifname eth9 --sysfs-root "$R"
err ifname-walk "vhostd-xml: ../x: not a network interface name; give one as ip link shows it" \
	passthrough --ifname ../x --sysfs-root "$R"
err vlan-4096 "vhostd-xml: --vlan 4096: out of range; use 0..4095" \
	sriov-vf --vf-nodedev "$D/nodedev-vf.xml" --vlan 4096
err vlan-text "vhostd-xml: --vlan ten: not a number; use 0..4095" \
	sriov-vf --vf-nodedev "$D/nodedev-vf.xml" --vlan ten
err rxq-pow2 "vhostd-xml: --rx-queue-size 384: not a power of two; use 256, 512 or 1024" \
	vhostuser --socket /s --rx-queue-size 384
err txq-range "vhostd-xml: --tx-queue-size 2048: out of range; use 256, 512 or 1024" \
	vhost-net --bridge br0 --tx-queue-size 2048
err vf-past-nodedev "vhostd-xml: --vf 2: PF 0000:03:00.0 has 2 VFs enabled (0..1); pick one of those or enable more with sriov_numvfs" \
	sriov-vf --pf-nodedev "$D/nodedev-pf.xml" --vf 2
err vf-past-sysfs "vhostd-xml: --vf 5: PF 0000:03:00.0 has 2 VFs enabled (0..1); pick one of those or enable more with sriov_numvfs" \
	sriov-vf --pf 0000:03:00.0 --sysfs-root "$R" --vf 5
err vf-none-enabled "vhostd-xml: --vf 0: PF 0000:04:00.0 has no VFs enabled; enable some with echo N > /sys/bus/pci/devices/0000:04:00.0/sriov_numvfs" \
	sriov-vf --pf 0000:04:00.0 --sysfs-root "$R" --vf 0
err not-sriov-sysfs "vhostd-xml: 0000:02:00.0: no sriov_totalvfs in sysfs; it is not an SR-IOV physical function" \
	sriov-pool --name p --pf 0000:02:00.0 --sysfs-root "$R"
err vf-needs-index "vhostd-xml: sriov-vf: --pf-nodedev needs --vf INDEX" \
	sriov-vf --pf-nodedev "$D/nodedev-pf.xml"
err vf-nodedev-and-index "vhostd-xml: sriov-vf: --vf-nodedev names the VF already; drop --vf" \
	sriov-vf --vf-nodedev "$D/nodedev-vf.xml" --vf 1
err reconnect-server "vhostd-xml: --reconnect 3: libvirt allows reconnect only when QEMU is the client (vhostd mode server); drop --reconnect" \
	vhostuser --socket /s --vhostd-mode client --reconnect 3
err bad-mac "vhostd-xml: --mac 01:00:5e:00:00:01: not a unicast MAC address; write six hex bytes such as 52:54:00:12:34:56" \
	vhostuser --socket /s --mac 01:00:5e:00:00:01
err queues-zero "vhostd-xml: --queues 0: out of range; use 1..16" \
	vhostuser --socket /s --queues 0
err config-error "vhostd-xml: TESTS/data/bad.ini:3: key 'queues': 0 is out of range; use 1..16" \
	vhostuser --config "$D/bad.ini" --port vm1
err config-port "vhostd-xml: --port nope: no [vhost nope] in TESTS/data/vhostd.ini; pick a vhost port from it" \
	vhostuser --config "$D/vhostd.ini" --port nope
err socket-long "vhostd-xml: --socket: path is 120 bytes, sun_path holds at most 107; use a shorter path" \
	vhostuser --socket "/$(printf 'x%.0s' $(seq 119))"
err no-socket "vhostd-xml: vhostuser: give --socket PATH or --config FILE --port NAME" vhostuser
err both-bridge-network "vhostd-xml: vhost-net: give exactly one of --bridge BR or --network NET" \
	vhost-net --bridge br0 --network default
err option-not-here "vhostd-xml: passthrough: --vlan does not apply here; drop it" \
	passthrough --pci 02:00.0 --vlan 3
err option-twice "vhostd-xml: passthrough: --pci given twice; keep one" \
	passthrough --pci 02:00.0 --pci 03:00.0
err unknown-option "vhostd-xml: passthrough: unknown option or missing value '--bogus'; see vhostd-xml --help" \
	passthrough --bogus
err unknown-command "vhostd-xml: frobnicate: unknown subcommand; see vhostd-xml --help" frobnicate
err domain-malformed "vhostd-xml: TESTS/data/domain-malformed.xml:2: malformed XML: Premature end of data in tag domain line 1; pass the output of virsh dumpxml" \
	domain "$D/domain-malformed.xml" passthrough --pci 02:00.0
err domain-not-domain "vhostd-xml: TESTS/data/nodedev-nic.xml: root element is <device>, not <domain>; pass the output of virsh dumpxml" \
	domain "$D/nodedev-nic.xml" passthrough --pci 02:00.0
err domain-network "vhostd-xml: domain: sriov-pool makes a <network>, not a device; define it with virsh net-define" \
	domain "$D/domain-in.xml" sriov-pool --name p --pf-dev eth0
err domain-memory "vhostd-xml: --memory tmpfs: not a memory source; use memfd or hugepages" \
	domain --memory tmpfs "$D/domain-in.xml" vhostuser --socket /s
err hostcheck-root "vhostd-xml: --root /nonexistent: not a directory; give the root of a host tree" \
	host-check --root /nonexistent

# --- host-check on a prepared host and a bare one ---
hostcheck hostcheck-good "$R" 0
hostcheck hostcheck-bare "$B" 1

echo "vhostd-xml: $pass passed, $fail failed"
[ $fail -eq 0 ]
