"""Command line of scripts/bench: parses the options, runs the chosen measurements, prints the report."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from . import callgrind, checks, postgres
from .measurements import accept_run, big_message_run, latency_run, replay_run
from .report import ALL, Results, build_table, markdown_report, size_label
from .servers import Backstop, Postfix, Sink
from .system import KB, MB, ROOT, build_backstop, ensure_postfix, free_port, log

DESCRIPTION = """Backstop against Postfix, side by side, on this machine.

    scripts/bench                  full run (about 25 minutes): release build, every server, one table
    scripts/bench --smoke          CI smoke mode: tiny sizes, one run each; checks that a table comes out
    scripts/bench --only replay    only the replay rows (--only: accept, big, replay, checks, postgres)
    scripts/bench --callgrind      instructions per replayed message (valgrind), Backstop alone
    scripts/bench --help           every option

Needs root (Postfix's master runs as root; smtp-sink drops to nobody) and Debian's postfix package,
which is installed with apt-get when smtp-source is missing. Standard library only.

Both servers act as the same backup MX: they accept mail for example.test from anyone on
loopback and relay it to the "primary", a local smtp-sink. Both are durable: Postfix with its
default fsync of every queue file before 250; Backstop with SQLite WAL + synchronous=FULL and 250
only after the commit (which it checks at startup and refuses to run otherwise).
"""


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="scripts/bench", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="CI mode: tiny sizes, one run each (seconds)")
    parser.add_argument("--debug", action="store_true", help="use a debug build of Backstop (faster to build)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown (default 3)")
    parser.add_argument("--only", default=",".join(ALL),
                        help="measurements to run, comma-separated: accept (throughput, latency, peak memory), "
                             "big (concurrent big messages), replay, checks (latency with Backstop's SPF, DKIM, "
                             "DMARC, DNS list and content filter on), postgres (accept and replay on a "
                             "PostgreSQL spool, one and two nodes) (default: all)")
    parser.add_argument("--sessions", default="1,10,50", help="concurrent sessions (default 1,10,50)")
    parser.add_argument("--sizes", default="4096,102400", help="message sizes in bytes (default 4096,102400)")
    parser.add_argument("--replay", type=int, default=10_000, help="messages queued for the replay test")
    parser.add_argument("--replay-connections", type=int, default=20,
                        help="Backstop [primary] max_connections for replay (default 20, "
                             "Postfix's default_destination_concurrency_limit)")
    parser.add_argument("--big", type=int, default=20 * MB, help="message size of the big-message RSS test")
    parser.add_argument("--big-sessions", type=int, default=50)
    parser.add_argument("--callgrind", action="store_true",
                        help="instead of the table: count Backstop's instructions per replayed message under "
                             "valgrind's callgrind (--callgrind-messages queued, only the replay counted)")
    parser.add_argument("--callgrind-messages", type=int, default=1_000,
                        help="messages replayed under callgrind (default 1000)")
    parser.add_argument("--callgrind-out", default=None,
                        help="folder for callgrind.out and the annotated top functions (default: the temp folder)")
    parser.add_argument("--binary", default=None, help="run this backstop binary instead of building one")
    parser.add_argument("--no-build", action="store_true", help="use the existing .build/{release,debug}/backstop")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (configs, logs)")
    args = parser.parse_args(argv)
    args.only = tuple(m.strip() for m in args.only.split(",") if m.strip())
    unknown = [m for m in args.only if m not in ALL]
    if unknown or not args.only:
        parser.error(f"--only takes {', '.join(ALL)}, not {', '.join(unknown) or 'nothing'}")
    if args.smoke:
        args.runs, args.sessions, args.sizes = 1, "1,4", "1024"
        args.replay, args.big, args.big_sessions = 200, 1 * MB, 4
        args.callgrind_messages = min(args.callgrind_messages, 50)
    return args


def main(argv=None):
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    sessions_list = [int(s) for s in args.sessions.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    if os.geteuid() != 0:
        sys.exit("scripts/bench must run as root: it starts a private Postfix instance (master runs as root)")

    ensure_postfix()
    configuration = "debug" if args.debug else "release"
    if args.binary:
        binary = os.path.abspath(args.binary)
    elif args.no_build:
        binary = os.path.join(ROOT, ".build", configuration, "backstop")
    else:
        binary = build_backstop(configuration)
    work = tempfile.mkdtemp(prefix="backstop-bench-")
    os.chmod(work, 0o755)  # Postfix's daemons (user postfix) must reach their queue inside
    if args.callgrind:
        return callgrind.main(args, binary, work)

    sink = Sink(free_port())
    backstop = Backstop(binary, work, sink.port, args.replay_connections)
    postfix = Postfix(work, sink.port)
    servers = [backstop, postfix]
    results = Results()
    notes, helpers = [], []
    checked = None
    if "checks" in args.only:
        checked, helpers = start_checks(args, binary, work, sink.port, notes)
    on_postgres, two_nodes = None, None
    if "postgres" in args.only:
        cluster, on_postgres, two_nodes = postgres.start_postgres(args, binary, work, sink.port, notes)
        if cluster:
            helpers.append(cluster)

    def message_count(sessions, size):
        if args.smoke:
            return 40
        per_session = 200 if size <= 16 * KB else 60
        return max(500 if size <= 16 * KB else 200, min(sessions * per_session, 6000 if size <= 16 * KB else 2000))

    started = time.monotonic()
    load_before = f"{os.getloadavg()[0]:.1f}"
    try:
        turn = 0
        for run in range(args.runs):
            if "accept" in args.only:
                for size in sizes:
                    for sessions in sessions_list:
                        order = servers if turn % 2 == 0 else servers[::-1]
                        turn += 1
                        for server in order:
                            messages = message_count(sessions, size)
                            probes = 20 if args.smoke else (200 if size <= 16 * KB else 100)
                            result = accept_run(server, sessions, size, messages, probes)
                            results.record(server.name, "accept", (size, sessions), result)
                            log(f"run {run + 1}/{args.runs} {server.name:8} {size_label(size):>6} x {sessions:>2} "
                                f"sessions: {result['rate']:8.1f} msg/s  p50 {result['p50']:6.2f} ms  "
                                f"p99 {result['p99']:6.2f} ms  peak {result['rss']:6.1f} MB")
            if "replay" in args.only:
                order = servers if run % 2 == 0 else servers[::-1]
                for server in order:
                    result = replay_run(server, sink, args.replay, 4 * KB)
                    results.record(server.name, "replay", args.replay, result)
                    log(f"run {run + 1}/{args.runs} {server.name:8} replay {args.replay}: first {result['first']:.2f} s, "
                        f"last {result['last']:.2f} s, drain {result['drain']:.0f} msg/s, "
                        f"past slow start {result['full']:.0f} msg/s")
            if checked:
                for sessions in sessions_list:
                    variants = [backstop, checked, postfix]
                    order = variants if turn % 2 == 0 else variants[::-1]
                    turn += 1
                    for server in order:
                        sign = checked.signer.sign if server is checked else None
                        after = record_authentication if server is checked else None
                        result = latency_run(server, sessions, sizes[0], 20 if args.smoke else 200, sign, after)
                        results.record(server.name, "checks", sessions, result)
                        log(f"run {run + 1}/{args.runs} {server.name:19} {size_label(sizes[0]):>6} x {sessions:>2} "
                            f"sessions: p50 {result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms")
            if on_postgres:
                for sessions in sessions_list:
                    variants = [backstop, on_postgres, postfix]
                    order = variants if turn % 2 == 0 else variants[::-1]
                    turn += 1
                    for server in order:
                        result = accept_run(server, sessions, sizes[0], message_count(sessions, sizes[0]),
                                            20 if args.smoke else 200)
                        results.record(server.name, "pg-accept", sessions, result)
                        log(f"run {run + 1}/{args.runs} {server.name:29} {size_label(sizes[0]):>6} x {sessions:>2} "
                            f"sessions: {result['rate']:8.1f} msg/s  p99 {result['p99']:6.2f} ms")
                variants = [backstop, on_postgres] + ([two_nodes] if two_nodes else []) + [postfix]
                for server in (variants if run % 2 == 0 else variants[::-1]):
                    result = replay_run(server, sink, args.replay, 4 * KB)
                    results.record(server.name, "pg-replay", args.replay, result)
                    log(f"run {run + 1}/{args.runs} {server.name:29} replay {args.replay}: "
                        f"last {result['last']:.2f} s, drain {result['drain']:.0f} msg/s")
                    if server is two_nodes:
                        log(f"  sent by node: {two_nodes.sent_counts()}")
        if "big" in args.only:
            for server in servers:
                result = big_message_run(server, args.big_sessions, args.big)
                results.record(server.name, "big", args.big, result)
                log(f"{server.name:8} {args.big_sessions} x {size_label(args.big)}: peak {result['rss']:.1f} MB")
    except BaseException:
        log(f"benchmark failed; configurations and logs are kept in {work}")
        raise
    finally:
        variants = [checked, on_postgres, two_nodes]
        for server in servers + [v for v in variants if v] + helpers[::-1]:
            try:
                server.stop()
            except Exception as error:  # keep stopping the others
                log(f"stopping {getattr(server, 'name', type(server).__name__)}: {error}")
        sink.stop()

    table = build_table(results, args, sizes, sessions_list)
    broken = table.broken_rows()
    if broken:
        log("rows without a measurement: " + "; ".join(broken))
        return 1
    print(markdown_report(table, args, postfix.version, load_before, f"{os.getloadavg()[0]:.1f}",
                          time.monotonic() - started, notes))
    if args.keep:
        log(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def record_authentication(server):
    """Fails the run unless the probe's stored message says spf=pass, dkim=pass and dmarc=pass."""
    results = server.assert_authenticated()
    if not server.dns.asked(f".{checks.BLOCK_LIST}"):
        raise RuntimeError(f"{server.name}: the block list {checks.BLOCK_LIST} was never asked")
    if server.rspamd and not server.rspamd.scanned_probe():
        raise RuntimeError(f"{server.name}: rspamd logged no scan of a probe message")
    log(f"{server.name}: stored {results}")


def start_checks(args, binary, work, sink_port, notes):
    """The DNS server, the DKIM key, rspamd (when installed and [filter] is known) and the checked
    Backstop; (None, []) with a printed reason when the tools are missing."""
    reason = checks.missing_tools()
    if reason:
        log(f"checks rows skipped: {reason}")
        notes.append(f"- Checks on: skipped, {reason}.")
        return None, []
    signer = checks.DKIMSigner(work)
    dns = checks.DNSServer(work, signer.public_key)
    dns.start()
    helpers = [dns]
    checked = checks.CheckedBackstop(binary, work, sink_port, args.replay_connections, dns.port)
    checked.signer, checked.dns = signer, dns
    filtered = "no content filter"
    if shutil.which("rspamd"):
        rspamd = checks.Rspamd(work, dns.port)
        accepted, why = checked.accepts_filter(f"http://127.0.0.1:{rspamd.port}")
        if accepted:
            rspamd.start()
            helpers.append(rspamd)
            checked.rspamd = rspamd
            filtered = f"rspamd {rspamd_version()} as [filter] rspamd on loopback (no module that asks the network)"
        else:
            log(f"checks on: rspamd left out, check-config refuses [filter]: {' '.join(why)}")
            filtered = "no content filter (this build has no [filter] section)"
    else:
        filtered = "no content filter (rspamd is not installed)"
    notes.append(f"""- Checks on: the same latency probe against a second Backstop with [auth] spf, dkim and dmarc on, \
[dns] servers = a DNS server of the bench's own on loopback (Tests/EndToEndTests/Peers/dns_server.py) \
with the sender's SPF (ip4:127.0.0.1 -all), DKIM (RSA 2048) and DMARC (p=reject) records, one \
[[reputation.dnsbl]] zone served by it that does not list the client, {filtered}. Each probe message \
is DKIM-signed (dkimpy) before the timed end of DATA; the smtp-source sessions send unsigned mail \
that passes SPF and DMARC. Every run fails unless the last probe message stored in Backstop's \
spool carries spf=pass, dkim=pass and dmarc=pass, the block list was asked and rspamd (when in) \
scanned a probe message. Backstop keeps DNS \
answers for their TTL, so after a run's first message the checks cost CPU, not round trips. Checks off \
and Postfix rows come from the same \
runs (fresh server each, order alternating).""")
    return checked, helpers


def rspamd_version():
    out = subprocess.run(["rspamd", "--version"], capture_output=True, text=True).stdout
    words = out.split()
    return words[-1] if words else ""
