"""Drive dpdk-testpmd in interactive mode over a pipe (a real vhost-user peer)."""
import os
import re
import subprocess
import time


class Testpmd:
    def __init__(self, prefix, lcores, vdevs, fwd, extra_eal=(), extra_app=(), log=None):
        cmd = ["stdbuf", "-oL", "dpdk-testpmd", "--no-pci", f"--file-prefix={prefix}", "--lcores", lcores,
               "-m", "256", "--single-file-segments", *extra_eal]
        for v in vdevs:
            cmd += ["--vdev", v]
        cmd += ["--", "-i", f"--forward-mode={fwd}", *extra_app]
        self.log = open(log or f"/tmp/testpmd-{prefix}.log", "w+")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self.log,
                                     stderr=subprocess.STDOUT, text=True)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def output(self):
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for(self, pattern, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if re.search(pattern, self.output()):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def port_stats(self, port=0):
        """RX/TX packet totals of one port, read from 'show port stats'."""
        before = len(self.output())
        self.send(f"show port stats {port}")
        time.sleep(0.3)
        text = self.output()[before:]
        rx = re.findall(r"RX-packets:\s+(\d+)", text)
        tx = re.findall(r"TX-packets:\s+(\d+)", text)
        if not rx or not tx:
            raise RuntimeError(f"no port stats in: {text[-500:]}")
        return int(rx[-1]), int(tx[-1])

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.send("stop")
                self.send("quit")
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.kill()
                self.proc.wait()
        self.log.close()
