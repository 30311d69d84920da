#!/usr/bin/env python3
"""vhostd against DPDK's vhost library (net_vhost PMD in dpdk-testpmd), same machine, same run.

The front-end is DPDK's virtio_user in dpdk-testpmd on CPU 1; the back-end under test runs on
CPU 0. Scenarios:
  loop  the back-end returns every packet the guest sends (vhostd --loopback; testpmd
        io-forwarding its one vhost port to itself); the front-end io-forwards what comes
        back after injecting 32 bursts. Number: packets per second around that loop.
  tx    guest TX into a sink: the front-end sends (txonly), the back-end forwards to a
        net_null NIC that drops everything (vhostd [link] to [nic] net_null0,no-rx=1;
        testpmd net_vhost + net_null io). Number: packets the front-end got onto the ring.
  rx    guest RX from a source: a net_null NIC makes endless frames of --size bytes, the
        back-end delivers them to the guest (front-end rxonly). Number: packets received.

Runs alternate A B A B ... because this 2-core machine's rates swing between repeats; the
median of per-pair ratios is the result. This is a benchmark, not a test.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testpmd import Testpmd  # noqa: E402

SOCK = "/tmp/vhostd-bench.sock"


def null_vdev(scenario, size):
    return "net_null0,no-rx=1" if scenario == "tx" else f"net_null0,size={size}"


def start_rte_vhost(args):
    vdevs = [f"net_vhost0,iface={SOCK},queues=1"]
    if args.scenario != "loop":
        vdevs.append(null_vdev(args.scenario, args.size))
    be = Testpmd("bench-be", "0@0,1@0", vdevs, "io")
    if not be.wait_for(r"testpmd>", 30):
        raise RuntimeError("rte_vhost back-end did not start: " + be.output()[-800:])
    be.send("start")
    return be.quit


def vhostd_cmd(args):
    cmd = [args.vhostd, "--file-prefix", "bench-vhostd", "--stats-interval", "0"]
    if args.scenario == "loop":
        return cmd + ["--socket", SOCK, "--loopback", "--lcores", "0"]
    conf = tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False)
    conf.write(f"[dataplane]\nlcores = 0\nburst = 32\n\n[vhost vm]\nsocket = {SOCK}\n\n"
               f"[nic null]\ndevice = {null_vdev(args.scenario, args.size)}\n\n"
               "[link]\nvm = null\n")
    conf.close()
    return cmd + ["--config", conf.name]


def start_vhostd(args):
    log = open("/tmp/vhostd-bench.log", "w")
    proc = subprocess.Popen(vhostd_cmd(args), stdout=log, stderr=subprocess.STDOUT)
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


FE_MODE = {"loop": "io", "tx": "txonly", "rx": "rxonly"}


def one_run(start_backend, args):
    if os.path.exists(SOCK):
        os.unlink(SOCK)
    stop = start_backend(args)
    vdev = f"net_virtio_user0,path={SOCK},queues=1"
    if args.packed:
        vdev += ",packed_vq=1"
    if not args.mrg:
        vdev += ",mrg_rxbuf=0"
    fe = Testpmd("bench-fe", "0@1,1@1", [vdev], FE_MODE[args.scenario],
                 extra_app=[f"--txpkts={args.size}"])
    try:
        if not fe.wait_for(r"testpmd>", 30):
            raise RuntimeError("front-end did not start: " + fe.output()[-800:])
        time.sleep(1)
        fe.send("start tx_first 32" if args.scenario == "loop" else "start")
        time.sleep(1)
        r1, t1 = fe.port_stats()
        time.sleep(args.seconds)
        r2, t2 = fe.port_stats()
        moved = (t2 - t1) if args.scenario == "tx" else (r2 - r1)
        return moved / args.seconds / 1e6
    finally:
        fe.quit()
        stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vhostd", default="build-rel/backend/daemon/vhostd")
    ap.add_argument("--scenario", choices=sorted(FE_MODE), default="loop")
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
    print(f"{args.scenario} {args.size}B {ring} mrg={int(args.mrg)}: median ratio "
          f"vhostd/rte_vhost {statistics.median(ratios):.2f} over {args.pairs} pairs "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
