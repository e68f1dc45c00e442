import Foundation
import Testing

/// Webhooks over HTTPS from the real binary: a receiver whose certificate verifies (through
/// `[notify] webhook_ca`) gets the event; one with a certificate nobody trusts gets nothing.
@Suite("Webhooks over HTTPS", .timeLimit(.minutes(2)))
struct WebhookTLSTests {
    /// A self-signed certificate for 127.0.0.1 (its subjectAltName), made with openssl.
    static func certificate(in directory: URL, named name: String) async throws -> (certificate: String, privateKey: String) {
        let openssl = try Tools.require("openssl")
        let certificate = directory.appendingPathComponent("\(name).pem").path
        let key = directory.appendingPathComponent("\(name)-key.pem").path
        let output = try await runToCompletion(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
            "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        guard output.exit == .exited(0) else { throw SpawnError(description: "openssl req failed: \(output.stderrText)") }
        return (certificate, key)
    }

    @Test("an https receiver with a trusted certificate gets the event's JSON; an untrusted one gets nothing, and the log says why")
    func httpsWebhooks() async throws {
        try await withTestDirectory { directory in
            let trustedCertificate = try await Self.certificate(in: directory, named: "trusted")
            let untrustedCertificate = try await Self.certificate(in: directory, named: "untrusted")
            let trusted = try await WebhookReceiver(tls: trustedCertificate)
            let untrusted = try await WebhookReceiver(tls: untrustedCertificate)
            var options = BackstopOptions()
            options.addAdmin(port: try freeLoopbackPort(), notify: [
                "webhooks = [\"\(trusted.url)\", \"\(untrusted.url)\"]",
                "webhook_ca = \"\(trustedCertificate.certificate)\"",
                "queue_threshold = 1",
            ])
            do {
                try await withBackstop(options, in: directory) { server in
                    #expect(trusted.url.hasPrefix("https://"))
                    try await send([TestMail("threshold", 0)], to: server.port)
                    let event = try await trusted.waitFor("queue_threshold", within: .seconds(30))
                    #expect(event.contentType == "application/json")
                    #expect(event.json["host"] as? String == BackstopOptions.hostname)
                    #expect((event.json["queue"] as? [String: any Sendable])?["messages"] as? Double == 1)

                    // The untrusted receiver's handshake fails: Backstop logs the failure and retries later.
                    let failure = "notification queue_threshold to \(untrusted.url) failed"
                    let logged = await server.process.output.wait(for: .seconds(30)) { $0.stderrText.contains(failure) }
                    #expect(logged, "\(server.log)")
                    let line = server.log.split(separator: "\n").first { $0.contains(failure) } ?? ""
                    #expect(line.lowercased().contains("certificate") || line.contains("handshake") || line.contains("TLS"), "\(line)")
                    #expect(untrusted.events.isEmpty, "nothing was delivered to the untrusted receiver")
                    #expect(untrusted.process.output.current.stdoutText.contains("refused"), "its handshake was refused")
                }
            } catch {
                await trusted.stop()
                await untrusted.stop()
                throw error
            }
            await trusted.stop()
            await untrusted.stop()
        }
    }
}
