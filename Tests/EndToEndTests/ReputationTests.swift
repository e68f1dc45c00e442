import Foundation
import Testing

/// Connect-time reputation and per-address limits against the real binary: DNS lists served
/// by the tests' own DNS server, clients from 127.0.0.2 (listed) and 127.0.0.3 (clean).
@Suite("Reputation, greeting delay and per-address limits", .timeLimit(.minutes(2)))
struct ReputationTests {
    /// `[reputation]` with `keys`, a block list and an allow list.
    static func lists(_ keys: [String] = []) -> String {
        "\n[reputation]\n" + keys.map { $0 + "\n" }.joined() + """

            [[reputation.dnsbl]]
            zone = "bl.example.test"
            match = ["127.0.0.2"]

            [[reputation.dnswl]]
            zone = "wl.example.test"
            """
    }

    /// 127.0.0.2 is on the block list; 127.0.0.4 on the block list and the allow list.
    static let zone: [(name: String, type: String, data: String)] = [
        ("2.0.0.127.bl.example.test", "A", "127.0.0.2"),
        ("4.0.0.127.bl.example.test", "A", "127.0.0.2"),
        ("4.0.0.127.wl.example.test", "A", "127.0.9.1"),
        // An answer outside `match` does not count.
        ("3.0.0.127.bl.example.test", "A", "127.0.0.9"),
    ]

    static func withListedBackstop(_ keys: [String] = [], adminPort: Int? = nil, delays: [String: Double] = [:],
                                   _ body: (BackstopInstance, TestDNS) async throws -> Void) async throws {
        try await withTestDirectory { directory in
            let dns = try await TestDNS.start(in: directory, records: zone, delays: delays)
            var options = BackstopOptions(sections: [dns.section, lists(keys)])
            if let adminPort { options.addAdmin(port: adminPort) }
            do {
                try await withBackstop(options, in: directory) { server in
                    try await body(server, dns)
                }
            } catch {
                await dns.stop()
                throw error
            }
            await dns.stop()
        }
    }

    static func send(_ server: BackstopInstance, from source: String) async throws -> (mail: Reply, end: Reply?) {
        let connection = try await LimitTests.session(server, from: source)
        #expect(try await connection.command("EHLO client.test").code == 250)
        let mail = try await connection.command("MAIL FROM:<a@sender.test>")
        guard mail.code == 250 else { return (mail, nil) }
        #expect(try await connection.command("RCPT TO:<u@example.test>").code == 250)
        #expect(try await connection.command("DATA").code == 354)
        let end = try await connection.command("Subject: hello\r\n\r\nbody\r\n.")
        _ = try await connection.command("QUIT")
        return (mail, end)
    }

