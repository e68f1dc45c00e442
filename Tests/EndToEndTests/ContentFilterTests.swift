import Foundation
import Testing

/// `[filter] rspamd` against the real binary: Debian's rspamd for the verdicts, a port nobody
/// listens on for a filter that is down.
@Suite("Content filter (rspamd)", .timeLimit(.minutes(3)))
struct ContentFilterTests {
    static let gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
    static let clean = "From: Alice <a@sender.test>\r\nTo: <u@example.test>\r\nSubject: lunch\r\n"
        + "Date: Sun, 6 Dec 2026 06:00:00 +0000\r\nMessage-ID: <lunch-1@sender.test>\r\n\r\nSee you at noon.\r\n"

    /// A generous timeout where rspamd runs: a loaded test machine scans a 350 KB message
    /// slowly. Where it is down, a short one: a closed port refuses at once, and if another
    /// test's listener took the port meanwhile, the timeout ends the wait before the client's.
    static func filter(_ url: String, onError: String = "tempfail", timeout: String = "60s") -> String {
        "\n[filter]\nrspamd = \"\(url)\"\non_error = \"\(onError)\"\ntimeout = \"\(timeout)\"\n"
    }

    /// Sends `content` as one message; the reply to its end of data.
    static func send(_ server: BackstopInstance, _ content: String) async throws -> Reply {
        let connection = try await LimitTests.session(server)
        #expect(try await connection.command("EHLO client.test").code == 250)
        #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
        #expect(try await connection.command("RCPT TO:<u@example.test>").code == 250)
        #expect(try await connection.command("DATA").code == 354)
        let end = try await connection.command(content + ".")
        _ = try await connection.command("QUIT")
        return end
    }

    static func withRspamd(_ body: (BackstopInstance, TestRspamd, Int) async throws -> Void) async throws {
        try await withTestDirectory { directory in
            // rspamd's lookups go to the tests' DNS server, which knows no name: never to the real DNS.
            let dns = try await TestDNS.start(in: directory, records: [])
            let rspamd: TestRspamd
            do {
                rspamd = try await TestRspamd.start(in: directory, dnsServer: "127.0.0.1:\(dns.port)")
            } catch {
                await dns.stop()
                throw error
            }
            let adminPort = try freeLoopbackPort()
            var options = BackstopOptions(sections: [filter(rspamd.url)])
            options.addAdmin(port: adminPort)
            do {
                try await withBackstop(options, in: directory) { server in try await body(server, rspamd, adminPort) }
            } catch {
                await rspamd.stop()
                await dns.stop()
                throw error
            }
            await rspamd.stop()
            await dns.stop()
        }
    }

