#!/usr/bin/env bash
# Installs every package vhostd builds and tests with, and prepares the host:
# hugepages, the hugetlbfs mount, /run/vhostd. Idempotent; run as root.
set -euo pipefail

PKGS=(
	build-essential pkg-config meson ninja-build clang-format
	dpdk dpdk-dev libdpdk-dev liburing-dev libxml2-dev libxml2-utils libcmocka-dev
	libvirt-clients libvirt-daemon
	qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils zstd
	iproute2 procps python3 valgrind
)

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: run as root (apt-get, hugepages and network namespaces need it)" >&2
		exit 1
	fi
}

install_packages() {
	local missing=()
	local p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_hugepages() {
	local want=${VHOSTD_HUGEPAGES:-1024}
	local have
	have=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$have" -lt "$want" ]; then
		echo "$want" >/proc/sys/vm/nr_hugepages
	fi
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages
	have=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$have" -lt 256 ]; then
		echo "setup: only $have hugepages could be reserved; tests need 256 (free memory?)" >&2
		exit 1
	fi
}

need_root
install_packages
setup_hugepages
mkdir -p /run/vhostd
echo "setup: ok ($(cat /proc/sys/vm/nr_hugepages) hugepages of 2 MB)"
