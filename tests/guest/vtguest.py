# SPDX-License-Identifier: BSD-3-Clause
"""Building blocks of the QEMU guest tests: the guest (QEMU), the peer (a network
namespace holding the back-end's tap) and the back-end (DPDK testpmd with net_vhost as
the yardstick, or vhostd). Only the Python standard library: runs on a bare CI image.

Every object registers itself with a Cleanup so that a failed or interrupted test kills
its processes, deletes its namespace and removes its sockets."""

import glob
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("VT_BUILD", os.path.join(REPO, "build-guest"))
T0 = time.monotonic()
VHOSTD_STATS_INTERVAL = 1  # seconds, in the generated config


def log(msg):
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def sh(cmd, check=True, **kw):
    """Runs a short command (a list); its output is returned, a failure raises."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stdout.strip()}")
    return r.stdout


def tail(path, n=25):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        return f"   ({path}: {e})"
    return "\n".join("   | " + l for l in lines[-n:]) or "   (empty)"


def parse_results(text):
    """Every "RESULT k=v k=v" line of a serial log, merged into one dict (later wins)."""
    res = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("RESULT "):
            continue
        for kv in line.split()[1:]:
            if "=" in kv:
                k, v = kv.split("=", 1)
                res[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
    return res


class Cleanup:
    """A stack of undo actions, run newest first, each one whatever the others did."""

    def __init__(self):
        self.actions = []

    def push(self, fn, *args):
        self.actions.append((fn, args))

    def run(self):
        while self.actions:
            fn, args = self.actions.pop()
            try:
                fn(*args)
            except Exception as e:  # cleanup goes on whatever failed
                log(f"cleanup: {fn.__name__}: {e}")


def install_signal_handlers():
    """SIGTERM (a CI timeout) unwinds like Ctrl-C, so the finally blocks clean up."""

    def on_term(sig, frame):
        raise KeyboardInterrupt(f"signal {sig}")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)


def stop_process(p, name, grace=3.0, sig=signal.SIGTERM):
    """Ends a Popen: sig, then SIGKILL after grace seconds. Returns the exit status."""
    if p is None:
        return None
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(grace)
        except subprocess.TimeoutExpired:
            log(f"{name}: no exit {grace}s after signal {sig}, SIGKILL")
            p.kill()
            p.wait()
    return p.returncode


def socket_in_use(path):
    """True when a process listens on the unix socket path (a stale file refuses)."""
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_until(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


# ---------------------------------------------------------------------------- the guest


def build_guest():
    out = sh([os.path.join(HERE, "mkinitramfs.sh")])
    kv = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    return kv["KERNEL"], kv["INITRD"]


def pick_accel(kernel, initrd, workdir):
    """kvm when /dev/kvm really runs a guest here, else tcg. /dev/kvm can exist and open,
    even create VMs, and still not run this guest, so the test is a real boot to /init.
    The verdict is cached per host kernel and QEMU version. VT_ACCEL overrides."""
    forced = os.environ.get("VT_ACCEL")
    if forced:
        return forced
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg"
    qver = sh(["qemu-system-x86_64", "--version"]).splitlines()[0]
    key = f"{os.uname().release} {qver} {os.path.basename(kernel)}"
    cache = os.path.join(os.path.dirname(initrd), "accel")
    try:
        with open(cache) as f:
            k, v = f.read().rsplit("\n", 1)[0].split("\t")
        if k == key:
            return v
    except (OSError, ValueError):
        pass
    serial = os.path.join(workdir, "kvm-probe.log")
    cmd = ["qemu-system-x86_64", "-accel", "kvm", "-m", "256", "-nodefaults", "-display",
           "none", "-no-reboot", "-serial", f"file:{serial}", "-kernel", kernel, "-initrd",
           initrd, "-append", "console=ttyS0 quiet panic=-1 vt.mode=probe"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    try:
        ok = "RESULT probe=ok" in open(serial, errors="replace").read()
    except OSError:
        ok = False
    v = "kvm" if ok else "tcg"
    log(f"/dev/kvm {'runs' if ok else 'does not run'} a guest here: using {v}")
    with open(cache, "w") as f:
        f.write(f"{key}\t{v}\n")
    return v


class Guest:
    """One QEMU with a virtio-net-pci on a vhost-user socket, its memory shared (memfd)
    so that the back-end can map it. vectors=0: Debian's QEMU 7.2 under TCG segfaults
    with vhost-user once the guest enables MSI-X; legacy interrupts avoid the path."""

    def __init__(self, name, workdir, kernel, initrd, accel, sock, server=False,
                 reconnect=False, queues=1, smp=1, mac="52:54:00:00:00:02", params=None,
                 mem_mb=512):
        self.name, self.sock, self.server = name, sock, server
        self.serial = os.path.join(workdir, f"{name}.serial.log")
        self.qlog = os.path.join(workdir, f"{name}.qemu.log")
        self.p = None
        self.t_start = None
        chardev = f"socket,id=c0,path={sock}"
        if server:
            chardev += ",server=on,wait=off"
        elif reconnect:
            chardev += ",reconnect=1"
        dev = f"virtio-net-pci,netdev=n0,vectors=0,mac={mac}"
        if queues > 1:
            dev += ",mq=on"
        append = "console=ttyS0 quiet panic=-1 ipv6.disable=1 " + " ".join(
            f"vt.{k}={v}" for k, v in (params or {}).items())
        self.cmd = [
            "qemu-system-x86_64", "-accel", accel, "-m", str(mem_mb), "-smp", str(smp),
            "-object", f"memory-backend-memfd,id=mem,size={mem_mb}M,share=on",
            "-numa", "node,memdev=mem", "-chardev", chardev,
            "-netdev", f"type=vhost-user,id=n0,chardev=c0,queues={queues}",
            "-device", dev, "-nodefaults", "-display", "none", "-no-reboot",
            "-serial", f"file:{self.serial}", "-kernel", kernel, "-initrd", initrd,
            "-append", append,
        ]

    def start(self, cleanup):
        for f in (self.serial, self.qlog):
            if os.path.exists(f):
                os.unlink(f)
        open(self.serial, "w").close()
        self.t_start = time.monotonic()
        self.p = subprocess.Popen(self.cmd, stdout=open(self.qlog, "w"),
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        cleanup.push(self.stop)
        log(f"{self.name}: QEMU pid {self.p.pid} started")
        if self.server:
            if not wait_until(lambda: os.path.exists(self.sock), 10):
                raise RuntimeError(f"{self.name}: QEMU made no socket {self.sock}")

    def text(self):
        try:
            with open(self.serial, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def results(self):
        return parse_results(self.text())

    def wait_for(self, pattern, timeout):
        """Seconds from QEMU's start to the first serial line matching pattern, or None
        when the timeout passes or QEMU exits first."""
        rx = re.compile(pattern, re.M)

        def seen():
            if rx.search(self.text()):
                return True
            return self.p.poll() is not None and not rx.search(self.text())

        wait_until(seen, timeout, 0.2)
        if rx.search(self.text()):
            return time.monotonic() - self.t_start
        return None

    def wait_exit(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM):
        return stop_process(self.p, self.name, 3.0, sig)

    def diag(self):
        rc = self.p.poll() if self.p else "not started"
        return (f" {self.name}: QEMU exit status {rc}\n  serial log {self.serial}:\n"
                f"{tail(self.serial)}\n  QEMU output {self.qlog}:\n{tail(self.qlog, 10)}")


# ----------------------------------------------------------------------------- the peer


class Peer:
    """A network namespace that takes the back-end's tap, so the host kernel inside it
    answers ARP and ICMP, and runs a vtnet UDP echo with exact counts."""

    def __init__(self, name, workdir, addr="10.0.0.1/24", port=7777):
        self.ns, self.addr, self.port = name, addr, port
        self.echo_log = os.path.join(workdir, f"{name}.echo.log")
        self.echo = None
        self.vtnet = None

    def create(self, cleanup, vtnet):
        self.vtnet = vtnet
        sh(["ip", "netns", "add", self.ns])
        cleanup.push(self.destroy)
        # IPv6 off: no router solicitations or MLD reports muddying exact counts.
        for k in ("all", "default"):
            self.exec(["sysctl", "-qw", f"net.ipv6.conf.{k}.disable_ipv6=1"])
        self.exec(["ip", "link", "set", "lo", "up"])

    def exec(self, cmd, check=True):
        return sh(["ip", "netns", "exec", self.ns] + cmd, check)

    def has(self, ifname):
        r = subprocess.run(["ip", "-n", self.ns, "link", "show", ifname],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0

    def attach(self, ifname, timeout=20):
        """Gives the back-end's tap, which it creates in here (Backend runs inside this
        namespace), the peer's address and brings it up. The tap is never made in the
        root namespace and moved: DPDK's net_tap opens its queues with TUNSETIFF by name
        after it created the interface, so a tap moved away in between is silently made
        again in the root namespace (the guest's traffic then goes there), and a tap that
        was up in the root namespace has queued the host's IPv6 router solicitations and
        MLD reports, which a back-end delivers to the guest later."""
        if not wait_until(lambda: self.has(ifname), timeout):
            raise RuntimeError(f"peer: the back-end made no interface {ifname} in netns "
                               f"{self.ns} within {timeout}s")
        sh(["ip", "-n", self.ns, "addr", "add", self.addr, "dev", ifname])
        sh(["ip", "-n", self.ns, "link", "set", ifname, "up"])
        if os.path.exists(f"/sys/class/net/{ifname}"):
            raise RuntimeError(f"peer: a second {ifname} exists in the root namespace")
        if os.environ.get("VT_PCAP"):
            self.pcap(ifname)

    def pcap(self, ifname):
        """VT_PCAP=1: every frame on the peer's side of the tap, for diagnosis."""
        self.ncap = getattr(self, "ncap", 0) + 1
        path = os.path.join(os.path.dirname(self.echo_log), f"{self.ns}.{self.ncap}.pcap")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, "tcpdump", "-i", ifname, "-U",
                              "-w", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.caps = getattr(self, "caps", []) + [p]
        time.sleep(0.5)

    def start_echo(self, idle_s=600, max_s=900):
        self.echo = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, self.vtnet, "echo", str(self.port), str(idle_s),
             str(max_s)], stdout=open(self.echo_log, "w"), stderr=subprocess.STDOUT)
        if not wait_until(lambda: "ECHO ready" in open(self.echo_log).read(), 5):
            raise RuntimeError(f"peer: echo did not start:\n{tail(self.echo_log)}")

    def stop_echo(self):
        """Ends the echo and returns its counts (echo_rx, echo_tx, echo_bytes)."""
        stop_process(self.echo, "peer echo")
        self.echo = None
        return parse_results(open(self.echo_log).read())

    def destroy(self):
        stop_process(self.echo, "peer echo")
        for p in getattr(self, "caps", []):
            stop_process(p, "tcpdump")
        sh(["ip", "netns", "del", self.ns], check=False)


