"""The measurements: accept throughput, latency and peak memory, big messages, replay."""

import os
import socket
import subprocess
import time

from .servers import Postfix
from .system import RECIPIENT, SENDER, SMTP_SOURCE


class LatencyProbe:
    """One SMTP session that times end of DATA (the final ".") to the 250 reply."""

    def __init__(self, port, size, sign=None):
        self.port, self.size, self.sign = port, size, sign
        self.samples = []

    def run(self, count):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")

        def reply():
            while True:
                line = reader.readline()
                if not line:
                    raise RuntimeError("connection closed")
                if line[3:4] != b"-":
                    return line

        def command(text, expect):
            sock.sendall(text)
            line = reply()
            if not line.startswith(expect):
                raise RuntimeError(f"{text!r} -> {line!r}")

        line = reply()
        if not line.startswith(b"220"):
            raise RuntimeError(f"greeting {line!r}")
        command(b"EHLO probe.bench.test\r\n", b"250")
        body_line = b"X" * 78 + b"\r\n"
        body = body_line * max(1, self.size // len(body_line))
        for n in range(count):
            header = (f"From: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\nSubject: probe {n}\r\n"
                      f"Message-ID: <probe-{os.getpid()}-{time.monotonic_ns()}-{n}@bench.test>\r\n\r\n").encode()
            command(f"MAIL FROM:<{SENDER}>\r\n".encode(), b"250")
            command(f"RCPT TO:<{RECIPIENT}>\r\n".encode(), b"250")
            message = header + body
            if self.sign:
                message = self.sign(message)
            command(b"DATA\r\n", b"354")
            sock.sendall(message)
            started = time.perf_counter()
            sock.sendall(b".\r\n")
            line = reply()
            elapsed = time.perf_counter() - started
            if not line.startswith(b"250"):
                raise RuntimeError(f"end of data -> {line!r}")
            self.samples.append(elapsed)
        command(b"QUIT\r\n", b"221")
        sock.close()


def smtp_source(port, sessions, messages, size, wait=True):
    args = [SMTP_SOURCE, "-d", "-s", str(sessions), "-m", str(messages), "-l", str(size),
            "-f", SENDER, "-t", RECIPIENT, "-M", "source.bench.test", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if not wait:
        return proc
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"smtp-source failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return proc


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def sampled_load(server, sessions, messages, size):
    """smtp-source against a started server with its memory sampled from a fresh peak: the
    running sampler and the load's wall time."""
    server.reset_peak()
    sampler = server.sampler()
    sampler.start()
    started = time.monotonic()
    smtp_source(server.port, sessions, messages, size)
    return sampler, time.monotonic() - started


def accept_run(server, sessions, size, messages, probes):
    """One fresh server: smtp-source throughput, then latency with the probe as one of the sessions."""
    server.start()
    try:
        sampler, elapsed = sampled_load(server, sessions, messages, size)
        latency = probed_latency(server, sessions, size, probes)
        peak = sampler.stop()
        return {"rate": messages / elapsed, "rss": peak / 1024, **latency}
    finally:
        server.stop()


def probed_latency(server, sessions, size, probes, sign=None):
    """p50/p99 of the probe's end of DATA to 250 while sessions - 1 smtp-source sessions keep the load up."""
    background = None
    if sessions > 1:
        background = smtp_source(server.port, sessions - 1, 1_000_000, size, wait=False)
        time.sleep(0.3)
    probe = LatencyProbe(server.port, size, sign)
    try:
        probe.run(probes)
    finally:
        if background:
            background.kill()
            background.wait()
    return {"p50": percentile(probe.samples, 50) * 1000, "p99": percentile(probe.samples, 99) * 1000}


def latency_run(server, sessions, size, probes, sign=None, after=None):
    """One fresh server, the latency probe only; `after(server)` runs before it stops (checks on the spool)."""
    server.start()
    try:
        result = probed_latency(server, sessions, size, probes, sign)
        if after:
            after(server)
        return result
    finally:
        server.stop()


def big_message_run(server, sessions, size):
    server.start()
    try:
        sampler, elapsed = sampled_load(server, sessions, sessions, size)
        return {"rss": sampler.stop() / 1024, "rate": sessions / elapsed}
    finally:
        server.stop()


def replay_run(server, sink, messages, size):
    """Queue `messages` with the primary down, start the sink, time the drain."""
    server.start()
    try:
        queue_with_primary_down(server, messages, size)
        sink.start()
        try:
            server.flush()
            last = sink.wait_for(messages, timeout=600)
            first = sink.first_at
            tenth = sink.reached(messages // 10)
            return {"first": first - sink.started_at, "last": last - sink.started_at,
                    "drain": messages / max(last - first, 1e-6),
                    "full": (messages - messages // 10) / max(last - tenth, 1e-6)}
        finally:
            sink.stop()
    finally:
        server.stop()



def queue_with_primary_down(server, messages, size):
    """Sends `messages` of `size` bytes while the primary is down and waits until all are queued."""
    ports = getattr(server, "ports", [server.port])
    share = messages // len(ports)
    sources = [smtp_source(port, 10, share + (messages - share * len(ports) if i == 0 else 0), size, wait=False)
               for i, port in enumerate(ports)]
    for source in sources:
        _, err = source.communicate()
        if source.returncode != 0:
            raise RuntimeError(f"smtp-source failed ({source.returncode}): {err.decode(errors='replace')[-500:]}")
    deadline = time.monotonic() + 120
    while server.queued() < messages or (isinstance(server, Postfix) and not server.settled()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name}: only {server.queued()} of {messages} queued")
        time.sleep(0.1)
