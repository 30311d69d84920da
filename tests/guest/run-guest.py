#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Boots one test guest on a vhost-user socket that a back-end already serves (or that
QEMU serves with --server) and prints its RESULT lines as key=value, one per line.

  run-guest.py --sock /run/vhostd/vm1.sock [--server] [--reconnect] [--queues N]
               [--smp N] [--mac M] [--timeout S] [--keep] [vt.KEY=VALUE ...]

vt.* parameters go to the guest's /init (see init.sh): vt.ping=20 vt.udp=3000
vt.peer=10.0.0.1 ... Exit status 0 when the guest reports done=ok and no error.
"""
import argparse
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtguest as vt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sock", required=True)
    ap.add_argument("--server", action="store_true", help="QEMU listens (server=on,wait=off)")
    ap.add_argument("--reconnect", action="store_true", help="client with reconnect=1")
    ap.add_argument("--queues", type=int, default=1)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--mac", default="52:54:00:00:00:02")
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--keep", action="store_true", help="keep the serial and QEMU logs")
    ap.add_argument("params", nargs="*", help="vt.KEY=VALUE for the guest's /init")
    a = ap.parse_args()
    params = {}
    for kv in a.params:
        k, _, v = kv.partition("=")
        params[k[3:] if k.startswith("vt.") else k] = v
    vt.install_signal_handlers()
    kernel, initrd = vt.build_guest()
    wd = vt.workdir()
    cleanup = vt.Cleanup()
    rc = 1
    try:
        accel = vt.pick_accel(kernel, initrd, wd)
        g = vt.Guest("guest", wd, kernel, initrd, accel, a.sock, server=a.server,
                     reconnect=a.reconnect, queues=a.queues, smp=max(a.smp, 1), mac=a.mac,
                     params=params)
        g.start(cleanup)
        boot = g.wait_for(r"^VT-INIT", a.timeout)
        done = g.wait_for(r"^RESULT done=", max(a.timeout - (boot or 0), 1))
        res = g.results()
        print(f"accel={accel}")
        print(f"boot_s={boot:.1f}" if boot else "boot_s=none")
        for k, v in res.items():
            print(f"{k}={v}")
        if done is None:
            print(f"run-guest: no result after {a.timeout:.0f}s\n{g.diag()}", file=sys.stderr)
        elif res.get("done") == "ok" and "error" not in res:
            rc = 0
        else:
            print(g.diag(), file=sys.stderr)
        g.wait_exit(10)
    finally:
        cleanup.run()
        if a.keep or rc:
            print(f"run-guest: logs in {wd}", file=sys.stderr)
        else:
            shutil.rmtree(wd, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
