#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's main job, live: the back-end serves /run/vhostd/vhost0.sock, its uplink is a
# tap whose other end is the host kernel (in a network namespace made for the demo), and a
# QEMU guest pings the host and echoes UDP through it. One line of back-end stats updates
# each second; a summary follows. Needs root.
#   BACKEND=testpmd (DPDK's net_vhost, the default until vhostd is built) or BACKEND=vhostd
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${BACKEND:-}" ]; then
	if ls "$here"/../../build*/backend/daemon/vhostd >/dev/null 2>&1 || [ -n "${VHOSTD:-}" ]; then
		export BACKEND=vhostd
	else
		export BACKEND=testpmd
	fi
fi
exec python3 "$here/scenarios.py" demo