    @Test("GTUBE is refused with 550 5.7.1 and rspamd's text, nothing is stored, the refusal is counted as spam",
          .enabled(if: Tools.available("rspamd"), "needs rspamd (apt-get install rspamd; scripts/test installs it)"))
    func gtubeRefused() async throws {
        try await Self.withRspamd { server, rspamd, adminPort in
            let reply = try await Self.send(server, "Subject: test\r\n\r\n\(Self.gtube)\r\n")
            #expect(reply.isExactly(550, "5.7.1"), "\(reply)")
            #expect(reply.lines.joined().contains("Gtube pattern"), "\(reply)")
            #expect(try await LimitTests.spooledCount(server) == 0)
            #expect(server.log.contains("reason=spam"), "the refusal is logged with its reason")
            #expect(server.log.contains("rule=[filter] rspamd action \"reject\""), "and the rule")
            let metrics = try await adminGet(adminPort, "/metrics").body
            #expect(metric(#"backstop_messages_rejected_total{reason="spam"}"#, in: metrics) == 1, "\(metrics)")
            #expect(metric(#"backstop_messages_rejected_total{reason="relay_denied"}"#, in: metrics) ?? 0 == 0,
                    "counted by its reason, not by its status code")
            #expect(rspamd.log.contains("ip: 127.0.0.1"), "rspamd was told the client: \(rspamd.log)")
        }
    }

    @Test("a clean message is accepted and stored as rspamd decided; rspamd saw its queue ID and envelope",
          .enabled(if: Tools.available("rspamd"), "needs rspamd (apt-get install rspamd; scripts/test installs it)"))
    func cleanAccepted() async throws {
        try await Self.withRspamd { server, rspamd, _ in
            let reply = try await Self.send(server, Self.clean)
            #expect(reply.code == 250, "\(reply)")
            let queueID = try #require(reply.text.range(of: "queued as ").map { String(reply.text[$0.upperBound...].prefix { !$0.isWhitespace }) })
            let stored = try #require(try await withSpool(at: server.spoolPath) { try await $0.storedMessage(queueID) })
            let text = String(decoding: stored.data, as: UTF8.self)
            #expect(text.hasSuffix(Self.clean), "the message itself is unchanged")
            let scanned = try #require(rspamd.log.split(separator: "\n").first { $0.contains("rspamd_task_write_log") })
            // Our configuration scores a clean message below add_header: no X-Spam field.
            #expect(scanned.contains("(no action)"), "\(scanned)")
            #expect(!text.contains("X-Spam:"))
            #expect(rspamd.log.contains("queue-id: <\(queueID)>"), "\(rspamd.log)")
            #expect(scanned.contains("u@example.test"), "rspamd was told the recipient: \(scanned)")
        }
    }

    @Test("a message spilled to a file reaches rspamd whole: the length rspamd scanned is the stored message's",
          .enabled(if: Tools.available("rspamd"), "needs rspamd (apt-get install rspamd; scripts/test installs it)"))
    func spilledMessage() async throws {
        try await Self.withRspamd { server, rspamd, _ in
            // Past [server] memory_body_limit (256 KiB): the body is written to a spill file.
            let line = String(repeating: "All work and no play. ", count: 40) + "\r\n"
            let content = Self.clean + String(repeating: line, count: 400)
            let reply = try await Self.send(server, content)
            #expect(reply.code == 250, "\(reply)")
            let queueID = try #require(reply.text.range(of: "queued as ").map { String(reply.text[$0.upperBound...].prefix { !$0.isWhitespace }) })
            let stored = try #require(try await withSpool(at: server.spoolPath) { try await $0.messageData(ofText: queueID) })
            #expect(stored.count > 256 * 1024)
            let scanned = try #require(rspamd.log.split(separator: "\n").first { $0.contains("rspamd_task_write_log") })
            #expect(scanned.contains("len: \(stored.count),"), "stored \(stored.count) bytes; rspamd: \(scanned)")
        }
    }

    @Test("rspamd down with on_error = tempfail: 451 4.7.1, nothing stored, logged and counted")
    func downTempfail() async throws {
        let nobody = try freeLoopbackPort()
        try await withBackstop(BackstopOptions(sections: [Self.filter("http://127.0.0.1:\(nobody)", timeout: "5s")])) { server in
            let reply = try await Self.send(server, Self.clean)
            #expect(reply.isExactly(451, "4.7.1"), "\(reply)")
            #expect(try await LimitTests.spooledCount(server) == 0)
            #expect(server.log.contains("content filter gave no answer"), "\(server.log)")
            #expect(server.log.contains("reason=filter_unavailable"))
        }
    }

    @Test("rspamd down with on_error = accept: 250 and stored unscanned")
    func downAccept() async throws {
        let nobody = try freeLoopbackPort()
        try await withBackstop(BackstopOptions(sections: [Self.filter("http://127.0.0.1:\(nobody)", onError: "accept", timeout: "5s")])) { server in
            let reply = try await Self.send(server, Self.clean)
            #expect(reply.code == 250, "\(reply)")
            #expect(try await LimitTests.spooledCount(server) == 1)
            #expect(server.log.contains("content filter gave no answer (on_error=accept)"), "\(server.log)")
        }
    }
}
