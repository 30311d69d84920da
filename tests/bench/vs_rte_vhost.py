#!/usr/bin/env python3
"""vhostd against DPDK's vhost library (net_vhost PMD in dpdk-testpmd), same machine, same run.

The front-end is DPDK's virtio_user in dpdk-testpmd on CPU 1; the back-end under test runs on
CPU 0. Scenario 'loop': the back-end returns every packet the guest sends (vhostd --loopback;
testpmd io-forwarding its one vhost port to itself) and the front-end io-forwards what it gets
back, after injecting 32 bursts: the packet rate of that loop is the number.

Runs alternate A B A B ... because this 2-core machine's rates swing between repeats; only the
median of per-pair ratios is reported as the result. This is a benchmark, not a test.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testpmd import Testpmd  # noqa: E402

import subprocess  # noqa: E402

SOCK = "/tmp/vhostd-bench.sock"


def start_rte_vhost(args):
    be = Testpmd("bench-be", "0@0,1@0", [f"net_vhost0,iface={SOCK},queues=1"], "io")
    if not be.wait_for(r"testpmd>", 30):
        raise RuntimeError("rte_vhost back-end did not start: " + be.output()[-800:])
    be.send("start")
    return be.quit


def start_vhostd(args):
    log = open("/tmp/vhostd-bench.log", "w")
    cmd = [args.vhostd, "--socket", SOCK, "--loopback", "--lcores", "0",
           "--file-prefix", "bench-vhostd", "--stats-interval", "0"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        if os.path.exists(SOCK):
            break
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("vhostd did not create its socket; see /tmp/vhostd-bench.log")

    def stop():
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return stop


def one_run(start_backend, args):
    if os.path.exists(SOCK):
        os.unlink(SOCK)
    stop = start_backend(args)
    vdev = f"net_virtio_user0,path={SOCK},queues=1"
    if args.packed:
        vdev += ",packed_vq=1"
    if not args.mrg:
        vdev += ",mrg_rxbuf=0"
    fe = Testpmd("bench-fe", "0@1,1@1", [vdev], "io", extra_app=[f"--txpkts={args.size}"])
    try:
        if not fe.wait_for(r"testpmd>", 30):
            raise RuntimeError("front-end did not start: " + fe.output()[-800:])
        time.sleep(1)
        fe.send("start tx_first 32")
        time.sleep(1)
        r1, _ = fe.port_stats()
        time.sleep(args.seconds)
        r2, _ = fe.port_stats()
        return (r2 - r1) / args.seconds / 1e6
    finally:
        fe.quit()
        stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vhostd", default="build-rel/backend/daemon/vhostd")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--packed", action="store_true")
    ap.add_argument("--no-mrg", dest="mrg", action="store_false")
    args = ap.parse_args()
    ratios = []
    for i in range(args.pairs):
        a = one_run(start_vhostd, args)
        b = one_run(start_rte_vhost, args)
        ratios.append(a / b if b else float("inf"))
        print(f"pair {i}: vhostd {a:.2f} Mpps, rte_vhost {b:.2f} Mpps, ratio {ratios[-1]:.2f}",
              flush=True)
    ring = "packed" if args.packed else "split"
    print(f"loop {args.size}B {ring} mrg={int(args.mrg)}: median ratio vhostd/rte_vhost "
          f"{statistics.median(ratios):.2f} over {args.pairs} pairs")


if __name__ == "__main__":
    main()
