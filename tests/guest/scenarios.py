#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests: real QEMU guests (Linux, virtio-net) on a vhost-user back-end.

  scenarios.py [--vhostd PATH] [N ...]   run scenarios N (default: all), exit 0 only if all pass
  scenarios.py demo           one guest pings the host through the back-end, live stats
  scenarios.py --list

Environment:
  BACKEND=vhostd|testpmd   the back-end under test (default vhostd; testpmd is DPDK's
                           net_vhost, the yardstick). vhostd: VHOSTD=binary (or --vhostd PATH),
                           VHOSTD_ARGS='--config {config} --file-prefix {prefix}',
                           VHOSTD_EAL='--no-pci --no-huge -m 512'.
  VT_ACCEL=kvm|tcg         skip the KVM probe.   VT_UDP=N  datagrams per run (3000).
  VT_TIMEOUT_SCALE=F       multiply every timeout (slow CI).   VT_KEEP=1 keep the logs.
  VT_PCAP=1                tcpdump the peer's side of the tap into the log directory.
Needs root (network namespaces), qemu-system-x86, busybox-static, linux-image-amd64, gcc.
"""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtguest as vt  # noqa: E402

SCALE = float(os.environ.get("VT_TIMEOUT_SCALE", "1"))
UDP = int(os.environ.get("VT_UDP", "3000"))
PING = 10


class Fail(Exception):
    pass


class Ctx:
    def __init__(self, num, kind, kernel, initrd, accel):
        self.num, self.kind = num, kind
        self.kernel, self.initrd, self.accel = kernel, initrd, accel
        self.wd = vt.workdir()
        self.cleanup = vt.Cleanup()
        self.parts = []  # objects whose diag() explains a failure
        self.notes = {}  # measured numbers, printed on pass and fail
        self.vtnet = os.path.join(os.path.dirname(initrd), "vtnet")
        self.tag = f"vt{os.getpid() % 100000}s{num}"  # netns and tap names (<= 15 chars)

    def check(self, cond, what):
        if not cond:
            raise Fail(what)

    def guest(self, name, sock, **kw):
        # Guests hold after their results, so the back-end's stats are read while the
        # front-end is still connected (DPDK's vhost PMD has no xstats without one).
        kw.setdefault("params", {}).setdefault("hold", 600)
        g = vt.Guest(name, self.wd, self.kernel, self.initrd, self.accel, sock, **kw)
        self.parts.append(g)
        return g

    def backend(self, vhosts, tap=None, name="be"):
        # With a tap the back-end runs in the peer's namespace (made first), where the tap
        # is born: see Peer.attach.
        b = vt.Backend(self.kind, name, self.wd, vhosts, tap, netns=self.tag if tap else None)
        self.parts.append(b)
        return b

    def peer(self):
        p = vt.Peer(self.tag, self.wd)
        p.create(self.cleanup, self.vtnet)
        p.start_echo()
        self.parts.append(p)
        return p

    def run_guest(self, g, timeout):
        """Waits for a started guest to boot and print its results; returns them."""
        boot = g.wait_for(r"^VT-INIT", 90 * SCALE)
        self.check(boot is not None, f"{g.name}: never reached /init")
        self.notes.setdefault("boot_s", round(boot, 1))
        done = g.wait_for(r"^RESULT done=", timeout * SCALE)
        self.check(done is not None, f"{g.name}: no result {timeout * SCALE:.0f}s after start")
        self.notes.setdefault(f"{g.name}_done_s", round(done, 1))
        res = g.results()
        self.check(res.get("done") == "ok" and "error" not in res,
                   f"{g.name}: guest says done={res.get('done')} error={res.get('error')}")
        self.notes.setdefault("link_up_uptime_s", res.get("link_up"))
        return res


def check_traffic(ctx, res, who, pfx="", ping=PING, udp=UDP):
    """The guest's own verdict on its traffic: every ping answered, every datagram echoed
    once, byte for byte."""
    ctx.check(res.get(f"{pfx}ping_sent") == ping and res.get(f"{pfx}ping_recv") == ping,
              f"{who}: {pfx}ping sent {res.get(f'{pfx}ping_sent')} received "
              f"{res.get(f'{pfx}ping_recv')}, want {ping}/{ping}")
    if udp:
        got = {k: res.get(f"{pfx}udp_{k}") for k in ("sent", "recv", "bad", "lost")}
        ctx.check(got == {"sent": udp, "recv": udp, "bad": 0, "lost": 0},
                  f"{who}: {pfx}udp {got}, want {udp} sent and echoed, 0 bad, 0 lost")
        ctx.notes[f"{who}_{pfx}udp_ms"] = res.get(f"{pfx}udp_ms")


def check_guest_counters(ctx, res, who):
    for k in ("eth0_rx_dropped", "eth0_tx_dropped", "eth0_rx_errors", "eth0_tx_errors"):
        ctx.check(res.get(k) == 0, f"{who}: {k}={res.get(k)}, want 0")


def check_backend_counts(ctx, st, port, res, who):
    """The back-end's count of a guest's packets must match the guest's own: what the guest
    sent, the back-end received, and the other way. Slack of 2: an ARP probe either side
    may cross after the guest read its counters and before it powered off."""
    ctx.check(port in st, f"back-end gave no stats for port {port}: {st}")
    be_rx, be_tx = st[port].get("rx"), st[port].get("tx")
    g_tx, g_rx = res.get("eth0_tx_packets"), res.get("eth0_rx_packets")
    ctx.notes[f"{who}_pkts"] = f"guest tx {g_tx} rx {g_rx} / back-end rx {be_rx} tx {be_tx}"
    ctx.check(be_rx is not None and 0 <= be_rx - g_tx <= 2,
              f"{who}: guest sent {g_tx} packets, back-end received {be_rx}")
    ctx.check(be_tx is not None and 0 <= be_tx - g_rx <= 2,
              f"{who}: back-end sent {be_tx} packets, guest received {g_rx}")


def s1_backend_server(ctx):
    """Back-end server, QEMU client: pings and bulk UDP to the netns peer, none lost."""
    sock = os.path.join(ctx.wd, "vm1.sock")
    peer = ctx.peer()
    be = ctx.backend([(sock, "server", 1)], tap=(ctx.tag, 1))
    be.start(ctx.cleanup)
    peer.attach(ctx.tag)
    g = ctx.guest("g1", sock, params={"ping": PING, "udp": UDP})
    g.start(ctx.cleanup)
    res = ctx.run_guest(g, 150)
    check_traffic(ctx, res, "g1")
    check_guest_counters(ctx, res, "g1")
    echo = peer.stop_echo()
    ctx.check(echo.get("echo_rx") == UDP, f"peer echoed {echo.get('echo_rx')} datagrams, want {UDP}")
    check_backend_counts(ctx, be.stats(), 0, res, "g1")


def s2_qemu_server(ctx):
    """QEMU server (server=on,wait=off), back-end client."""
    sock = os.path.join(ctx.wd, "vm1.sock")
    peer = ctx.peer()
    g = ctx.guest("g1", sock, server=True, params={"ping": PING, "udp": UDP})
    g.start(ctx.cleanup)
    be = ctx.backend([(sock, "client", 1)], tap=(ctx.tag, 1))
    be.start(ctx.cleanup)
    peer.attach(ctx.tag)
    res = ctx.run_guest(g, 150)
    check_traffic(ctx, res, "g1")
    check_guest_counters(ctx, res, "g1")
    echo = peer.stop_echo()
    ctx.check(echo.get("echo_rx") == UDP, f"peer echoed {echo.get('echo_rx')} datagrams, want {UDP}")
    check_backend_counts(ctx, be.stats(), 0, res, "g1")


def s3_multiqueue(ctx):
    """2 queue pairs, -smp 2, mq=on: a sender pinned to each vCPU (XPS: one TX queue
    each) over 8 flows each (the tap spreads the echoes over both RX queues)."""
    sock = os.path.join(ctx.wd, "vm1.sock")
    peer = ctx.peer()
    be = ctx.backend([(sock, "server", 2)], tap=(ctx.tag, 2))
    be.start(ctx.cleanup)
    peer.attach(ctx.tag)
    g = ctx.guest("g1", sock, queues=2, smp=2,
                  params={"ping": PING, "udp": UDP, "cpus": 2, "flows": 8})
    g.start(ctx.cleanup)
    res = ctx.run_guest(g, 200)
    ctx.check(res.get("queues") == 2, f"guest uses {res.get('queues')} RX queues, want 2")
    check_traffic(ctx, res, "g1")
    check_guest_counters(ctx, res, "g1")
    echo = peer.stop_echo()
    ctx.check(echo.get("echo_rx") == UDP, f"peer echoed {echo.get('echo_rx')} datagrams, want {UDP}")
    st = be.stats()
    check_backend_counts(ctx, st, 0, res, "g1")
    q = {k: st[0].get(k) for k in ("rx_q0", "rx_q1", "tx_q0", "tx_q1")}
    ctx.notes["per_queue"] = q
    ctx.check(all(v is not None and v >= 100 for v in q.values()),
              f"want >= 100 packets on each queue each way, back-end saw {q}")


def s4_reconnect(ctx):
    """Back-end killed and restarted under a running guest (QEMU reconnect=1): the link
    goes down and comes back, traffic resumes. Then QEMU is killed and a new one is
    served on the same socket by the same back-end."""
    sock = os.path.join(ctx.wd, "vm1.sock")
    peer = ctx.peer()
    be = ctx.backend([(sock, "server", 1)], tap=(ctx.tag, 1))
    be.start(ctx.cleanup)
    peer.attach(ctx.tag)
    g = ctx.guest("g1", sock, reconnect=True,
                  params={"mode": "reconnect", "ping": PING, "udp": UDP, "hold": 300})
    g.start(ctx.cleanup)
    ready = g.wait_for(r"^READY phase=1", 150 * SCALE)
    ctx.check(ready is not None, "g1: phase 1 traffic did not finish")
    check_traffic(ctx, g.results(), "g1")
    t_kill = time.monotonic()
    be.kill()
    time.sleep(1)
    be.start(ctx.cleanup)
    peer.attach(ctx.tag)
    done = g.wait_for(r"^RESULT done=", 150 * SCALE)
    ctx.check(done is not None, "g1: no result after the back-end restart")
    res = g.results()
    ctx.check("link_down" in res, f"g1: the link never went down: {res.get('error')}")
    ctx.check("link_back" in res, f"g1: the link never came back: {res.get('error')}")
    ctx.notes["link_down_to_up_s"] = round(float(res["link_back"]) - float(res["link_down"]), 1)
    ctx.notes["kill_to_traffic_s"] = round(time.monotonic() - t_kill, 1)
    ctx.check(res.get("done") == "ok" and "error" not in res,
              f"g1: done={res.get('done')} error={res.get('error')}")
    check_traffic(ctx, res, "g1", pfx="p2_")
    check_guest_counters(ctx, res, "g1")
    # A running QEMU killed outright (the guest is still up, holding): the back-end
    # must drop that front-end and serve a new one on the same socket.
    ctx.check(g.p.poll() is None, "g1: QEMU exited before it could be killed")
    g.stop(vt.signal.SIGKILL)
    time.sleep(1)
    ctx.check(be.alive(), "back-end died with its front-end")
    g2 = ctx.guest("g2", sock, reconnect=True, mac="52:54:00:00:00:12",
                   params={"ping": PING, "udp": UDP, "ip": "10.0.0.12/24"})
    g2.start(ctx.cleanup)
    res2 = ctx.run_guest(g2, 150)
    check_traffic(ctx, res2, "g2")
    echo = peer.stop_echo()
    ctx.check(echo.get("echo_rx") == 3 * UDP,
              f"peer echoed {echo.get('echo_rx')} datagrams in all, want {3 * UDP}")
    ctx.check(be.alive(), "back-end died")


def s5_vm_to_vm(ctx):
    """Two guests linked port to port by the back-end, pinging each other, and one
    echoing the other's UDP."""
    sa, sb = os.path.join(ctx.wd, "vm1.sock"), os.path.join(ctx.wd, "vm2.sock")
    be = ctx.backend([(sa, "server", 1), (sb, "server", 1)])
    be.start(ctx.cleanup)
    udp = UDP // 2
    gb = ctx.guest("gB", sb, mac="52:54:00:00:00:03",
                   params={"mode": "echo", "ip": "10.0.0.3/24", "peer": "10.0.0.2",
                           "ping": PING, "udp": 0, "echo_idle": 5, "echo_max": 300})
    ga = ctx.guest("gA", sa, mac="52:54:00:00:00:02",
                   params={"ip": "10.0.0.2/24", "peer": "10.0.0.3", "ping": PING, "udp": udp})
    gb.start(ctx.cleanup)
    ga.start(ctx.cleanup)
    ra = ctx.run_guest(ga, 300)
    rb = ctx.run_guest(gb, 60)
    check_traffic(ctx, ra, "gA", udp=udp)
    check_traffic(ctx, rb, "gB", udp=0)
    ctx.check(rb.get("echo_rx") == udp, f"gB echoed {rb.get('echo_rx')}, want {udp}")
    check_guest_counters(ctx, ra, "gA")
    check_guest_counters(ctx, rb, "gB")
    st = be.stats()
    check_backend_counts(ctx, st, 0, ra, "gA")
    check_backend_counts(ctx, st, 1, rb, "gB")


