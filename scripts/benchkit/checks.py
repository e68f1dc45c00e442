"""Backstop with its checks on: [auth] SPF, DKIM and DMARC against a DNS server of the bench's own,
a DNS block list that does not list the client, and rspamd when installed and the build has [filter]."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

from .servers import Backstop
from .system import ROOT, SENDER, free_port, wait_for_port_closed

SENDER_DOMAIN = SENDER.split("@")[1]
SELECTOR = "bench"
BLOCK_LIST = "bl.bench.test"
DNS_SERVER = os.path.join(ROOT, "Tests", "EndToEndTests", "Peers", "dns_server.py")


def missing_tools():
    """Why the checks-on rows cannot run here, or None."""
    try:
        import dkim  # noqa: F401
    except ImportError:
        return "dkimpy is not installed (scripts/test installs it with pip)"
    if not shutil.which("openssl"):
        return "openssl is missing (it makes the DKIM key)"
    return None


class DNSServer:
    """Tests/EndToEndTests/Peers/dns_server.py on a loopback port with the sender's SPF, DKIM and
    DMARC records; the block list has no entry, so every client is unlisted."""

    def __init__(self, work, dkim_public_key):
        self.dir = os.path.join(work, "dns")
        os.makedirs(self.dir, exist_ok=True)
        key = "".join(dkim_public_key)
        # A TXT character-string holds 255 octets at most: the key record is split.
        dkim_record = f"v=DKIM1; k=rsa; p={key}"
        records = [
            {"name": SENDER_DOMAIN, "type": "TXT", "data": ["v=spf1 ip4:127.0.0.1 -all"]},
            {"name": f"{SELECTOR}._domainkey.{SENDER_DOMAIN}", "type": "TXT",
             "data": [dkim_record[i:i + 255] for i in range(0, len(dkim_record), 255)]},
            {"name": f"_dmarc.{SENDER_DOMAIN}", "type": "TXT", "data": ["v=DMARC1; p=reject"]},
        ]
        self.zone = os.path.join(self.dir, "zone.json")
        with open(self.zone, "w") as f:
            json.dump({"records": records}, f)
        self.queries = os.path.join(self.dir, "queries.log")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, DNS_SERVER, self.zone, "--log", self.queries],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"dns_server.py did not start ({line!r})")
        self.port = int(line)

    def asked(self, suffix):
        """Whether a query for a name ending in `suffix` reached this server."""
        with open(self.queries) as f:
            return any(line.split(" ")[0].endswith(suffix) for line in f)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class Rspamd:
    """Debian's rspamd on loopback with no module that asks the network, as the end-to-end tests run it."""

    def __init__(self, work, dns_port):
        self.home = os.path.join(work, "rspamd")
        self.dns_port = dns_port
        self.port = free_port()
        self.proc = None

    def start(self):
        os.makedirs(self.home, exist_ok=True)
        os.chmod(self.home, 0o777)  # rspamd writes its databases here after dropping to _rspamd
        tld = os.path.join(self.home, "tld.dat")
        with open(tld, "w") as f:
            f.write("com\norg\nnet\ntest\nexample\n")
        config = os.path.join(self.home, "rspamd.conf")
        with open(config, "w") as f:
            f.write(f"""options {{
  pidfile = "{self.home}/rspamd.pid";
  filters = "";
  url_tld = "{tld}";
  dns {{ nameserver = ["127.0.0.1:{self.dns_port}"]; timeout = 1s; retransmits = 1; }}
}}
logging {{ type = "console"; level = "info"; }}
actions {{ reject = 15; add_header = 6; greylist = 4; }}
worker "normal" {{ bind_socket = "127.0.0.1:{self.port}"; count = 1; }}
""")
        args = ["rspamd", "-f", "-c", config, "--var", f"DBDIR={self.home}", "--var", f"RUNDIR={self.home}"]
        if os.geteuid() == 0:
            args += ["-u", "_rspamd", "-g", "_rspamd"]
        self.log = open(os.path.join(self.home, "rspamd.log"), "wb")
        self.proc = subprocess.Popen(args, cwd=self.home, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rspamd exited ({self.proc.returncode}); see {self.home}/rspamd.log")
            with open(os.path.join(self.home, "rspamd.log"), "rb") as f:
                if b"starting normal process" in f.read():
                    return
            time.sleep(0.1)
        raise RuntimeError("rspamd did not start in 60 s")

    def scanned_probe(self):
        """Whether rspamd logged a scan of a probe message (its Message-ID starts with "probe-")."""
        with open(os.path.join(self.home, "rspamd.log"), "rb") as f:
            return b"id: <probe-" in f.read()

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()
            wait_for_port_closed(self.port)


class DKIMSigner:
    """Signs each probe message as the sender's domain (dkimpy, an RSA 2048 key made with openssl)."""

    def __init__(self, work):
        key_file = os.path.join(work, "dkim.key")
        subprocess.run(["openssl", "genrsa", "-out", key_file, "2048"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(key_file, "rb") as f:
            self.private_key = f.read()
        der = subprocess.run(["openssl", "rsa", "-in", key_file, "-pubout", "-outform", "PEM"], check=True,
                             capture_output=True).stdout.decode()
        self.public_key = [line for line in der.splitlines() if not line.startswith("-----")]

    def sign(self, message):
        import dkim
        signature = dkim.sign(message, SELECTOR.encode(), SENDER_DOMAIN.encode(), self.private_key,
                              include_headers=[b"from", b"to", b"subject", b"message-id"])
        return signature + message


class CheckedBackstop(Backstop):
    """Backstop as a backup MX with every check it has on; the sender passes them all."""

    name = "Backstop, checks on"

    def __init__(self, binary, work, sink_port, replay_connections, dns_port):
        super().__init__(binary, work, sink_port, replay_connections)
        self.dns_port = dns_port
        self.rspamd_url = None
        self.rspamd = None
        self.directory_name = "backstop-checks"

    def auth_section(self):
        filter_section = f'\n[filter]\nrspamd = "{self.rspamd_url}"\n' if self.rspamd_url else ""
        return f"""[auth]
spf = true
dkim = true
dmarc = true

[dns]
servers = ["127.0.0.1:{self.dns_port}"]
timeout = "2s"

[reputation]

[[reputation.dnsbl]]
zone = "{BLOCK_LIST}"
{filter_section}"""

    def accepts_filter(self, rspamd_url):
        """Whether this build's check-config takes a [filter] section (the content filter)."""
        self.rspamd_url = rspamd_url
        probe_dir = os.path.join(self.work, "filter-probe")
        os.makedirs(probe_dir, exist_ok=True)
        config = os.path.join(probe_dir, "backstop.toml")
        with open(config, "w") as f:
            f.write(self.config_text(os.path.join(probe_dir, "spool", "backstop.sqlite")))
        checked = subprocess.run([self.binary, "check-config", "--config", config], capture_output=True, text=True)
        if checked.returncode != 0:
            self.rspamd_url = None
            return False, (checked.stdout + checked.stderr).strip().splitlines()[-1:] or ["refused"]
        return True, []

    def authentication_results(self):
        """The Authentication-Results field of the last probe message stored in this run's spool."""
        path = os.path.join(self.run_dir(), "spool", "backstop.sqlite")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
            rows = db.execute("SELECT c.data FROM message m JOIN message_chunk c ON c.message_id = m.id "
                              "WHERE c.seq = 0 ORDER BY m.id DESC LIMIT 200").fetchall()
        for (data,) in rows:
            if b"Subject: probe" in data:
                head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
                fields = head.replace("\r\n\t", " ").replace("\r\n ", " ").split("\r\n")
                return next((f for f in fields if f.startswith("Authentication-Results:")), "")
        raise RuntimeError(f"{self.name}: no probe message in {path}")

    def assert_authenticated(self):
        """The probe measured the authenticated path: spf=pass and dkim=pass were recorded."""
        results = self.authentication_results()
        for verdict in ("spf=pass", "dkim=pass", "dmarc=pass"):
            if verdict not in results:
                raise RuntimeError(f"{self.name}: the probe's message was stored without {verdict}: {results!r}")
        return results
