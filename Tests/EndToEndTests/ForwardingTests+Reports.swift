import Foundation
import Spool
import SpoolContract
import Testing

/// Delivery status notifications on the forward path (RFC 3464): for expiry and for a
/// primary's 5xx, sent from the null sender through `[bounce] relay` (a second fake primary),
/// and never one for a message that itself came from the null sender.
extension ForwardingTests {
    @Test("max_age 3 s with the primary down: one DSN through the bounce relay, none for the null sender")
    func expiryProducesReport() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")  // never started: down throughout
            let relay = try FakePrimary(in: directory, name: "bounce")
            try await relay.start()
            let options = BackstopOptions.forwarding(to: primary.address, bounce: relay.address, spool: ["max_age = \"3s\""])
            try await withBackstop(options, in: directory) { server in
                let fromNullSender = TestMail("expiry-null", 0, from: "", to: ["quiet@example.test"])
                let mail = TestMail("expiry", 1, from: "sender@example.org", to: ["user@example.test"])
                let sentAt = Date().timeIntervalSince1970
                try await send([fromNullSender, mail], to: server.port)

                try await relay.waitForMessages(1, within: .seconds(15))
                // Expiry and its DSN are one transaction: an empty spool means both messages
                // expired and every DSN written has been delivered.
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                await relay.stop()
                let reports = try relay.messages()
                #expect(reports.count == 1, "one DSN, for the message with a sender; none for the null sender")
                let report = try #require(reports.first)
                #expect(report.receivedAt - sentAt >= 2.9, "expired only after max_age")
                try Self.expectReport(report, to: mail.sender, about: mail, recipient: "user@example.test", status: "4.4.7")
                #expect(!report.text.contains("quiet@example.test"))
                #expect(try primary.messages().isEmpty)
            }
        }
    }

    @Test("5xx from the primary for one recipient: DSN to the sender quoting the reply; none for the null sender")
    func permanentFailureProducesReport() async throws {
        try await withTestDirectory { directory in
            let gone = "gone@example.test"
            let rejection = "5.1.1 <\(gone)>: Recipient address rejected: User unknown in virtual mailbox table"
            let primary = try FakePrimary(in: directory, name: "primary", script: PrimaryScript(rcpt: [gone: (550, rejection)]))
            let relay = try FakePrimary(in: directory, name: "bounce")
            try await primary.start()
            try await relay.start()
            try await withBackstop(.forwarding(to: primary.address, bounce: relay.address), in: directory) { server in
                let fromNullSender = TestMail("reject-null", 0, from: "", to: [gone])
                let mail = TestMail("reject", 1, from: "sender@example.org", to: ["kept@example.test", gone])
                try await send([fromNullSender, mail], to: server.port)

                try await relay.waitForMessages(1, within: .seconds(10))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                await relay.stop()
                await primary.stop()

                let delivered = try primary.messages()
                #expect(delivered.count == 1 && delivered.first?.rcptTo == ["kept@example.test"], "\(delivered.map(\.rcptTo))")
                #expect(delivered.first?.original?.data == mail.content)
                let reports = try relay.messages()
                #expect(reports.count == 1, "one DSN; none for the null-sender message")
                let report = try #require(reports.first)
                try Self.expectReport(report, to: mail.sender, about: mail, recipient: gone, status: "5.1.1")
                let text = report.text.unfolded
                #expect(text.contains("Diagnostic-Code: smtp; 550 \(rejection)\r\n"), "\(text)")
                #expect(text.contains("Remote-MTA: dns; 127.0.0.1\r\n"), "\(text)")
                #expect(!text.contains("Final-Recipient: rfc822; kept@example.test"), "the delivered recipient is not reported")
                #expect(text.contains("\r\nContent-Type: text/rfc822-headers\r\n"),
                        "no recipients file, no callout: the recipient was not verified, so headers only")
                #expect(!text.contains("\r\nContent-Type: message/rfc822\r\n"))
            }
        }
    }

    @Test("550 5.7.1 (spam) from the primary: the message leaves the queue, no DSN, logged and counted; 550 5.1.1 still bounces")
    func policyRefusalSendsNoReport() async throws {
        try await withTestDirectory { directory in
            let spam = "spam@example.test", gone = "gone@example.test"
            let primary = try FakePrimary(in: directory, name: "primary",
                                          script: PrimaryScript(rcpt: [spam: (550, "5.7.1 spam"), gone: (550, "5.1.1 no such user")]))
            let relay = try FakePrimary(in: directory, name: "bounce")
            try await primary.start()
            try await relay.start()
            let adminPort = try freeLoopbackPort()
            var options = BackstopOptions.forwarding(to: primary.address, bounce: relay.address)
            options.addAdmin(port: adminPort)
            try await withBackstop(options, in: directory) { server in
                let refused = TestMail("spam", 1, from: "sender@example.org", to: [spam])
                let unknown = TestMail("unknown", 2, from: "sender@example.org", to: [gone])
                let ids = try await send([refused, unknown], to: server.port)

                // Outcomes and their DSNs are written in one transaction: once the spool is empty
                // and the relay has the one expected report, every DSN written has been sent.
                try await relay.waitForMessages(1, within: .seconds(10))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                await relay.stop()
                await primary.stop()

                #expect(try primary.messages().isEmpty, "neither recipient was taken")
                let reports = try relay.messages()
                #expect(reports.count == 1, "one DSN, for the unknown user only")
                let report = try #require(reports.first)
                try Self.expectReport(report, to: unknown.sender, about: unknown, recipient: gone, status: "5.1.1")
                #expect(!report.text.contains(spam))

                let suppressed = server.log.split(separator: "\n").filter { $0.contains("no DSN: the primary refused the recipient by policy") }
                #expect(suppressed.count == 1, "\(server.log)")
                #expect(suppressed.first.map { $0.contains(ids[0]) && $0.contains("recipient=\(spam)") && $0.contains("550 5.7.1 spam") } == true,
                        "\(suppressed)")
                let metrics = try await adminGet(adminPort, "/metrics").body
                #expect(metric("backstop_dsn_suppressed_total{reason=\"policy\"}", in: metrics) == 1, "\(metrics)")
            }
        }
    }

    @Test("a recipient listed in the recipients file is verified: its DSN returns the whole message")
    func verifiedRecipientGetsTheFullMessage() async throws {
        try await withTestDirectory { directory in
            let gone = "gone@example.test"
            let primary = try FakePrimary(in: directory, name: "primary",
                                          script: PrimaryScript(rcpt: [gone: (550, "5.1.1 <\(gone)>: User unknown")]))
            let relay = try FakePrimary(in: directory, name: "bounce")
            try await primary.start()
            try await relay.start()
            let table = directory.appendingPathComponent("recipients.txt")
            try Data("kept@example.test\n\(gone)\n".utf8).write(to: table)
            var options = BackstopOptions.forwarding(to: primary.address, bounce: relay.address)
            options.relay = ["recipients = \"\(table.path)\""]
            try await withBackstop(options, in: directory) { server in
                let mail = TestMail("verified", 1, from: "sender@example.org", to: ["kept@example.test", gone])
                try await send([mail], to: server.port)

                try await relay.waitForMessages(1, within: .seconds(10))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                await relay.stop()
                await primary.stop()
                let report = try #require(try relay.messages().first)
                try Self.expectReport(report, to: mail.sender, about: mail, recipient: gone, status: "5.1.1")
                let text = report.text.unfolded
                #expect(text.contains("\r\nContent-Type: message/rfc822\r\n"), "\(text)")
                #expect(Data(report.data).range(of: Data(mail.content.suffix(200))) != nil, "the body comes back")
            }
        }
    }

    /// An RFC 3464 report from the null sender to `sender`, with `Action: failed` for `recipient`.
    static func expectReport(_ report: ReceivedMessage, to sender: String, about mail: TestMail,
                             recipient: String, status: String) throws {
        #expect(report.mailFrom == "", "a DSN comes from the null sender, not <\(report.mailFrom)>")
        #expect(report.rcptTo == [sender])
        let contentType = try #require(headerField("Content-Type", in: report.data), "no Content-Type")
        #expect(contentType.hasPrefix("multipart/report;") && contentType.contains("report-type=delivery-status"), "\(contentType)")
        let text = report.text.unfolded
        #expect(text.contains("\r\nContent-Type: message/delivery-status\r\n"), "\(text)")
        #expect(text.contains("\r\nFinal-Recipient: rfc822; \(recipient)\r\nAction: failed\r\nStatus: \(status)\r\n"), "\(text)")
        #expect(text.contains("Message-ID: \(mail.messageID)"), "the original (or its headers) comes back")
        #expect(text.contains("Reporting-MTA: dns; \(BackstopOptions.hostname)"))
    }
}