# ------------------------------------------------------------------------- the back-end


def find_vhostd():
    env = os.environ.get("VHOSTD")
    if env:
        return env
    found = [p for p in glob.glob(os.path.join(REPO, "build*", "**", "vhostd"), recursive=True)
             if os.path.isfile(p) and os.access(p, os.X_OK)]
    if not found:
        raise RuntimeError("BACKEND=vhostd: no vhostd binary under build*/ (build it, or "
                           "set VHOSTD=/path/to/vhostd)")
    return max(found, key=os.path.getmtime)


class Backend:
    """The vhost-user back-end under test. kind "testpmd": dpdk-testpmd with net_vhost
    ports (the yardstick: DPDK's own back-end, never product code); kind "vhostd": our
    daemon with a generated config. Topology: vhost ports [(sock, "server"|"client",
    queues)], plus optionally a tap (ifname, queues). With a tap, vhost port 0 is linked
    to it; without one, two vhost ports are linked to each other."""

    def __init__(self, kind, name, workdir, vhosts, tap=None, cpu=None, netns=None):
        self.kind, self.name, self.workdir = kind, name, workdir
        self.netns = netns  # run inside it, so that the tap is born there
        # vhostd only: a config of the caller's own (text) instead of the generated one,
        # the [vhost] names in it in port order, and arguments added to VHOSTD_ARGS.
        self.conf_text, self.vhost_names, self.extra_args = None, None, []
        self.embedded_default = False  # vhostd with no --config (the demo)
        self.vhosts, self.tap = vhosts, tap
        self.cpu = cpu if cpu is not None else os.cpu_count() - 1
        self.log = os.path.join(workdir, f"{name}.log")
        self.prefix = f"vt{os.getpid()}{name}"
        self.p = None
        self.nports = len(vhosts) + (1 if tap else 0)
        self.queues = max([q for _, _, q in vhosts] + ([tap[1]] if tap else []))

    # The back-end command: change it here (or with BACKEND=) to test another one.
    def command(self):
        if self.kind == "testpmd":
            # stdbuf: testpmd answers through stdio, block-buffered into a file otherwise.
            cmd = ["stdbuf", "-oL", "dpdk-testpmd", "--no-pci", "--no-huge", "-m", "256",
                   f"--file-prefix={self.prefix}", "--lcores",
                   f"0@{self.cpu},1@{self.cpu}"]
            for i, (sock, mode, q) in enumerate(self.vhosts):
                va = f"net_vhost{i},iface={sock},queues={q}"
                if mode == "client":
                    va += ",client=1"
                cmd += ["--vdev", va]
            if self.tap:
                cmd += ["--vdev", f"net_tap0,iface={self.tap[0]}"]
            return cmd + ["--", "-i", "--forward-mode=io", "--nb-cores=1",
                          f"--rxq={self.queues}", f"--txq={self.queues}",
                          "--total-num-mbufs=16384"]
        if self.kind == "vhostd" and self.embedded_default:
            return [find_vhostd(), "--file-prefix", self.prefix] + self.extra_args
        if self.kind == "vhostd":
            conf = self.write_vhostd_config()
            args = os.environ.get("VHOSTD_ARGS", "--config {config} --file-prefix {prefix}")
            args = args.format(config=conf, prefix=self.prefix)
            return [find_vhostd()] + shlex.split(args) + self.extra_args
        raise RuntimeError(f"BACKEND={self.kind}: unknown (testpmd or vhostd)")

    def write_vhostd_config(self):
        if self.conf_text is not None:
            path = os.path.join(self.workdir, f"{self.name}.conf")
            with open(path, "w") as f:
                f.write(self.conf_text)
            return path
        eal = os.environ.get("VHOSTD_EAL", "--no-pci --no-huge -m 512")
        # --file-prefix goes on the command line (VHOSTD_ARGS): vhostd adds its own.
        lines = ["[dataplane]", f"lcores = {self.cpu}", f"eal = {eal}",
                 f"stats_interval = {VHOSTD_STATS_INTERVAL}", ""]
        names = []
        for i, (sock, mode, q) in enumerate(self.vhosts):
            names.append(f"vm{i + 1}")
            lines += [f"[vhost vm{i + 1}]", f"socket = {sock}", f"mode = {mode}",
                      f"queues = {q}", ""]
        if self.tap:
            lines += ["[nic uplink]", f"device = net_tap0,iface={self.tap[0]}",
                      f"queues = {self.tap[1]}", ""]
            lines += ["[link]", f"vm1 = uplink", ""]
        else:
            lines += ["[link]", f"vm1 = vm2", ""]
        path = os.path.join(self.workdir, f"{self.name}.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines))
        return path

    def start(self, cleanup):
        for sock, mode, _ in self.vhosts:
            if mode == "server" and os.path.exists(sock):
                os.unlink(sock)  # a stale socket of a killed back-end: bind would fail
        cmd = self.command()
        self.log_start = len(self.text())
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd  # ip execs: same pid
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=open(self.log, "a"),
                                  stderr=subprocess.STDOUT, text=True)
        cleanup.push(self.stop)
        log(f"back-end {self.name}: pid {self.p.pid}: {' '.join(cmd)}")
        if self.kind == "testpmd":
            ok = wait_until(lambda: self.p.poll() is not None or
                            "testpmd> " in self.text(), 30)
            if self.p.poll() is not None or not ok:
                raise RuntimeError(f"back-end {self.name} did not start:\n{tail(self.log)}")
            self.send("start")
        if self.kind == "vhostd":
            # The first stats line comes after every port is open and every link built.
            # The log is appended to across restarts: only this run's lines count.
            if not wait_until(lambda: self.p.poll() is not None or
                              self.vhostd_lines(self.log_start), 30):
                raise RuntimeError(f"back-end {self.name}: no stats line in 30s:\n"
                                   f"{tail(self.log)}")
        for sock, mode, _ in self.vhosts:
            if mode == "server" and not wait_until(
                    lambda: os.path.exists(sock) or self.p.poll() is not None, 30):
                raise RuntimeError(f"back-end {self.name}: no socket {sock}")
        if self.p.poll() is not None:
            raise RuntimeError(f"back-end {self.name} exited {self.p.returncode}:\n"
                               f"{tail(self.log)}")

    def text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def kill(self):
        """A crash: SIGKILL, no goodbye to the front-ends."""
        self.p.kill()
        self.p.wait()
        log(f"back-end {self.name}: killed")

    def stop(self):
        if self.alive() and self.kind == "testpmd":
            try:
                self.send("stop")
                self.send("quit")
                self.p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        return stop_process(self.p, f"back-end {self.name}", 5.0, signal.SIGINT)

    def stats(self, fresh=True):
        """Per-port counters: {port: {"rx": packets into the back-end, "tx": packets
        out of it, plus per-queue "rx_qN"/"tx_qN" when the back-end gives them}}. For
        testpmd port i < len(vhosts) is vhost port i, the last one the tap.
        fresh: counters read after this call began (what a count check needs); else the
        latest ones at hand (the demo's live line)."""
        if not self.alive():
            return {}
        if self.kind == "testpmd":
            return self.testpmd_xstats()
        return self.vhostd_stats(fresh)

    def testpmd_xstats(self):
        start = len(self.text())
        self.send("show port xstats all")
        pat = re.compile(r"NIC extended statistics for port (\d+)")

        def done():
            t = self.text()[start:]
            return len(pat.findall(t)) >= self.nports and t.rstrip().endswith("testpmd>")

        wait_until(done, 5)
        out = {}
        port = None
        for line in self.text()[start:].splitlines():
            m = pat.search(line)
            if m:
                port = int(m.group(1))
                out[port] = {}
                continue
            m = re.match(r"\s*(\w+):\s+(\d+)\s*$", line)
            if m and port is not None:
                out[port][m.group(1)] = int(m.group(2))
        res = {}
        for port, x in out.items():
            s = {"rx": x.get("rx_good_packets", 0), "tx": x.get("tx_good_packets", 0)}
            for k, v in x.items():
                m = re.fullmatch(r"(rx|tx)_q(\d+)_packets", k)
                if m:
                    s[f"{m.group(1)}_q{m.group(2)}"] = v
            res[port] = s
        return res

    def vhostd_lines(self, start=0):
        """Every JSON stats line vhostd printed so far (after offset start of its log),
        parsed, oldest first."""
        out = []
        for line in self.text()[start:].splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue  # a line still being written
                if isinstance(obj, dict):
                    out.append(obj)
        return out

    def vhostd_stats(self, fresh=True):
        """vhostd prints one JSON object per line every stats_interval seconds
        (backend/daemon/stats.c): {"time":T,"ports":{"vm1":{"queues":[{"q":0,
        "rx":{"packets":N},"tx":{"packets":N}}]}}}, T its CLOCK_REALTIME taken before it
        reads the counters. A line can be up to an interval old, so with fresh the caller
        gets the first line stamped after this call began: every packet the data plane
        had moved by then is in it. rx/tx there are named from the guest's side (its RX
        ring, its TX ring); here they are turned round to the back-end's side like
        testpmd's: "rx" = taken from the guest. Port i is vm<i+1>."""
        if fresh:
            since = time.time()
            wait = 3 * VHOSTD_STATS_INTERVAL + 5

            def newer():
                lines = self.vhostd_lines()
                if lines and float(lines[-1].get("time", 0)) > since:
                    return lines[-1]
                return None

            last = wait_until(lambda: newer() or not self.alive(), wait, 0.2)
            if not isinstance(last, dict):
                raise RuntimeError(f"back-end {self.name}: no stats line newer than "
                                   f"{since:.3f} within {wait}s (alive: {self.alive()})")
        else:
            lines = self.vhostd_lines()
            last = lines[-1] if lines else None
        if not isinstance(last, dict):
            return {}
        res = {}
        for i in range(len(self.vhosts)):
            pname = self.vhost_names[i] if self.vhost_names else f"vm{i + 1}"
            port = last.get("ports", {}).get(pname)
            if not isinstance(port, dict):
                continue
            s = {"rx": 0, "tx": 0}
            for qs in port.get("queues", []):
                q = qs.get("q")
                s[f"rx_q{q}"] = qs.get("tx", {}).get("packets", 0)
                s[f"tx_q{q}"] = qs.get("rx", {}).get("packets", 0)
                s["rx"] += s[f"rx_q{q}"]
                s["tx"] += s[f"tx_q{q}"]
            res[i] = s
        return res

    def stats_line(self):
        st = self.stats(fresh=False)
        parts = []
        for port, s in st.items():
            parts.append(f"port{port} rx={s.get('rx', 0)} tx={s.get('tx', 0)}")
        return "  ".join(parts) or "(no stats yet)"

    def diag(self):
        rc = self.p.poll() if self.p else "not started"
        text = f" back-end {self.name} ({self.kind}): exit status {rc}\n  log {self.log}"
        if self.kind != "vhostd":
            return f"{text}:\n{tail(self.log)}"
        # vhostd's JSON lines are 2 KB each: its messages, then only its last counters.
        msgs = [l for l in self.text().splitlines() if not l.lstrip().startswith("{")]
        lines = self.vhostd_lines()
        last = json.dumps(lines[-1], separators=(",", ":")) if lines else "(none)"
        return (f"{text} (messages; {len(lines)} stats lines):\n"
                + ("\n".join("   | " + l for l in msgs[-25:]) or "   (empty)")
                + f"\n  last stats line:\n   | {last}")


def workdir():
    """A private directory for sockets and logs (short path: sun_path is 108 bytes)."""
    return tempfile.mkdtemp(prefix="vt.", dir="/tmp")
