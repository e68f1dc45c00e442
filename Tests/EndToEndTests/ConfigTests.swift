import Foundation
import Testing

/// The configuration contract of the CLI: a broken file is one line on stderr naming the file
/// and key, exit code 2, for `serve` and `check-config` alike, and nothing half-started.
@Suite("Configuration and CLI", .timeLimit(.minutes(2)))
struct ConfigTests {
    struct BrokenConfig: CustomTestStringConvertible, Sendable {
        var name: String
        /// The key the error must name.
        var key: String
        /// The file's text; `DIR` stands for the test directory.
        var text: String
        var testDescription: String { name }
    }

    static let broken: [BrokenConfig] = [
        BrokenConfig(name: "unknown key", key: "bogus", text: """
            [server]
            listen = ["127.0.0.1:2600"]
            bogus = 1
            """),
        BrokenConfig(name: "wrong type", key: "max_recipients", text: """
            [server]
            max_recipients = "100"
            """),
        BrokenConfig(name: "missing certificate file", key: "certificate", text: """
            [tls]
            certificate = "DIR/no-such-cert.pem"
            private_key = "DIR/key.pem"
            """),
        BrokenConfig(name: "private key that does not match the certificate", key: "private_key", text: """
            [tls]
            certificate = "DIR/cert.pem"
            private_key = "DIR/other/key.pem"
            """),
    ]

    @Test("Broken config: exit 2, one stderr line naming file and key, nothing started",
          arguments: broken, ["serve", "check-config"])
    func brokenConfig(_ config: BrokenConfig, command: String) async throws {
        let backstop = try Tools.backstop()
        try await withTestDirectory { directory in
            _ = try await makeCertificate(in: directory)
            let other = directory.appendingPathComponent("other")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            _ = try await makeCertificate(in: other)
            let text = config.text.replacingOccurrences(of: "DIR", with: directory.path)
                + "\n[spool]\npath = \"spool/backstop.sqlite\"\n"
            let file = try directory.write(text, to: "broken.toml")
            let output = try await runToCompletion(backstop, [command, "--config", file.path], in: directory.path,
                                                   timeout: .seconds(20))
            let lines = output.stderrText.split(separator: "\n")
            #expect(output.exit == .exited(2), "\(output.exit.map(String.init(describing:)) ?? "-"); stderr:\n\(output.stderrText)")
            #expect(lines.count == 1, "exactly one line on stderr, got:\n\(output.stderrText)")
            #expect(output.stderrText.contains(file.path), "the file is named: \(output.stderrText)")
            #expect(output.stderrText.contains(config.key), "the key is named: \(output.stderrText)")
            #expect(output.stdout.isEmpty, "\(output.stdoutText)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("spool").path),
                    "nothing half-started: no spool created")
        }
    }

    @Test("check-config on a good file prints the effective TOML and exits 0")
    func checkGoodConfig() async throws {
        let backstop = try Tools.backstop()
        try await withTestDirectory { directory in
            let file = try directory.write("""
                [server]
                listen = ["127.0.0.1:2600"]
                max_recipients = 7
                [relay]
                domains = ["example.test", ".corp.test"]
                """, to: "good.toml")
            let output = try await runToCompletion(backstop, ["check-config", "--config", file.path], in: directory.path)
            #expect(output.exit == .exited(0), "\(output.stderrText)")
            // Valid, but without recipients or verify: one warning on standard error.
            #expect(output.stderrText.hasPrefix("backstop: warning: [relay] has neither recipients nor verify = true"), "\(output.stderrText)")
            #expect(output.stderrText.contains("backscatter source"), "\(output.stderrText)")
            #expect(output.stderrText.split(separator: "\n").count == 1, "\(output.stderrText)")
            let printed = output.stdoutText
            for expected in ["[server]", "listen = [\"127.0.0.1:2600\"]", "max_recipients = 7", "max_errors = 20",
                             "domains = [\"example.test\", \".corp.test\"]", "path = \"spool/backstop.sqlite\""] {
                #expect(printed.contains(expected), "missing \(expected) in:\n\(printed)")
            }
            // What it prints is itself a valid configuration that says the same.
            let reprinted = try directory.write(printed, to: "printed.toml")
            let again = try await runToCompletion(backstop, ["check-config", "--config", reprinted.path], in: directory.path)
            #expect(again.exit == .exited(0), "\(again.stderrText)")
            #expect(again.stdoutText.split(separator: "\n").dropFirst() == printed.split(separator: "\n").dropFirst())
        }
    }

    @Test("check-config says nothing on standard error when a recipients file settles who exists")
    func noBackscatterWarningWithRecipients() async throws {
        let backstop = try Tools.backstop()
        try await withTestDirectory { directory in
            let recipients = try directory.write("alice@example.test\n", to: "recipients")
            let file = try directory.write("""
                [relay]
                domains = ["example.test"]
                recipients = "\(recipients.path)"
                """, to: "good.toml")
            let output = try await runToCompletion(backstop, ["check-config", "--config", file.path], in: directory.path)
            #expect(output.exit == .exited(0), "\(output.stderrText)")
            #expect(output.stderr.isEmpty, "\(output.stderrText)")
        }
    }

    @Test("serve logs the backscatter warning at start")
    func serveWarnsOfBackscatter() async throws {
        try await withBackstop { server in
            // Logged before the listener starts, so it is there once backstop listens.
            #expect(server.log.contains("backscatter source"), "\(server.log)")
            #expect(server.log.contains("[relay] has neither recipients nor verify = true"), "\(server.log)")
        }
    }

    @Test("Without --config, the embedded defaults: 127.0.0.1:2525, spool/backstop.sqlite, example.test")
    func embeddedDefaults() async throws {
        let backstop = try Tools.backstop()
        try #require(!FileManager.default.fileExists(atPath: "/etc/backstop/backstop.toml"),
                     "/etc/backstop/backstop.toml exists on this machine, so the embedded defaults cannot be checked")
        try await withTestDirectory { directory in
            let output = try await runToCompletion(backstop, ["check-config"], in: directory.path)
            #expect(output.exit == .exited(0), "\(output.stderrText)")
            let printed = output.stdoutText
            for expected in ["(embedded defaults)", "listen = [\"127.0.0.1:2525\"]", "path = \"spool/backstop.sqlite\"",
                             "domains = [\"example.test\"]", "max_recipients = 100", "max_connections_per_ip = 20"] {
                #expect(printed.contains(expected), "missing \(expected) in:\n\(printed)")
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(leftovers.isEmpty, "check-config creates nothing: \(leftovers)")
        }
    }

    @Test("--help works on every command", arguments: [[], ["serve"], ["check-config"]])
    func help(_ command: [String]) async throws {
        let output = try await runToCompletion(try Tools.backstop(), command + ["--help"])
        #expect(output.exit == .exited(0), "\(output.stderrText)")
        #expect(output.stdoutText.contains("USAGE: backstop"), "\(output.stdoutText)")
    }
}
