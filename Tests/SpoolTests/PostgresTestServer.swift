import BackstopDefaults
import BackstopSync
import Foundation
import Logging
import PostgresNIO
import PostgresSpool

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL 15 cluster for this test process: created with `initdb` in a temporary
/// directory, started with `pg_ctl` on a free loopback port the first time a test asks for it,
/// and stopped by the postmaster's PID when the process exits (or, if the process dies, by a
/// watchdog shell that outlives it). Tests get a fresh database each (`makeDatabase`).
///
/// PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user.
final class PostgresTestServer: Sendable {
    static let binaries = "/usr/lib/postgresql/15/bin"

    /// Whether the PostgreSQL 15 binaries are installed (`apt-get install postgresql`).
    static let isInstalled = FileManager.default.isExecutableFile(atPath: "\(binaries)/initdb")
        && FileManager.default.isExecutableFile(atPath: "\(binaries)/pg_ctl")

    /// Under `scripts/test` (BACKSTOP_TEST_PEERS=required) a missing server fails the tests
    /// instead of leaving them out.
    static let isRequired = ProcessInfo.processInfo.environment["BACKSTOP_TEST_PEERS"] == "required"

    /// `BACKSTOP_SPOOL_BACKENDS=sqlite` leaves the PostgreSQL cases to another process:
    /// `scripts/test` runs them after the rest, in a `swift test` of their own, because in one
    /// process with the listener's socket tests those tests lost events and hit their time
    /// limits (not yet explained: the stuck process was idle, no thread blocked).
    static let isSelected = ProcessInfo.processInfo.environment["BACKSTOP_SPOOL_BACKENDS"] != "sqlite"

    /// The one server of this process, started on first use. `initdb` and `pg_ctl` are waited
    /// for on a thread of their own: blocking the few threads of Swift's concurrency pool would
    /// starve the dispatch source that notices their exit.
    private static let starting = Task {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PostgresTestServer, any Error>) in
            Thread { continuation.resume(with: Result { try PostgresTestServer() }) }.start()
        }
    }

    static func start() async throws -> PostgresTestServer {
        try await starting.value
    }

    let directory: String
    let port: Int
    let password: String
    let superuser = "postgres"
    private let databaseCounter = Locked(0)
    /// Spools open at once: each may hold `BackstopDefaults.Postgres.maxConnections` server
    /// processes. More at once (32 were tried) forked enough of them to starve the suite's other
    /// tests of the machine's two cores, and their time limits passed.
    let openSpools = AsyncSlots(count: 4)

    private init() throws {
        guard Self.isInstalled else {
            throw ServerError("PostgreSQL 15 is not installed (\(Self.binaries)); apt-get install postgresql")
        }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        directory = base
        password = UUID().uuidString
        port = try Self.freeLoopbackPort()
        let passwordFile = "\(base)/pwfile"
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        let isRoot = getuid() == 0
        if isRoot {
            try Self.run("/bin/chown", ["-R", "postgres:postgres", base])
        }
        let data = "\(base)/data"
        try Self.run(asPostgres: isRoot, "\(Self.binaries)/initdb",
                     ["-D", data, "-U", superuser, "-A", "scram-sha-256", "--pwfile=\(passwordFile)",
                      "--encoding=UTF8", "--locale=C"])
        try Self.run(asPostgres: isRoot, "\(Self.binaries)/pg_ctl", [
            "-D", data, "-l", "\(base)/log", "-w",
            "-o", "-p \(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories=\(base) -c fsync=on -c synchronous_commit=on -c max_connections=400",
            "start",
        ])
        let pidLine = try String(contentsOfFile: "\(data)/postmaster.pid", encoding: .utf8)
            .split(separator: "\n").first.map(String.init) ?? ""
        guard let pid = Int32(pidLine) else { throw ServerError("no PID in \(data)/postmaster.pid") }
        Self.arrangeStop(postmasterPID: pid, directory: base)
    }

    /// A fresh, empty database on the server; its name.
    func makeDatabase() async throws -> String {
        let name = "spool_\(getpid())_\(databaseCounter.withLock { $0 += 1; return $0 })"
        try await withAdminConnection { connection in
            // An identifier cannot be a bound parameter; the name is made above from digits.
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger)
        }
        return name
    }

    /// Runs `body` on a connection as the superuser to the `postgres` database.
    @discardableResult
    func withAdminConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection(database: "postgres", body)
    }

    /// Runs `body` on a connection of its own as the superuser to `database`.
    func withConnection<T>(database: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: connectionConfiguration(database: database), id: 1, logger: Self.logger)
        } catch {
            throw ServerError(String(reflecting: error))
        }
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch let error as PSQLError {
            try? await connection.close()
            // PSQLError's description hides the server's message; a failing test needs it.
            throw ServerError(String(reflecting: error))
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// What `backstop serve` would use: its connection limit, no TLS on loopback.
    func clientConfiguration(database: String) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(host: "127.0.0.1", port: port, username: superuser,
                                                         password: password, database: database, tls: .disable)
        configuration.options.maximumConnections = BackstopDefaults.Postgres.maxConnections
        return configuration
    }

    private func connectionConfiguration(database: String) -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: "127.0.0.1", port: port, username: superuser, password: password,
                                         database: database, tls: .disable)
    }

    static let logger = Logger(label: "backstop.spool.tests.postgres") { _ in SwiftLogNoOpLogHandler() }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServerError("socket: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { throw ServerError("cannot bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func run(asPostgres: Bool, _ program: String, _ arguments: [String]) throws {
        if asPostgres {
            try run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        } else {
            try run(program, arguments)
        }
    }

    /// posix_spawn and waitpid rather than Foundation's `Process`, which learns of a child's
    /// exit from a descriptor the child inherits: the postmaster that `pg_ctl start` leaves
    /// behind inherits it too, and the exit would never be seen. Output goes to a file.
    private static func run(_ program: String, _ arguments: [String]) throws {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-pg-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ServerError("cannot run \(program): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw ServerError("waitpid for \(program): errno \(errno)") }
        }
        // Exited normally with status 0 (WIFEXITED and WEXITSTATUS, which Swift does not import).
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ServerError("\(program) \(arguments.joined(separator: " ")) failed (wait status \(status)): \(text)")
        }
    }

    /// At exit the postmaster gets SIGINT (PostgreSQL's fast shutdown) and the directory goes
    /// once it has stopped. A process killed before `atexit` runs leaves that to a watchdog
    /// shell, which waits for this process to disappear and then does the same.
    private static func arrangeStop(postmasterPID: Int32, directory: String) {
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            kill -INT \(postmasterPID) 2>/dev/null
            while kill -0 \(postmasterPID) 2>/dev/null; do sleep 0.1; done
            rm -rf '\(directory)'
            """
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        watchdog.arguments = ["/bin/sh", "-c", script]
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
        stopAtExit.withLock { $0 = (postmasterPID, directory) }
        atexit {
            guard let (pid, directory) = stopAtExit.withLock({ $0 }) else { return }
            kill(pid, SIGINT)
            // The postmaster is not our child: wait for it to go, bounded to ten seconds.
            for _ in 0..<1000 where kill(pid, 0) == 0 {
                usleep(10_000)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

/// What the exit handler stops; a C function pointer captures nothing.
private let stopAtExit = Locked<(pid: Int32, directory: String)?>(nil)

/// A counting semaphore for tasks: `acquire` waits while every slot is taken.
actor AsyncSlots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) {
        free = count
    }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            free += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
