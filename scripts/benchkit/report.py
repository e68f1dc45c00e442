"""The markdown report: one table, Backstop/Postfix for every row, and the notes on how it was measured."""

import os
import statistics

from .system import DOMAIN, KB, MB


def fmt(value, digits):
    return f"{value:,.{digits}f}"


def plural(sessions):
    return f"{sessions} session" + ("" if sessions == 1 else "s")


def size_label(size):
    return f"{size // MB} MB" if size >= MB else f"{size // KB} KB"


class Results:
    """Every run's figures, keyed by (server name, kind, key, metric); a row shows their median."""

    def __init__(self):
        self.values = {}

    def record(self, name, kind, key, figures):
        for metric, value in figures.items():
            self.values.setdefault((name, kind, key, metric), []).append(value)

    def has(self, name, kind):
        return any(k[0] == name and k[1] == kind for k in self.values)

    def median(self, name, kind, key, metric):
        return statistics.median(self.values[(name, kind, key, metric)])


class Table:
    def __init__(self):
        self.rows = []

    def add(self, label, backstop, postfix, digits, better, against=""):
        ratio = backstop / postfix if postfix else float("nan")
        self.rows.append((label, fmt(backstop, digits), fmt(postfix, digits), f"{ratio:.2f}", against, better))

    def compare(self, results, label, kind, key, metric, digits, better, name="Backstop", base=None):
        """A row of `name` (a Backstop variant) against Postfix; with `base` = (name, what), also the
        variant's difference and ratio to that Backstop's figure in the same run."""
        value = results.median(name, kind, key, metric)
        against = ""
        if base:
            reference = results.median(base[0], kind, key, metric)
            ratio = value / reference if reference else float("nan")
            unit = label[label.rfind("(") + 1:-1] if label.endswith(")") else ""
            against = f"{value - reference:+,.{digits}f} {unit}, {ratio:.2f}x {base[1]}".replace(" ,", ",")
        self.add(label, value, results.median("Postfix", kind, key, metric), digits, better, against)

    def broken_rows(self):
        """Rows without a figure for both servers: the smoke mode's assertion (not a speed)."""
        return [row[0] for row in self.rows if "nan" in row[1:4] or row[1] == row[2] == "0"]

    def markdown(self):
        out = ["| measurement | Backstop | Postfix | Backstop/Postfix | against Backstop's usual setup | better |",
               "|---|---:|---:|---:|---|---|"]
        out += [f"| {' | '.join(row)} |" for row in self.rows]
        return "\n".join(out)


