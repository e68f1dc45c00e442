"""Constants, process and port helpers, and the setup both servers need (Postfix's tools, a Backstop build)."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAIN = "example.test"
SENDER = "bench@sender.test"
RECIPIENT = "user@example.test"
SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
KB = 1024
MB = 1024 * 1024


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_greeting(port, timeout=30.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for 127.0.0.1:{port} exited ({process.returncode}) before its greeting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


def wait_for_port_closed(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return
        time.sleep(0.05)
    raise RuntimeError(f"127.0.0.1:{port} still answers")


def proc_status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(ppid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ..." - comm may hold spaces, so split after the last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == ppid:
            out.append(int(entry))
    return out


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class MemorySampler(threading.Thread):
    """Samples a memory figure every 50 ms and keeps the largest."""

    def __init__(self, measure):
        super().__init__(daemon=True)
        self.measure = measure
        self.peak_kb = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.peak_kb = max(self.peak_kb, self.measure())
            self.stopping.wait(0.05)

    def stop(self):
        self.stopping.set()
        self.join()
        self.peak_kb = max(self.peak_kb, self.measure())
        return self.peak_kb



def ensure_postfix():
    if os.path.exists(SMTP_SOURCE) and os.path.exists(SMTP_SINK) and shutil.which("postfix"):
        return
    log("installing Postfix from Debian's packages (no local mail configuration)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    selections = "postfix postfix/main_mailer_type select No configuration\n"
    subprocess.run(["debconf-set-selections"], input=selections, text=True, check=True, env=env)
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "postfix"], check=True, env=env)
    # The package's own instance is not ours to run; make sure it is not left running.
    subprocess.run(["postfix", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build_backstop(configuration):
    log(f"building Backstop ({configuration})")
    subprocess.run(["swift", "build", "-c", configuration, "--product", "backstop"], cwd=ROOT, check=True,
                   stdout=sys.stderr)
    bin_dir = subprocess.run(["swift", "build", "-c", configuration, "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_dir, "backstop")

