"""Backstop on a PostgreSQL spool ([spool] url): a private PostgreSQL cluster of the bench's own, one
node, and two nodes sharing the queue; left out with the reason when this build or machine cannot."""

import os
import secrets
import shutil
import subprocess

from .servers import Backstop
from .system import free_port, log, wait_for_port_closed

BINARIES = "/usr/lib/postgresql/15/bin"


def missing_postgres():
    """Why no PostgreSQL cluster can start here, or None."""
    for tool in ("initdb", "pg_ctl", "psql"):
        if not os.access(os.path.join(BINARIES, tool), os.X_OK):
            return f"PostgreSQL 15 is not installed ({BINARIES}/{tool}; scripts/test installs postgresql)"
    return None


class PostgresCluster:
    """initdb + pg_ctl in a temp folder on a loopback port, as the unprivileged user postgres when run
    as root; fsync and synchronous_commit on, as Backstop requires of a spool."""

    def __init__(self, work):
        self.base = os.path.join(work, "postgresql")
        self.data = os.path.join(self.base, "data")
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.databases = 0
        self.running = False

    def run(self, tool, *args, capture=False):
        command = [os.path.join(BINARIES, tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, cwd=self.base, capture_output=True, text=True,
                              env=dict(os.environ, PGPASSWORD=self.password))

    def start(self):
        os.makedirs(self.base, mode=0o700)
        password_file = os.path.join(self.base, "pwfile")
        with open(password_file, "w") as f:
            f.write(self.password)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self.run("initdb", "-D", self.data, "-U", "postgres", "-A", "scram-sha-256", f"--pwfile={password_file}",
                 "--encoding=UTF8", "--locale=C")
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.base, "log"), "-w", "-o",
                 f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base} "
                 "-c fsync=on -c synchronous_commit=on -c max_connections=400", "start")
        self.running = True
        self.version = self.sql("SHOW server_version").split()[0]

    def sql(self, statement, database="postgres"):
        out = self.run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                       "-At", "-c", statement)
        return out.stdout.strip()

    def create_database(self):
        self.databases += 1
        name = f"spool_{self.databases}"
        self.sql(f"CREATE DATABASE {name}")  # the name is made of digits above
        return name

    def url(self, database):
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def stop(self):
        if self.running:
            self.running = False
            self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
            wait_for_port_closed(self.port)


class PostgresBackstop(Backstop):
    """Backstop with [spool] url on a fresh database of the bench's cluster for every run."""

    name = "Backstop, PostgreSQL"

    def __init__(self, binary, work, sink_port, replay_connections, cluster, node=None, directory_name="backstop-pg"):
        super().__init__(binary, work, sink_port, replay_connections)
        self.cluster, self.node = cluster, node
        self.directory_name = directory_name
        self.database = None
        self.shared_database = False

    def spool_section(self, spool):
        return f'[spool]\nurl = "{self.cluster.url(self.database)}"\n'

    def cluster_section(self):
        return f'[cluster]\nnode = "{self.node}"\n' if self.node else ""

    def start(self):
        if not self.shared_database:
            self.database = self.cluster.create_database()
        super().start()

    def queued(self):
        return int(self.cluster.sql("SELECT count(*) FROM message", self.database))

    def refusal(self):
        """Why this build's serve does not run on a PostgreSQL spool (its last log line), or None."""
        try:
            self.start()
        except RuntimeError as error:
            self.proc = None
            with open(os.path.join(self.run_dir(), "backstop.log"), errors="replace") as f:
                lines = [line.strip() for line in f if line.strip()]
            return lines[-1] if lines else str(error)
        self.stop()
        return None

    def accepts_cluster(self):
        """Whether check-config takes a [cluster] node key (several nodes on one spool)."""
        probe = PostgresBackstop(self.binary, self.work, self.sink_port, self.replay_connections, self.cluster,
                                 node="probe", directory_name="cluster-probe")
        probe.database = "postgres"
        os.makedirs(probe.work, exist_ok=True)
        config = os.path.join(self.work, "cluster-probe.toml")
        with open(config, "w") as f:
            f.write(probe.config_text(""))
        checked = subprocess.run([self.binary, "check-config", "--config", config], capture_output=True, text=True)
        last = (checked.stdout + checked.stderr).strip().splitlines()[-1:] or ["refused"]
        return checked.returncode == 0, last[0]


class TwoNodes:
    """Two Backstop nodes (two serve processes, [cluster] node a and b) on one PostgreSQL spool, each
    with its own SMTP port, both forwarding to the same primary; mail is queued through both."""

    name = "Backstop, PostgreSQL, 2 nodes"

    def __init__(self, binary, work, sink_port, replay_connections, cluster):
        self.cluster = cluster
        self.nodes = [PostgresBackstop(binary, work, sink_port, replay_connections, cluster, node=name,
                                       directory_name=f"backstop-pg-{name}") for name in ("node-a", "node-b")]
        self.ports = [node.port for node in self.nodes]
        self.port = self.ports[0]

    def start(self):
        database = self.cluster.create_database()
        for node in self.nodes:
            node.database, node.shared_database = database, True
        self.nodes[0].start()
        self.nodes[1].start()

    def queued(self):
        return self.nodes[0].queued()

    def flush(self):
        pass

    def sent_counts(self):
        """Messages each node handed to the primary in its last run (its "status=sent" log lines)."""
        counts = {}
        for node in self.nodes:
            with open(os.path.join(node.run_dir(), "backstop.log"), errors="replace") as f:
                counts[node.node] = sum("status=sent" in line for line in f)
        return counts

    def stop(self):
        for node in self.nodes:
            node.stop()


def start_postgres(args, binary, work, sink_port, notes):
    """The cluster and the servers on it: (cluster, one node, two nodes or None); (None, None, None)
    with a printed reason when PostgreSQL is missing or this build's serve refuses [spool] url."""
    reason = missing_postgres()
    cluster = None
    if not reason:
        cluster = PostgresCluster(work)
        cluster.start()
        one = PostgresBackstop(binary, work, sink_port, args.replay_connections, cluster)
        reason = one.refusal()
        if reason:
            reason = f"serve refuses [spool] url: {reason}"
    if reason:
        log(f"PostgreSQL rows skipped: {reason}")
        notes.append(f"- PostgreSQL spool: skipped, {reason}.")
        if cluster:
            cluster.stop()
        return None, None, None
    two = None
    clustered, why = one.accepts_cluster()
    if clustered:
        two = TwoNodes(binary, work, sink_port, args.replay_connections, cluster)
        nodes_note = ("Two nodes: two serve processes with [cluster] node = node-a / node-b on one database, "
                      "each on its own SMTP port, both forwarding to the same smtp-sink; the replay's mail is "
                      "queued through both (half each).")
    else:
        log(f"two-node replay skipped: check-config refuses [cluster] node: {why}")
        nodes_note = f"Two nodes: skipped, check-config refuses [cluster] node ({why})."
    notes.append(f"""- PostgreSQL spool: Backstop with [spool] url on a private PostgreSQL {cluster.version} \
(initdb + pg_ctl in the temp folder, loopback port, fsync = on, synchronous_commit = on), a fresh \
database per run; accept and replay as above, beside SQLite and Postfix in the same runs. {nodes_note}""")
    return cluster, one, two