    @Test("a listed client is refused at MAIL with 554 5.7.1 naming the list, nothing is stored, /metrics counts it")
    func listedClientRefused() async throws {
        let adminPort = try freeLoopbackPort()
        try await Self.withListedBackstop(adminPort: adminPort) { server, dns in
            let connection = try await LimitTests.session(server, from: "127.0.0.2")
            #expect(try await connection.command("EHLO listed.test").code == 250)
            let refusal = try await connection.command("MAIL FROM:<a@sender.test>")
            #expect(refusal.isExactly(554, "5.7.1"), "\(refusal)")
            #expect(refusal.lines.joined().contains("bl.example.test"), "\(refusal)")
            #expect(try await connection.command("RCPT TO:<u@example.test>").code == 503)
            #expect(try await connection.command("DATA").code == 503)
            #expect(try await LimitTests.spooledCount(server) == 0)
            #expect(dns.queries.contains("2.0.0.127.bl.example.test A udp"))
            #expect(server.log.contains("reason=dnsbl"), "the refusal is logged with its reason")

            let clean = try await Self.send(server, from: "127.0.0.3")
            #expect(clean.end?.code == 250, "\(String(describing: clean.end))")
            #expect(try await LimitTests.spooledCount(server) == 1)

            let metrics = try await adminGet(adminPort, "/metrics").body
            #expect(metric(#"backstop_messages_rejected_total{reason="dnsbl"}"#, in: metrics) == 1, "\(metrics)")
            #expect(metric(#"backstop_messages_rejected_total{reason="relay_denied"}"#, in: metrics) == 0,
                    "a listing is not counted as a relay refusal")
            #expect(metric(#"backstop_messages_rejected_total{reason="pregreet"}"#, in: metrics) == 0)

            // The server copies its refusal counts beside the spool every few seconds.
            let refusals = server.directory.appendingPathComponent("spool/refusals.json")
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline,
                  !((try? String(contentsOf: refusals, encoding: .utf8))?.contains("dnsbl") ?? false) {
                try await Task.sleep(for: .milliseconds(50))
            }
            let status = try await runToCompletion(try Tools.backstop(), ["status", "--config", "backstop.toml"],
                                                   in: server.directory.path)
            #expect(status.stdoutText.contains("Clients refused last hour: dnsbl 1\n"), "\(status.stdoutText)")
        }
    }

    @Test("commands wait for a slow list's answer: a listed client that pipelines EHLO and MAIL at once is still refused")
    func commandsWaitForTheLists() async throws {
        try await Self.withListedBackstop(delays: ["2.0.0.127.bl.example.test": 0.5]) { server, _ in
            let connection = try await LimitTests.session(server, from: "127.0.0.2")
            try await connection.send("EHLO listed.test\r\nMAIL FROM:<a@sender.test>\r\n")
            #expect(try await connection.readReply().code == 250)
            let refusal = try await connection.readReply()
            #expect(refusal.isExactly(554, "5.7.1"), "\(refusal)")
            #expect(try await LimitTests.spooledCount(server) == 0)
        }
    }

    @Test("a client on the allow list is accepted despite its block-list hit")
    func allowListOutweighs() async throws {
        try await Self.withListedBackstop { server, dns in
            let sent = try await Self.send(server, from: "127.0.0.4")
            #expect(sent.mail.code == 250, "\(sent.mail)")
            #expect(sent.end?.code == 250)
            #expect(dns.queries.contains("4.0.0.127.wl.example.test A udp"))
            #expect(try await LimitTests.spooledCount(server) == 1)
        }
    }

    @Test("pregreet: a client that talks before the delayed greeting gets 554 5.5.1 and is closed; one that waits is greeted")
    func pregreet() async throws {
        try await Self.withListedBackstop(["pregreet = \"1s\""]) { server, _ in
            let eager = try RawSMTPConnection(port: server.port, from: "127.0.0.3")
            try await eager.send("EHLO eager.test\r\n")
            let refusal = try await eager.readReply()
            #expect(refusal.isExactly(554, "5.5.1"), "\(refusal)")
            #expect(try await eager.isClosedByPeer())

            let started = ContinuousClock.now
            let polite = try await LimitTests.session(server, from: "127.0.0.3")
            #expect(ContinuousClock.now - started >= .milliseconds(900), "the greeting waits for pregreet")
            #expect(try await polite.command("EHLO polite.test").code == 250)
            #expect(try await polite.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(server.log.contains("reason=pregreet rule=[reputation] pregreet = 1000ms"), "\(server.log)")
        }
    }

    @Test("messages_per_ip_per_minute = 2: the third MAIL from one address gets 451 4.7.1, another address is served")
    func messageRate() async throws {
        try await withBackstop(BackstopOptions(sections: ["\n[limits]\nmessages_per_ip_per_minute = 2\n"])) { server in
            let connection = try await LimitTests.session(server, from: "127.0.0.3")
            #expect(try await connection.command("EHLO client.test").code == 250)
            for _ in 0..<2 {
                #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
                #expect(try await connection.command("RSET").code == 250)
            }
            let refusal = try await connection.command("MAIL FROM:<a@sender.test>")
            #expect(refusal.isExactly(451, "4.7.1"), "\(refusal)")
            let other = try await LimitTests.session(server, from: "127.0.0.2")
            #expect(try await other.command("EHLO other.test").code == 250)
            #expect(try await other.command("MAIL FROM:<a@sender.test>").code == 250)
        }
    }

    @Test("recipients_per_ip_per_minute = 2: the third RCPT gets 451 4.7.1")
    func recipientRate() async throws {
        try await withBackstop(BackstopOptions(sections: ["\n[limits]\nrecipients_per_ip_per_minute = 2\n"])) { server in
            let connection = try await LimitTests.session(server, from: "127.0.0.3")
            #expect(try await connection.command("EHLO client.test").code == 250)
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<u1@example.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<u2@example.test>").code == 250)
            let refusal = try await connection.command("RCPT TO:<u3@example.test>")
            #expect(refusal.isExactly(451, "4.7.1"), "\(refusal)")
            // A transaction whose only recipient was refused by the rate: DATA is 554, as after
            // any refused recipient (RFC 2920), not 503.
            #expect(try await connection.command("RSET").code == 250)
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<u4@example.test>").isExactly(451, "4.7.1"))
            let data = try await connection.command("DATA")
            #expect(data.isExactly(554, "5.5.1"), "\(data)")
        }
    }

    @Test("unknown_recipients_per_ip = 2: after a third unknown recipient the address is refused, even for a known one")
    func harvesting() async throws {
        let options = BackstopOptions(recipients: ["known@example.test"],
                                      sections: ["\n[limits]\nunknown_recipients_per_ip = 2\n"])
        try await withBackstop(options) { server in
            let connection = try await LimitTests.session(server, from: "127.0.0.3")
            #expect(try await connection.command("EHLO client.test").code == 250)
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            for index in 1...3 {
                #expect(try await connection.command("RCPT TO:<nobody\(index)@example.test>").isExactly(550, "5.1.1"))
            }
            let refusal = try await connection.command("RCPT TO:<known@example.test>")
            #expect(refusal.isExactly(451, "4.7.1"), "\(refusal)")
            let again = try await LimitTests.session(server, from: "127.0.0.3")
            #expect(try await again.command("EHLO client.test").code == 250)
            #expect(try await again.command("MAIL FROM:<a@sender.test>").isExactly(451, "4.7.1"))
            #expect(server.log.contains("reason=harvest"))
        }
    }
}