SCENARIOS = {1: s1_backend_server, 2: s2_qemu_server, 3: s3_multiqueue, 4: s4_reconnect,
             5: s5_vm_to_vm}


def run_one(num, kind, kernel, initrd, accel):
    fn = SCENARIOS[num]
    ctx = Ctx(num, kind, kernel, initrd, accel)
    t = time.monotonic()
    ok = False
    try:
        fn(ctx)
        ok = True
    except (Fail, RuntimeError, OSError) as e:
        print(f"FAIL scenario {num} ({fn.__name__}): {e}")
        for p in ctx.parts:
            if hasattr(p, "diag"):
                print(p.diag())
    finally:
        ctx.cleanup.run()
        secs = time.monotonic() - t
        print(f"{'PASS' if ok else 'FAIL'} scenario {num} {fn.__name__} "
              f"[{kind}, {accel}] {secs:.1f}s {ctx.notes}", flush=True)
        if ok and not os.environ.get("VT_KEEP"):
            shutil.rmtree(ctx.wd, ignore_errors=True)
        else:
            print(f"   logs kept in {ctx.wd}")
    return ok, secs


DEMO_SOCK = "/run/vhostd/vhost0.sock"
DEMO_TAP = "vhostd0"
# The demo runs vhostd with no config at all: its embedded default is one vhost-user server
# port vhost0 at /run/vhostd/vhost0.sock, 1 queue pair, lcore 0, linked to a net_tap NIC
# "uplink" whose kernel interface is vhostd0. Only --file-prefix and --stats-interval (and
# --eal when hugepages are short) are added on the command line.
DEMO_NIC = "uplink"


