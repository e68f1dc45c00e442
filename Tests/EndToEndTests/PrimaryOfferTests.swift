import Foundation
import Testing

/// Backstop offers senders no more than the primary takes: what the primary's EHLO says
/// (SIZE, SMTPUTF8, 8BITMIME) limits Backstop's own EHLO and session, learnt by the probe and
/// remembered in the spool across a restart.
@Suite("Offering no more than the primary takes", .serialized, .timeLimit(.minutes(3)))
struct PrimaryOfferTests {
    /// Backstop's EHLO reply text (one line per keyword) once it contains `keyword` (or, with
    /// `absent`, no longer does): the probe's result reaches the listener asynchronously.
    private func ehlo(at port: Int, until keyword: String, absent: Bool = false,
                      within timeout: Duration = .seconds(15)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let connection = try RawSMTPConnection(port: port)
            _ = try await connection.readReply()
            let lines = try await connection.command("EHLO client.test").lines.map { $0.uppercased() }
            _ = try await connection.command("QUIT")
            if lines.contains(keyword) != absent { return lines }
            guard ContinuousClock.now < deadline else {
                throw WaitTimeout(description: "Backstop's EHLO did not \(absent ? "lose" : "show") \(keyword) within \(timeout): \(lines)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test("a primary with SIZE 10000: Backstop advertises it, refuses 20 KB in the session without storing it, takes 5 KB")
    func primarySizeLimitsTheSession() async throws {
        try await withTestDirectory { directory in
            var script = PrimaryScript()
            script.ehloExtensions = ["PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "SIZE 10000"]
            let primary = try FakePrimary(in: directory, name: "primary", script: script)
            try await primary.start()
            try await withBackstop(.forwarding(to: primary.address), in: directory) { server in
                let offered = try await ehlo(at: server.port, until: "SIZE 10000")
                #expect(!offered.contains { $0.hasPrefix("SIZE ") && $0 != "SIZE 10000" })

                let large = TestMail("large", 1, padding: 300)
                let small = TestMail("small", 2, padding: 60)
                #expect(large.content.count > 20_000 && small.content.count < 6_000 && small.content.count > 4_000,
                        "\(large.content.count) and \(small.content.count) octets")
                let results = try await smtplibDialog([
                    .connect(server.port), .ehlo("client.test"),
                    SMTPStep.mail(large.sender, ["SIZE=\(large.content.count)"]),
                    .command("RSET"),
                    .mail(large.sender), .rcpt(large.recipients[0]), .data(large.content),
                    .mail(small.sender, ["SIZE=\(small.content.count)"]), .rcpt(small.recipients[0]), .data(small.content),
                    .quit,
                ])
                #expect(results[2].code == 552 && results[2].enhancedCode == "5.3.4", "MAIL SIZE= past the primary's: \(results[2])")
                #expect(results[6].code == 552 && results[6].enhancedCode == "5.3.4", "DATA past the primary's SIZE: \(results[6])")
                #expect(results[9].code == 250, "a message the primary takes: \(results[9])")

                try await primary.waitForMessages(1, within: .seconds(10))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                let delivered = try primary.messages()
                #expect(delivered.count == 1, "only the small message was stored and passed on")
                #expect(delivered.first?.original?.data == small.content)
            }

            // Restarted with the primary down: the spool remembers what it takes, from the first EHLO.
            await primary.stop()
            try await withBackstop(.forwarding(to: primary.address), in: directory) { server in
                _ = try await ehlo(at: server.port, until: "SIZE 10000", within: .zero)
            }
        }
    }

    @Test("a primary without SMTPUTF8: Backstop stops advertising it and refuses SMTPUTF8 mail; with it, the same is taken")
    func primaryWithoutSMTPUTF8() async throws {
        try await withTestDirectory { directory in
            var script = PrimaryScript()
            script.ehloExtensions = ["PIPELINING", "8BITMIME", "DSN", "SIZE 104857600"]
            let primary = try FakePrimary(in: directory, name: "primary", script: script)
            try await primary.start()
            try await withBackstop(.forwarding(to: primary.address), in: directory) { server in
                let offered = try await ehlo(at: server.port, until: "SMTPUTF8", absent: true)
                #expect(offered.contains("8BITMIME"))
                let connection = try RawSMTPConnection(port: server.port)
                _ = try await connection.readReply()
                _ = try await connection.command("EHLO client.test")
                for line in ["MAIL FROM:<josé@sender.example.org> SMTPUTF8", "MAIL FROM:<sender@example.org> SMTPUTF8",
                             "MAIL FROM:<josé@sender.example.org>"] {
                    let reply = try await connection.command(line)
                    #expect(reply.isExactly(553, "5.6.7"), "\(line): \(reply)")
                }
                _ = try await connection.command("QUIT")

                // The primary gains SMTPUTF8; the next probe brings it back.
                script.ehloExtensions = ["PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "SIZE 104857600"]
                try primary.setScript(script)
                _ = try await ehlo(at: server.port, until: "SMTPUTF8")
                let again = try RawSMTPConnection(port: server.port)
                _ = try await again.readReply()
                _ = try await again.command("EHLO client.test")
                let accepted = try await again.command("MAIL FROM:<josé@sender.example.org> SMTPUTF8")
                #expect(accepted.code == 250, "\(accepted)")
                _ = try await again.command("QUIT")
            }
        }
    }

    @Test("a primary without 8BITMIME: Backstop stops advertising it and refuses BODY=8BITMIME with 555 5.5.4")
    func primaryWithout8BitMIME() async throws {
        try await withTestDirectory { directory in
            var script = PrimaryScript()
            script.ehloExtensions = ["PIPELINING", "SMTPUTF8", "DSN", "SIZE 104857600"]
            let primary = try FakePrimary(in: directory, name: "primary", script: script)
            try await primary.start()
            try await withBackstop(.forwarding(to: primary.address), in: directory) { server in
                let offered = try await ehlo(at: server.port, until: "8BITMIME", absent: true)
                #expect(offered.contains("SMTPUTF8"))
                let connection = try RawSMTPConnection(port: server.port)
                _ = try await connection.readReply()
                _ = try await connection.command("EHLO client.test")
                let refused = try await connection.command("MAIL FROM:<sender@example.org> BODY=8BITMIME")
                #expect(refused.isExactly(555, "5.5.4"), "\(refused)")
                let plain = try await connection.command("MAIL FROM:<sender@example.org> BODY=7BIT")
                #expect(plain.code == 250, "\(plain)")
                _ = try await connection.command("QUIT")
            }
        }
    }
}
