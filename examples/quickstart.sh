#!/usr/bin/env bash
# README's first command: install, build, and run the main job on vhostd's embedded
# default: one vhost-user server port (/run/vhostd/vhost0.sock) linked to a net_tap NIC
# (vhostd0), a QEMU guest attached that pings the host through it, a live line of
# vhostd's counters, and a summary. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
[ -f build-rel/build.ninja ] || meson setup build-rel --buildtype=release >/dev/null
ninja -C build-rel -j2 >/dev/null
VHOSTD="$PWD/build-rel/backend/daemon/vhostd" exec bash tests/guest/demo.sh
