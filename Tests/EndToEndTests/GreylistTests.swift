import Foundation
import Testing

/// `[greylist]` against the real binary: clients from 127.0.0.3 (on no list) and 127.0.0.4
/// (on the tests' allow list), DNS lists served by the tests' own DNS server.
@Suite("Greylisting", .timeLimit(.minutes(2)))
struct GreylistTests {
    static func withGreylisting(delay: String, adminPort: Int? = nil, _ body: (BackstopInstance) async throws -> Void) async throws {
        try await withTestDirectory { directory in
            let dns = try await TestDNS.start(in: directory, records: ReputationTests.zone)
            var options = BackstopOptions(sections: [dns.section, ReputationTests.lists(),
                                                     "\n[greylist]\nenabled = true\ndelay = \"\(delay)\"\n"])
            if let adminPort { options.addAdmin(port: adminPort) }
            do {
                try await withBackstop(options, in: directory, body)
            } catch {
                await dns.stop()
                throw error
            }
            await dns.stop()
        }
    }

    /// A session from `source` up to its RCPT; the RCPT's reply and the session.
    static func recipient(_ server: BackstopInstance, from source: String) async throws -> (Reply, RawSMTPConnection) {
        let connection = try await LimitTests.session(server, from: source)
        #expect(try await connection.command("EHLO client.test").code == 250)
        #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
        return (try await connection.command("RCPT TO:<u@example.test>"), connection)
    }

    @Test("a first-seen triple gets 451 4.7.1 at RCPT, and its retry before the delay too; an allow-listed client is not greylisted")
    func firstAttemptDeferred() async throws {
        let adminPort = try freeLoopbackPort()
        try await Self.withGreylisting(delay: "1h", adminPort: adminPort) { server in
            let (first, connection) = try await Self.recipient(server, from: "127.0.0.3")
            #expect(first.isExactly(451, "4.7.1"), "\(first)")
            let retry = try await connection.command("RCPT TO:<u@example.test>")
            #expect(retry.isExactly(451, "4.7.1"), "\(retry)")
            #expect(try await connection.command("DATA").code == 554, "no recipient was accepted")
            _ = try await connection.command("QUIT")
            // Refused by the relay rules: 550 at once, not greylisted.
            let outsider = try await LimitTests.session(server, from: "127.0.0.3")
            #expect(try await outsider.command("EHLO client.test").code == 250)
            #expect(try await outsider.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await outsider.command("RCPT TO:<u@elsewhere.test>").code == 550)
            _ = try await outsider.command("QUIT")

            let listed = try await ReputationTests.send(server, from: "127.0.0.4")
            #expect(listed.end?.code == 250, "the allow list vouches for 127.0.0.4: \(String(describing: listed.end))")
            #expect(try await LimitTests.spooledCount(server) == 1)
            #expect(server.log.contains("reason=greylist"), "the refusal is logged with its reason")
            let metrics = try await adminGet(adminPort, "/metrics").body
            #expect(metric(#"backstop_messages_rejected_total{reason="greylist"}"#, in: metrics) == 2, "\(metrics)")
        }
    }

    @Test("delay = 1s: retries are deferred until the delay has passed, then the message is accepted and stored")
    func acceptedAfterDelay() async throws {
        try await Self.withGreylisting(delay: "1s") { server in
            // Before the first RCPT is sent: the server's first sighting of the triple is later.
            let firstAt = ContinuousClock.now
            let (first, connection) = try await Self.recipient(server, from: "127.0.0.3")
            #expect(first.isExactly(451, "4.7.1"), "\(first)")
            _ = try await connection.command("QUIT")
            // Retried as an MTA would, only faster: until the 250, within a deadline.
            var tries = 1
            while true {
                let (reply, session) = try await Self.recipient(server, from: "127.0.0.3")
                tries += 1
                if reply.code == 250 {
                    #expect(ContinuousClock.now - firstAt >= .seconds(1), "accepted only once the delay had passed")
                    #expect(try await session.command("DATA").code == 354)
                    #expect(try await session.command("Subject: hello\r\n\r\nbody\r\n.").code == 250)
                    _ = try await session.command("QUIT")
                    break
                }
                #expect(reply.isExactly(451, "4.7.1"), "\(reply)")
                _ = try await session.command("QUIT")
                try #require(ContinuousClock.now - firstAt < .seconds(20), "still greylisted after 20 s: \(reply)")
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(tries >= 2)
            #expect(try await LimitTests.spooledCount(server) == 1)
        }
    }
}