def hugepages_free():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def demo_line(be, kind):
    """The live line: the back-end's counters for the guest's port and, for vhostd, its
    tap (the latest stats line, at most a second old)."""
    if kind != "vhostd":
        return be.stats_line()
    lines = be.vhostd_lines()
    if not lines:
        return "vhostd: (no stats yet)"
    ports = lines[-1].get("ports", {})
    v, n = ports.get("vhost0", {}), ports.get(DEMO_NIC, {})
    qs = v.get("queues", [{}])
    gtx = sum(q.get("tx", {}).get("packets", 0) for q in qs)
    grx = sum(q.get("rx", {}).get("packets", 0) for q in qs)
    return (f"vhost0 {'up' if v.get('connected') else 'down'} from-guest {gtx} to-guest {grx}"
            f" | {DEMO_TAP} rx {n.get('rx_packets', 0)} tx {n.get('tx_packets', 0)}")


def demo(kind, kernel, initrd, accel):
    """README's main job: the back-end, its tap uplink in a network namespace where the
    host kernel answers, and one guest that pings the host and echoes UDP through it."""
    ctx = Ctx(0, kind, kernel, initrd, accel)
    ctx.tag = f"vhostd-demo{os.getpid() % 10000}"
    os.makedirs("/run/vhostd", exist_ok=True)
    ok = False
    ping, udp = 20, 1000
    try:
        ctx.check(not os.path.exists(DEMO_SOCK) or not vt.socket_in_use(DEMO_SOCK),
                  f"{DEMO_SOCK} is served by another process: stop it first")
        peer = ctx.peer()
        be = vt.Backend(kind, "vhostd" if kind == "vhostd" else "be", ctx.wd,
                        [(DEMO_SOCK, "server", 1)], (DEMO_TAP, 1), netns=peer.ns)
        ctx.parts.append(be)
        if kind == "vhostd":
            be.embedded_default = True
            be.vhost_names = ["vhost0"]
            be.prefix = f"vhostd-demo{os.getpid() % 10000}"
            be.extra_args = ["--stats-interval", "1"]
            if hugepages_free() < 256:
                be.extra_args += ["--eal", "--no-huge -m 512"]
                print("demo: fewer than 256 free hugepages: vhostd runs with --no-huge")
        be.start(ctx.cleanup)
        peer.attach(DEMO_TAP)
        print(f"demo: {kind} serves {DEMO_SOCK}; its uplink is tap {DEMO_TAP} in netns "
              f"{peer.ns}, where the host is {peer.addr}")
        if kind == "vhostd":
            print(f"demo: vhostd runs its embedded default: {' '.join(be.command())}")
        g = ctx.guest("guest", DEMO_SOCK, params={"ping": ping, "udp": udp})
        g.start(ctx.cleanup)
        print("demo: QEMU guest started (10.0.0.2): it pings 10.0.0.1, then sends "
              f"{udp} UDP datagrams that the host echoes")
        t0 = time.monotonic()
        boot = None
        tty = sys.stdout.isatty()
        while (g.p.poll() is None and "RESULT done=" not in g.text()
               and time.monotonic() - t0 < 200 * SCALE):
            if boot is None and "VT-INIT" in g.text():
                boot = time.monotonic() - t0
            last = [l for l in g.text().splitlines() if l.strip()][-1:] or ["(booting)"]
            line = f"{time.monotonic() - t0:4.0f}s  {demo_line(be, kind)}  | guest: {last[0][:40]}"
            print(f"\r{line:<130}" if tty else line, end="" if tty else "\n", flush=True)
            time.sleep(1)
        print()
        res = g.results()
        st = be.stats()  # counters read after the guest finished
        final = None
        if kind == "vhostd":
            # A clean stop while the guest is still connected: vhostd prints its last line.
            rc = vt.stop_process(be.p, "vhostd", 10.0, vt.signal.SIGTERM)
            lines = be.vhostd_lines()
            final = lines[-1] if lines else None
            ctx.check(rc == 0, f"vhostd exited {rc} on SIGTERM, want 0")
        print("summary:")
        print(f"  guest reached /init {boot or 0:.0f}s after QEMU started")
        print(f"  ping: {res.get('ping_recv')}/{res.get('ping_sent')} answered")
        print(f"  udp: {res.get('udp_recv')}/{res.get('udp_sent')} echoed, "
              f"{res.get('udp_bad')} bad, {res.get('udp_lost')} lost in {res.get('udp_ms')} ms")
        print(f"  guest eth0: tx {res.get('eth0_tx_packets')} rx {res.get('eth0_rx_packets')} "
              f"packets, rx_dropped {res.get('eth0_rx_dropped')}")
        p0 = st.get(0, {})
        print(f"  back-end port of the guest: took {p0.get('rx')} packets from it, gave it "
              f"{p0.get('tx')}")
        if final is not None:
            print(f"  vhostd stopped by SIGTERM, exit 0; last line: {demo_line(be, kind)}")
        check_traffic(ctx, res, "guest", ping=ping, udp=udp)
        check_guest_counters(ctx, res, "guest")
        check_backend_counts(ctx, st, 0, res, "guest")
        ok = True
    except (Fail, RuntimeError, OSError) as e:
        print(f"\ndemo failed: {e}")
        for p in ctx.parts:
            print(p.diag()) if hasattr(p, "diag") else None
    finally:
        ctx.cleanup.run()
        shutil.rmtree(ctx.wd, ignore_errors=True)
    print("demo", "OK" if ok else "FAILED")
    return ok


