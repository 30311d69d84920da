#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's main job, live: vhostd on its embedded default (one vhost-user server port
# vhost0 at /run/vhostd/vhost0.sock), uplinked to a net_tap NIC named vhostd0 instead of
# looped back. The tap lives in a network namespace the demo makes (the host kernel there
# is 10.0.0.1 and echoes UDP); a QEMU guest (10.0.0.2) pings it 20 times and sends 1000
# datagrams through vhostd. One line of vhostd's counters updates each second; a summary
# follows; exit 0 when every ping and datagram came back and vhostd's counts match the
# guest's. About 30 s here (TCG). Needs root.
#   VHOSTD=/path/to/vhostd (default: the newest build*/**/vhostd)
#   BACKEND=testpmd runs the same with DPDK's net_vhost (the yardstick) instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BACKEND=${BACKEND:-vhostd}
exec python3 "$here/scenarios.py" demo