def build_table(results, args, sizes, sessions_list):
    table = Table()
    if "accept" in args.only:
        for size in sizes:
            for sessions in sessions_list:
                table.compare(results, f"accept, {size_label(size)}, {plural(sessions)} (msg/s)",
                              "accept", (size, sessions), "rate", 0, "higher")
        for size in sizes:
            for sessions in sessions_list:
                for metric in ("p50", "p99"):
                    table.compare(results, f"accept latency {metric}, {size_label(size)}, {plural(sessions)} (ms)",
                                  "accept", (size, sessions), metric, 2, "lower")
        for size in sizes:
            for sessions in sessions_list:
                table.compare(results, f"peak memory, {size_label(size)}, {plural(sessions)} (MB)",
                              "accept", (size, sessions), "rss", 1, "lower")
    if "big" in args.only:
        table.compare(results, f"peak memory, {args.big_sessions} concurrent {size_label(args.big)} messages (MB)",
                      "big", args.big, "rss", 1, "lower")
    if "replay" in args.only:
        n = args.replay
        table.compare(results, f"replay {n:,} x 4 KB: sink start to first message (s)", "replay", n, "first", 2, "lower")
        table.compare(results, f"replay {n:,} x 4 KB: sink start to last message (s)", "replay", n, "last", 2, "lower")
        table.compare(results, f"replay {n:,} x 4 KB: drain, first to last message (msg/s)",
                      "replay", n, "drain", 0, "higher")
        table.compare(results, f"replay {n:,} x 4 KB: past slow start, {n // 10:,}th to last message (msg/s)",
                      "replay", n, "full", 0, "higher")
    if "checks" in args.only and results.has("Backstop, checks on", "checks"):
        size = sizes[0]
        for sessions in sessions_list:
            for metric in ("p50", "p99"):
                label = f"accept latency {metric}, {size_label(size)}, {plural(sessions)}"
                table.compare(results, f"{label}, checks off (ms)", "checks", sessions, metric, 2, "lower")
                table.compare(results, f"{label}, checks on (ms)", "checks", sessions, metric, 2, "lower",
                              name="Backstop, checks on", base=("Backstop", "of checks off"))
    if "postgres" in args.only and results.has("Backstop, PostgreSQL", "pg-accept"):
        size = sizes[0]
        for sessions in sessions_list:
            label = f"accept, {size_label(size)}, {plural(sessions)}"
            table.compare(results, f"{label}, SQLite (msg/s)", "pg-accept", sessions, "rate", 0, "higher")
            table.compare(results, f"{label}, PostgreSQL (msg/s)", "pg-accept", sessions, "rate", 0, "higher",
                          name="Backstop, PostgreSQL", base=("Backstop", "of SQLite"))
            label = f"accept latency p99, {size_label(size)}, {plural(sessions)}"
            table.compare(results, f"{label}, SQLite (ms)", "pg-accept", sessions, "p99", 2, "lower")
            table.compare(results, f"{label}, PostgreSQL (ms)", "pg-accept", sessions, "p99", 2, "lower",
                          name="Backstop, PostgreSQL", base=("Backstop", "of SQLite"))
        n = args.replay
        for metric, what, digits, better in (("last", "sink start to last message (s)", 2, "lower"),
                                             ("drain", "drain, first to last message (msg/s)", 0, "higher"),
                                             ("full", f"past slow start, {n // 10:,}th to last message (msg/s)", 0,
                                              "higher")):
            table.compare(results, f"replay {n:,} x 4 KB, SQLite: {what}", "pg-replay", n, metric, digits, better)
            table.compare(results, f"replay {n:,} x 4 KB, PostgreSQL: {what}", "pg-replay", n, metric, digits,
                          better, name="Backstop, PostgreSQL", base=("Backstop", "of SQLite"))
            if results.has("Backstop, PostgreSQL, 2 nodes", "pg-replay"):
                table.compare(results, f"replay {n:,} x 4 KB, PostgreSQL, 2 nodes: {what}", "pg-replay", n, metric,
                              digits, better, name="Backstop, PostgreSQL, 2 nodes",
                              base=("Backstop, PostgreSQL", "of one node"))
    return table


def markdown_report(table, args, postfix_version, load_before, load_after, seconds, notes_extra=()):
    build = "debug" if args.debug else "release"
    n = args.replay
    notes = []
    if "accept" in args.only or "big" in args.only:
        notes.append(f"""- Both run as the backup MX of {DOMAIN}, primary (smtp-sink) down while accepting, each run on a fresh \
server and an empty queue. Load: smtp-source -d -s SESSIONS -m MESSAGES -l SIZE (throughput = messages / \
wall time). Latency: a probe session times the final "." to the 250 reply while SESSIONS-1 smtp-source \
sessions keep the load up.
- Peak memory: Backstop, VmHWM of its one process; Postfix, the largest sum of PSS (proportional set \
size, so shared pages count once) over master and all its children, sampled every 50 ms.""")
    if "replay" in args.only:
        notes.append(f"""- Replay: {n:,} messages queued with the primary down, then smtp-sink started. Backstop replays by itself \
once a health probe (check_interval 1s, up_after 1) sees the primary up, up to {args.replay_connections} \
connections; Postfix gets postqueue -f right after the sink starts and delivers with its default \
concurrency (5, up to 20). Times are from the sink's start, counted by smtp-sink -c.""")
    notes += list(notes_extra)
    notes.append("""- Postfix settings: default_process_limit = 200, smtpd client rate/count limits off, \
smtpd_peername_lookup = no, no chroot, retry/backoff and in_flow_delay defaults.""")
    measured = "" if args.only == ALL else f"; only {', '.join(m for m in ALL if m in args.only)}"
    smoke = " (smoke run: tiny sizes, not a measurement)" if args.smoke else ""
    return f"""## Backstop vs Postfix {postfix_version}{smoke}

Machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}; Backstop {build} build; \
load average before/after {load_before} / {load_after}; median of {args.runs} run(s) per figure, servers alternating \
run by run{measured}; {seconds:.0f} s in all.

{table.markdown()}

- Durability: Postfix with its default behaviour (cleanup fsyncs each queue file before 250); \
Backstop with SQLite WAL and synchronous=FULL, 250 only after the commit (group commit: one fsync per batch).
""" + "\n".join(notes)


ALL = ("accept", "big", "replay", "checks", "postgres")
