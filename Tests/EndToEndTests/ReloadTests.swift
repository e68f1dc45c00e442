import Foundation
import Testing

/// SIGHUP: a new certificate, recipients file and relay domains without dropping a session;
/// a broken file keeps what is in force and says why.
@Suite("SIGHUP reload", .timeLimit(.minutes(3)))
struct ReloadTests {
    @Test("new certificate seen by openssl s_client after HUP; a session opened before keeps going; bad reload keeps the old")
    func certificateReload() async throws {
        let openssl = try Tools.require("openssl")
        let python = try Tools.require("python3")
        try await withTestDirectory { directory in
            var options = BackstopOptions(tls: true)
            options.recipients = ["user@example.test"]
            try await withBackstop(options, in: directory) { server in
                #expect(try await Self.subject(openssl, port: server.port) == "CN=localhost")
                let proceed = directory.appendingPathComponent("proceed").path
                let held = try ChildProcess(python, [Tools.peersDirectory.appendingPathComponent("held_tls_session.py").path,
                                                     String(server.port), proceed])
                #expect(await held.output.wait(for: .seconds(20)) { $0.stdoutText.contains("ready ") || $0.exit != nil })
                #expect(held.output.current.stdoutText.contains("ready subject=localhost"), "\(held.output.current.stderrText)")

                // A new certificate, a new relay domain and a new recipient, then HUP.
                try await Self.replaceCertificate(in: directory, commonName: "reloaded.backstop.test", openssl: openssl)
                let config = directory.appendingPathComponent("backstop.toml")
                let text = try String(contentsOf: config, encoding: .utf8)
                    .replacingOccurrences(of: "domains = [\"example.test\"]", with: "domains = [\"example.test\", \"added.test\"]")
                _ = try directory.write(text, to: "backstop.toml")
                _ = try directory.write("user@example.test\nnew@added.test\n", to: "recipients")
                try await Self.hangUp(server, expecting: "SIGHUP: reloaded", count: 1)

                #expect(try await Self.subject(openssl, port: server.port) == "CN=reloaded.backstop.test")
                let added = try await smtplibDialog([
                    .connect(server.port), .ehlo(), .mail("a@example.org"), .rcpt("new@added.test"), .rcpt("nobody@added.test"), .quit,
                ])
                #expect(added[3].code == 250, "the new domain and recipient are accepted: \(added[3])")
                #expect(added[4].code == 550, "the recipients file still decides within it: \(added[4])")

                _ = FileManager.default.createFile(atPath: proceed, contents: nil)
                #expect(await held.output.wait(for: .seconds(20)) { $0.exit != nil })
                #expect(held.output.current.exit == .exited(0), "\(held.output.current.stderrText)")
                #expect(held.output.current.stdoutText.contains("sent 250 2.0.0 Ok: queued as "),
                        "the session from before the reload still delivers: \(held.output.current.stdoutText)")
                #expect(held.output.current.stdoutText.contains("subject=localhost"), "and keeps its own TLS session")

                // Broken: a certificate file that is no certificate. Everything stays as it was.
                _ = try directory.write("not a certificate\n", to: "cert.pem")
                try await Self.hangUp(server, expecting: "SIGHUP: reload failed, keeping the previous configuration", count: 1)
                #expect(server.log.contains("[tls] certificate"), "the log says which key and why: \(server.log)")
                #expect(server.process.isRunning)
                #expect(try await Self.subject(openssl, port: server.port) == "CN=reloaded.backstop.test")
                let still = try await smtplibDialog([.connect(server.port), .ehlo(), .mail("a@example.org"), .rcpt("new@added.test"), .quit])
                #expect(still[3].code == 250, "\(still[3])")

                // Broken TOML too: same.
                _ = try directory.write(text + "\n[server\n", to: "backstop.toml")
                try await Self.hangUp(server, expecting: "SIGHUP: reload failed, keeping the previous configuration", count: 2)
                #expect(server.process.isRunning)
            }
        }
    }

    static func hangUp(_ server: BackstopInstance, expecting line: String, count: Int) async throws {
        server.process.signal(SIGHUP)
        let seen = await server.process.output.wait(for: .seconds(10)) { output in
            output.exit != nil || output.stderrText.components(separatedBy: line).count - 1 >= count
        }
        guard seen, server.process.isRunning else {
            throw WaitTimeout(description: "after SIGHUP, no \"\(line)\" in the log:\n\(server.log)")
        }
    }

    /// The subject of the certificate STARTTLS presents, e.g. "CN=localhost".
    static func subject(_ openssl: String, port: Int) async throws -> String? {
        let output = try await runToCompletion(openssl, [
            "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(port)", "-servername", "localhost",
        ], timeout: .seconds(30))
        let line = output.stdoutText.split(separator: "\n").first { $0.hasPrefix("subject=") }
        return line.map { String($0.dropFirst("subject=".count)).replacingOccurrences(of: " ", with: "") }
    }

    /// Writes a new key and certificate beside the old ones, then renames them over it, as
    /// certbot's deploy hooks do.
    static func replaceCertificate(in directory: URL, commonName: String, openssl: String) async throws {
        let key = directory.appendingPathComponent("key.new.pem").path
        let certificate = directory.appendingPathComponent("cert.new.pem").path
        let output = try await runToCompletion(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
            "-subj", "/CN=\(commonName)",
        ])
        #expect(output.exit == .exited(0), "\(output.stderrText)")
        #expect(rename(key, directory.appendingPathComponent("key.pem").path) == 0)
        #expect(rename(certificate, directory.appendingPathComponent("cert.pem").path) == 0)
    }
}
