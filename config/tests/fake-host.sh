#!/bin/sh
# Build a fake host tree (sysfs, procfs, /dev, /boot) for vhostd-xml's sysfs readers and
# host-check. usage: fake-host.sh DIR good|bare
set -eu
R=$1
mkdir -p "$R/proc" "$R/sys/bus/pci/devices" "$R/sys/class/net" "$R/dev" "$R/boot" \
	"$R/sys/devices/system/node/node0"
if [ "$2" = bare ]; then
	echo 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet' > "$R/proc/cmdline"
	printf 'MemTotal:       24000000 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\n' \
		> "$R/proc/meminfo"
	echo 'proc /proc proc rw 0 0' > "$R/proc/mounts"
	exit 0
fi

echo 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt' > "$R/proc/cmdline"
printf 'MemTotal:       24000000 kB\nHugePages_Total:    1024\nHugePages_Free:     1024\nHugepagesize:       2048 kB\n' \
	> "$R/proc/meminfo"
printf 'proc /proc proc rw 0 0\nhugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n' \
	> "$R/proc/mounts"
for g in 0 1 12 20 40 41; do mkdir -p "$R/sys/kernel/iommu_groups/$g/devices"; done
mkdir -p "$R/sys/bus/pci/drivers/vfio-pci" "$R/sys/bus/pci/drivers/e1000e" \
	"$R/sys/bus/pci/drivers/ixgbe" "$R/sys/bus/pci/drivers/ixgbevf" \
	"$R/sys/bus/pci/drivers/virtio-pci" \
	"$R/sys/devices/system/node/node1"
: > "$R/dev/vhost-net"
: > "$R/dev/kvm"
printf 'CONFIG_VIRTIO=y\nCONFIG_VIRTIO_NET=m\n' > "$R/boot/config-6.1.0-13-amd64"

# pcidev ADDR CLASS DRIVER NUMA [IFNAME]
pcidev() {
	d="$R/sys/bus/pci/devices/$1"
	mkdir -p "$d"
	echo "$2" > "$d/class"
	echo "$4" > "$d/numa_node"
	[ "$3" = none ] || ln -s "../../../bus/pci/drivers/$3" "$d/driver"
	if [ $# -ge 5 ]; then
		mkdir -p "$d/net/$5"
		ln -s "../../bus/pci/devices/$1" "$R/sys/class/net/$5/device" 2>/dev/null ||
			{ mkdir -p "$R/sys/class/net/$5"; ln -s "../../../bus/pci/devices/$1" \
				"$R/sys/class/net/$5/device"; }
	fi
}
pcidev 0000:00:00.0 0x060000 none 0
pcidev 0000:00:03.0 0x020000 virtio-pci -1
mkdir -p "$R/sys/bus/pci/devices/0000:00:03.0/virtio0/net/ens3"
pcidev 0000:02:00.0 0x020000 e1000e 0 eth0
pcidev 0000:03:00.0 0x020000 ixgbe 1 enp3s0f0
pcidev 0000:03:10.0 0x020000 vfio-pci 1
pcidev 0000:03:10.2 0x020000 ixgbevf 1 enp3s16f2
echo 8 > "$R/sys/bus/pci/devices/0000:03:00.0/sriov_totalvfs"
echo 2 > "$R/sys/bus/pci/devices/0000:03:00.0/sriov_numvfs"
ln -s ../0000:03:10.0 "$R/sys/bus/pci/devices/0000:03:00.0/virtfn0"
ln -s ../0000:03:10.2 "$R/sys/bus/pci/devices/0000:03:00.0/virtfn1"
# a PF with SR-IOV but no VFs enabled yet
pcidev 0000:04:00.0 0x020000 ixgbe 1 enp4s0f0
echo 8 > "$R/sys/bus/pci/devices/0000:04:00.0/sriov_totalvfs"
echo 0 > "$R/sys/bus/pci/devices/0000:04:00.0/sriov_numvfs"
