import Foundation
import Testing

/// A private PostgreSQL 15 cluster for one end-to-end test: `initdb` in a directory of its own,
/// `pg_ctl` on a free loopback port, trust authentication on loopback only. The test can stop
/// and start it again on the same port (an outage of the database); `withTestPostgres` stops it
/// by its data directory however the test ends. As root the server runs as `postgres`.
final class TestPostgres: Sendable {
    static let binaries = "/usr/lib/postgresql/15/bin"

    /// Whether the tests that need it run: the binaries are installed, or must be (`scripts/test`).
    static let available = Tools.peersRequired || FileManager.default.isExecutableFile(atPath: "\(binaries)/initdb")

    let directory: String
    let port: Int
    private let asPostgres: Bool

    /// `[spool] url` for this server's `postgres` database.
    var url: String { "postgresql://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }
    var dataDirectory: String { "\(directory)/data" }

    private init(directory: String, port: Int, asPostgres: Bool) {
        self.directory = directory
        self.port = port
        self.asPostgres = asPostgres
    }

    static func create() async throws -> TestPostgres {
        guard FileManager.default.isExecutableFile(atPath: "\(binaries)/initdb") else {
            throw SpawnError(description: "PostgreSQL 15 is not installed (\(binaries)); apt-get install postgresql")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-e2e-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let asPostgres = getuid() == 0
        if asPostgres { try await check(runToCompletion("/bin/chown", ["-R", "postgres:postgres", directory])) }
        var server = TestPostgres(directory: directory, port: try freeLoopbackPort(), asPostgres: asPostgres)
        try await server.run("initdb", ["-D", server.dataDirectory, "-U", "postgres", "-A", "trust",
                                        "--encoding=UTF8", "--locale=C"])
        // Another process may take the port between our probe and the postmaster's bind: then
        // the same cluster starts on another one.
        for _ in 0..<4 {
            do {
                try await server.start()
                return server
            } catch {
                let log = (try? String(contentsOfFile: "\(directory)/log", encoding: .utf8)) ?? ""
                guard log.contains("Address already in use") else { throw error }
                try? FileManager.default.removeItem(atPath: "\(directory)/log")
                server = TestPostgres(directory: directory, port: try freeLoopbackPort(), asPostgres: asPostgres)
            }
        }
        try await server.start()
        return server
    }

    /// Starts the server and returns once it accepts connections.
    func start() async throws {
        try await run("pg_ctl", [
            "-D", dataDirectory, "-l", "\(directory)/log", "-w", "-t", "60",
            "-o", "-p \(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories=\(directory) -c synchronous_commit=on -c max_connections=100",
            "start",
        ])
    }

    /// Stops the server (fast shutdown: open sessions are cut) and returns once it is down.
    func stop() async throws {
        try await run("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Runs SQL with psql and returns its unaligned output.
    func query(_ sql: String) async throws -> String {
        let output = try await runToCompletion("\(Self.binaries)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres",
                                                                          "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        try Self.check(output)
        return output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    fileprivate func remove() async {
        if FileManager.default.fileExists(atPath: "\(dataDirectory)/postmaster.pid") { try? await stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// pg_ctl's postmaster inherits none of our pipes (its output goes to the log file), yet
    /// only the exit of pg_ctl itself is waited for.
    private func run(_ program: String, _ arguments: [String]) async throws {
        let path = "\(Self.binaries)/\(program)"
        let child = asPostgres
            ? try ChildProcess("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments, in: directory)
            : try ChildProcess(path, arguments, in: directory)
        guard let status = await child.waitForExit(within: .seconds(90)) else {
            await child.kill()
            throw SpawnError(description: "\(program) did not finish within 90 s")
        }
        guard status == .exited(0) else {
            let log = (try? String(contentsOfFile: "\(directory)/log", encoding: .utf8)) ?? ""
            throw SpawnError(description: "\(program) \(arguments.joined(separator: " ")) failed (\(status)): \(child.output.current.stderrText)\n\(log)")
        }
    }

    private static func check(_ output: ChildProcess.Output) throws {
        guard output.exit == .exited(0) else {
            throw SpawnError(description: "\(output.summary)")
        }
    }
}

/// Runs `body` with a fresh PostgreSQL server, stopped and removed afterwards however `body` ends.
func withTestPostgres<T>(_ body: (TestPostgres) async throws -> T) async throws -> T {
    let server = try await TestPostgres.create()
    do {
        let result = try await body(server)
        await server.remove()
        return result
    } catch {
        await server.remove()
        throw error
    }
}

extension BackstopOptions {
    /// Backstop forwarding to `primary` with its spool in the PostgreSQL database at `url`.
    static func forwarding(to primary: String, spoolURL url: String, spool: [String] = [],
                           sections extra: [String] = []) -> BackstopOptions {
        var options = BackstopOptions.forwarding(to: primary, spool: spool)
        options.spoolURL = url
        options.sections += extra
        return options
    }
}
