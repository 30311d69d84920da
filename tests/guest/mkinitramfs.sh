#!/bin/bash
# Builds the test guest: the host's Debian kernel and a small cpio initramfs holding
# busybox-static, the virtio-net modules of that very kernel, vtnet (static) and init.sh.
# Prints two lines, "KERNEL=path" and "INITRD=path". The result is cached under
# $VT_BUILD/<kernel version>/ and rebuilt only when one of its inputs is newer.
#
# Usage: tests/guest/mkinitramfs.sh [--force]
# Environment: VT_BUILD (default: <repo>/build-guest), VT_KVER (default: newest in /boot).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
VT_BUILD=${VT_BUILD:-$repo/build-guest}
force=0
[ "${1:-}" = --force ] && force=1

# The static busybox: Debian's busybox-static installs it as /bin/busybox.
find_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
			echo "$b"
			return
		fi
	done
	echo "mkinitramfs: no static busybox (apt-get install busybox-static)" >&2
	exit 1
}

need_pkgs() {
	local missing=()
	[ -n "$(ls /boot/vmlinuz-* 2>/dev/null)" ] || missing+=(linux-image-amd64)
	find_busybox >/dev/null 2>&1 || missing+=(busybox-static)
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	command -v ip >/dev/null || missing+=(iproute2)
	command -v gcc >/dev/null || missing+=(gcc libc6-dev)
	command -v cpio >/dev/null || missing+=(cpio)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "mkinitramfs: installing ${missing[*]}" >&2
		apt-get install -y --no-install-recommends "${missing[@]}" >&2
	fi
}

need_pkgs
KVER=${VT_KVER:-$(ls /boot/vmlinuz-* | sed 's|.*/vmlinuz-||' | sort -V | tail -1)}
kernel=/boot/vmlinuz-$KVER
moddir=/lib/modules/$KVER
out=$VT_BUILD/$KVER
initrd=$out/initramfs.cpio.gz
[ -r "$kernel" ] || { echo "mkinitramfs: $kernel not readable" >&2; exit 1; }

# Rebuild only when an input changed: this script, init.sh, vtnet.c, busybox, the modules.
busybox=$(find_busybox)
if [ $force = 0 ] && [ -s "$initrd" ] &&
	[ -z "$(find "$here/init.sh" "$here/vtnet.c" "$0" "$busybox" "$moddir/modules.dep" \
		-newer "$initrd" 2>/dev/null)" ]; then
	echo "KERNEL=$kernel"
	echo "INITRD=$initrd"
	exit 0
fi

mkdir -p "$out"
root=$(mktemp -d "$out/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib/modules}
cp "$busybox" "$root/bin/busybox"
for app in $("$busybox" --list); do
	[ "$app" = busybox ] || ln -s busybox "$root/bin/$app"
done

# Module order matters: each needs the ones before it (modules.dep says so, too).
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	failover net_failover virtio_net; do
	f=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" |
		head -1)
	[ -n "$f" ] || { echo "mkinitramfs: $m not in $moddir (built in?)" >&2; exit 1; }
	case "$f" in
	*.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
	*) cp "$f" "$root/lib/modules/$m.ko" ;;
	esac
done

gcc -static -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$out/vtnet" "$here/vtnet.c"
cp "$out/vtnet" "$root/bin/vtnet"
install -m 0755 "$here/init.sh" "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
mv "$initrd.tmp" "$initrd"
echo "mkinitramfs: built $initrd ($(du -k "$initrd" | cut -f1) KiB) for $KVER" >&2
echo "KERNEL=$kernel"
echo "INITRD=$initrd"
