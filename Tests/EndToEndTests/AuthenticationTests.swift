import Foundation
import Spool
import SpoolContract
import Testing

/// `[auth]` end to end: the real binary asks the tests' DNS server for SPF and DMARC records,
/// prepends its Authentication-Results field, and refuses a forged own-domain sender.
@Suite("Mail authentication against the tests' DNS server", .timeLimit(.minutes(2)))
struct AuthenticationTests {
    static let zone: [(name: String, type: String, data: String)] = [
        ("sender.test", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
        ("forger.test", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
    ]

    static func message(from author: String) -> [UInt8] {
        Array("From: <\(author)>\r\nTo: u@example.test\r\nSubject: hello\r\nMessage-ID: <\(UUID().uuidString)@test>\r\n\r\nbody\r\n".utf8)
    }

    @Test("a sender SPF authorises is stored with spf=pass in Authentication-Results; From our domain via another is refused")
    func spfAndForgedOwnDomain() async throws {
        try await withTestDirectory { directory in
            let dns = try await TestDNS.start(in: directory, records: Self.zone)
            let options = BackstopOptions(sections: [dns.section, "[auth]", "spf = true", "dkim = true", "dmarc = true"])
            do {
                try await withBackstop(options, in: directory) { server in try await Self.check(server, dns: dns) }
            } catch {
                await dns.stop()
                throw error
            }
            await dns.stop()
        }
    }

    private static func check(_ server: BackstopInstance, dns: TestDNS) async throws {
        let sent = message(from: "a@sender.test")
        let accepted = try await smtplibDialog([
            .connect(server.port), .ehlo("client.test"), .mail("a@sender.test"), .rcpt("u@example.test"), .data(sent), .quit,
        ])
        let reply = accepted[4]
        #expect(reply.code == 250, "\(reply)")
        let id = try #require(reply.queueID, "\(reply)")

        // SPF passes for forger.test, which says nothing about example.test: 550 5.7.1.
        let forged = try await smtplibDialog([
            .connect(server.port), .ehlo("client.test"), .mail("x@forger.test"), .rcpt("u@example.test"),
            .data(message(from: "ceo@example.test")), .quit,
        ])
        #expect(forged[4].code == 550 && forged[4].enhancedCode == "5.7.1", "\(forged[4])")

        #expect(dns.queries.contains("sender.test TXT udp"), "\(dns.queries)")
        try await withSpool(at: server.spoolPath) { spool async throws in
            #expect(try await spool.queuedMessageIDs().map(\.rawValue) == [id], "only the authenticated message is stored")
            let stored = try #require(try await spool.storedMessage(id))
            let text = String(decoding: stored.data, as: UTF8.self)
            #expect(text.hasPrefix("Authentication-Results: \(BackstopOptions.hostname);\r\n\tspf=pass (client-ip 127.0.0.1) smtp.mailfrom=a@sender.test;"),
                    "\(text)")
            #expect(stored.data.suffix(sent.count).elementsEqual(sent), "the message follows the trace fields unchanged")
        }
    }
}