def main(argv):
    if argv[:1] == ["--vhostd"] and len(argv) > 1:
        os.environ["VHOSTD"] = os.path.abspath(argv[1])  # meson passes the binary it built
        argv = argv[2:]
    if "--list" in argv:
        for n, fn in SCENARIOS.items():
            print(f"{n}: {fn.__doc__.split(chr(10))[0]}")
        return 0
    if os.geteuid() != 0:
        print("scenarios.py: needs root (network namespaces, taps)")
        return 2
    vt.install_signal_handlers()
    kind = os.environ.get("BACKEND", "vhostd")
    t = time.monotonic()
    try:
        kernel, initrd = vt.build_guest()
    except (RuntimeError, KeyError, OSError) as e:
        # A missing QEMU, kernel or busybox is a failure, never a skip: CI installs them.
        print(f"FAIL: cannot build the test guest: {e}")
        return 1
    wd = vt.workdir()
    accel = vt.pick_accel(kernel, initrd, wd)
    shutil.rmtree(wd, ignore_errors=True)
    vt.log(f"guest ready ({kernel}, {initrd}), accel {accel}, back-end {kind}")
    if argv[:1] == ["demo"]:
        return 0 if demo(kind, kernel, initrd, accel) else 1
    nums = [int(a) for a in argv] or sorted(SCENARIOS)
    results = {}
    try:
        for n in nums:
            results[n] = run_one(n, kind, kernel, initrd, accel)
    except KeyboardInterrupt:
        print("interrupted")
        return 130
    print(f"suite: {sum(ok for ok, _ in results.values())}/{len(results)} passed "
          f"in {time.monotonic() - t:.1f}s [{kind}, {accel}]")
    return 0 if all(ok for ok, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
