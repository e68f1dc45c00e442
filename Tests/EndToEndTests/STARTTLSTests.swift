import Foundation
import Spool
import SpoolContract
import Testing

/// STARTTLS (RFC 3207) against three independent TLS clients, and the CVE-2011-0411 class of
/// command injection.
@Suite("STARTTLS", .timeLimit(.minutes(2)))
struct STARTTLSTests {
    static let tls = BackstopOptions(tls: true)
    static let message = Array("Subject: over TLS\r\n\r\nsent after STARTTLS\r\n".utf8)

    @Test("smtplib: STARTTLS offered before, not after; mail over TLS is spooled `with ESMTPS`")
    func smtplibSendsOverTLS() async throws {
        try await withBackstop(Self.tls) { server in
            let results = try await smtplibDialog([
                .connect(server.port), .ehlo(), .starttls, .ehlo(),
                .mail("sender@example.org"), .rcpt("u@example.test"), .data(Self.message), .quit,
            ])
            #expect(results[1].extensions?.contains("STARTTLS") == true, "EHLO before TLS: \(results[1])")
            #expect(results[2].code == 220, "\(results[2])")
            #expect(results[2].tls_version?.hasPrefix("TLSv1.") == true, "\(results[2])")
            #expect(results[3].code == 250, "\(results[3])")
            #expect(results[3].extensions?.contains("STARTTLS") == false, "EHLO after TLS must not offer STARTTLS: \(results[3])")
            #expect(results[3].extensions?.contains("PIPELINING") == true, "\(results[3])")
            let id = try #require(results[6].queueID, "\(results[6])")
            try await withSpool(at: server.spoolPath) { spool async throws in
                let stored = try #require(try await spool.storedMessage(id))
                #expect(stored.data == Self.message)
                #expect(stored.receivedHeader.contains("with ESMTPS id \(id)"), "\(stored.receivedHeader)")
            }
        }
    }

    @Test("openssl s_client -starttls smtp sees the configured certificate (CN=localhost)")
    func opensslSeesCertificate() async throws {
        let openssl = try Tools.require("openssl")
        try await withBackstop(Self.tls) { server in
            let output = try await runToCompletion(openssl, [
                "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost",
            ], timeout: .seconds(30))
            #expect(output.exit == .exited(0), "\(output.stderrText)")
            let subject = output.stdoutText.split(separator: "\n").first { $0.hasPrefix("subject=") }
            #expect(subject?.replacingOccurrences(of: " ", with: "") == "subject=CN=localhost",
                    "s_client output:\n\(output.stdoutText)\n\(output.stderrText)")
        }
    }

    @Test("swaks --tls delivers a message", .enabled(if: Tools.available("swaks"),
          "swaks is not installed; scripts/test installs it (apt-get install swaks)"))
    func swaksDeliversOverTLS() async throws {
        let swaks = try Tools.require("swaks")
        try await withBackstop(Self.tls) { server in
            let output = try await runToCompletion(swaks, [
                "--server", "127.0.0.1:\(server.port)", "--from", "sender@sender.test", "--to", "u@example.test", "--tls",
            ], timeout: .seconds(30))
            #expect(output.exit == .exited(0), "swaks:\n\(output.stdoutText)\n\(output.stderrText)")
            #expect(output.stdoutText.contains("<~  250 2.0.0 Ok: queued as "), "\(output.stdoutText)")
            try await withSpool(at: server.spoolPath) { spool async throws in
                let ids = try await spool.queuedMessageIDs()
                #expect(ids.count == 1)
                if let id = ids.first {
                    let stored = try #require(try await spool.storedMessage(id.rawValue))
                    #expect(stored.receivedHeader.contains("with ESMTPS id \(id)"), "\(stored.receivedHeader)")
                }
            }
        }
    }

    @Test("Commands pipelined after STARTTLS are discarded, never run inside TLS (CVE-2011-0411)")
    func pipelinedCommandsAfterSTARTTLSAreDiscarded() async throws {
        try await withBackstop(Self.tls) { server in
            struct Probe: Decodable {
                var ehlo: [String]
                var starttls: [String]
                var plaintext_after_220: String
                var handshake_error: String?
                var mail: [String]?
                var ehlo_after: [String]?
                var noop: [String]?
                var quit: [String]?
            }
            let output = try await Tools.python("starttls_injection.py", [String(server.port)])
            let probe = try JSONDecoder().decode(Probe.self, from: Data(output))
            #expect(probe.ehlo.last?.hasPrefix("250 ") == true, "\(probe.ehlo)")
            // The plaintext replies end with the 220: nothing for the injected RSET and MAIL.
            #expect(probe.starttls == ["220 2.0.0 Ready to start TLS"])
            #expect(probe.plaintext_after_220 == "")
            #expect(probe.handshake_error == nil)
            // Inside TLS the session starts afresh: MAIL without EHLO is a bad sequence. Had the
            // injected RSET or MAIL run, their replies would come first.
            #expect(probe.mail == ["503 5.5.1 Send EHLO or HELO first"], "\(probe.mail ?? [])")
            #expect(probe.ehlo_after?.first?.hasPrefix("250-\(BackstopOptions.hostname)") == true, "\(probe.ehlo_after ?? [])")
            #expect(probe.ehlo_after?.contains { $0.contains("STARTTLS") } == false)
            #expect(probe.noop == ["250 2.0.0 Ok"])
            #expect(probe.quit?.first?.hasPrefix("221 ") == true)
            try await withSpool(at: server.spoolPath) { spool async throws in
                #expect(try await spool.queuedMessageIDs().isEmpty)
            }
        }
    }
}
