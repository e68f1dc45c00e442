import Foundation
import Testing

/// What a test changes in backstop's configuration; everything else keeps its default.
struct BackstopOptions {
    /// Extra `[server]` lines, e.g. `max_recipients = 3`.
    var server: [String] = []
    var relayDomains = ["example.test"]
    /// Extra `[relay]` lines, e.g. `verify = true`.
    var relay: [String] = []
    /// Lines of a recipients file; nil for none.
    var recipients: [String]?
    /// Generate a certificate and offer STARTTLS.
    var tls = false
    /// Extra `[spool]` lines, e.g. `max_age = "3s"`.
    var spool: [String] = []
    /// `[spool] url` instead of `path`: a PostgreSQL spool.
    var spoolURL: String?
    /// Further sections, written after `[spool]`, e.g. `[primary]` and `[bounce]` with their keys.
    var sections: [String] = []

    static let hostname = "mx2.backstop.test"
    static let spoolPath = "spool/backstop.sqlite"

    func render(port: Int, certificate: (String, String)?, recipientsFile: String?) -> String {
        var text = """
            [server]
            listen = ["127.0.0.1:\(port)"]
            hostname = "\(Self.hostname)"
            shutdown_grace = "5s"

            """
        for line in server { text += line + "\n" }
        if let (certificate, key) = certificate {
            text += "\n[tls]\ncertificate = \"\(certificate)\"\nprivate_key = \"\(key)\"\n"
        }
        text += "\n[relay]\ndomains = [\(relayDomains.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
        if let recipientsFile { text += "recipients = \"\(recipientsFile)\"\n" }
        for line in relay { text += line + "\n" }
        text += "\n[spool]\n" + (spoolURL.map { "url = \"\($0)\"\n" } ?? "path = \"\(Self.spoolPath)\"\n")
        for line in spool { text += line + "\n" }
        for line in sections { text += line + "\n" }
        // Authentication asks the real DNS and prepends its own field: on only where a test asks for it.
        if !sections.contains("[auth]") { text += "\n[auth]\nspf = false\ndkim = false\ndmarc = false\n" }
        // The admin listener's default port would be shared by every test's backstop.
        if !sections.contains("[admin]") { text += "\n[admin]\nlisten = \"\"\n" }
        return text
    }
}

/// A running `backstop serve` in its own directory, with its own config file and port.
final class BackstopInstance: Sendable {
    let directory: URL
    let port: Int
    let process: ChildProcess

    var pid: Int32 { process.pid }
    /// Absolute path of the spool database (the config gives it relative to `directory`).
    var spoolPath: String { directory.appendingPathComponent(BackstopOptions.spoolPath).path }
    /// Everything backstop logged so far.
    var log: String { process.output.current.stderrText }

    private init(directory: URL, port: Int, process: ChildProcess) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    /// Starts backstop and returns once it logs that it is listening. A port taken in the
    /// meantime by someone else is retried with another one.
    static func start(in directory: URL, options: BackstopOptions = BackstopOptions()) async throws -> BackstopInstance {
        let binary = try Tools.backstop()
        var certificate: (String, String)?
        if options.tls {
            let existing = (directory.appendingPathComponent("cert.pem").path, directory.appendingPathComponent("key.pem").path)
            certificate = FileManager.default.fileExists(atPath: existing.0) ? existing : try await makeCertificate(in: directory)
        }
        let recipientsFile = try options.recipients.map {
            try directory.write($0.joined(separator: "\n") + "\n", to: "recipients").path
        }
        var lastLog = ""
        for _ in 0..<5 {
            let port = try freeLoopbackPort()
            _ = try directory.write(options.render(port: port, certificate: certificate, recipientsFile: recipientsFile),
                                    to: "backstop.toml")
            let process = try ChildProcess(binary, ["serve", "--config", "backstop.toml"], in: directory.path)
            let ready = await process.output.wait(for: .seconds(20)) {
                $0.exit != nil || $0.stderrText.contains("listening on")
            }
            let output = process.output.current
            if ready, output.exit == nil {
                return BackstopInstance(directory: directory, port: port, process: process)
            }
            await process.kill()
            lastLog = process.output.current.stderrText
            // Someone took the port between our probe and backstop's bind: try another.
            guard lastLog.contains("cannot listen") else { break }
        }
        throw SpawnError(description: "backstop did not start listening:\n\(lastLog)")
    }

    /// SIGTERM, and SIGKILL if it is still running after `grace`.
    @discardableResult
    func stop(grace: Duration = .seconds(10)) async -> ExitStatus {
        await process.terminate(grace: grace)
    }
}

/// Runs `body` against a fresh backstop in `directory` (a new one when nil) and stops it
/// afterwards however `body` ends. A backstop still running then must stop cleanly (exit 0).
func withBackstop<T>(_ options: BackstopOptions = BackstopOptions(), in directory: URL? = nil,
                     _ body: (BackstopInstance) async throws -> T) async throws -> T {
    if let directory {
        return try await run(options, in: directory, body)
    }
    return try await withTestDirectory { directory in try await run(options, in: directory, body) }
}

private func run<T>(_ options: BackstopOptions, in directory: URL,
                    _ body: (BackstopInstance) async throws -> T) async throws -> T {
    let server = try await BackstopInstance.start(in: directory, options: options)
    let result: T
    do {
        result = try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    let wasRunning = server.process.isRunning
    let status = await server.stop()
    if wasRunning {
        #expect(status == .exited(0), "backstop should stop cleanly on SIGTERM; log:\n\(server.log)")
    }
    return result
}
