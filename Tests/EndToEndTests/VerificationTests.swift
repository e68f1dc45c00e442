import Foundation
import Spool
import SpoolContract
import Testing

/// `[relay] verify` with the real binary: callouts to a scripted primary at RCPT, and answers
/// that outlive the primary's outage because they are kept in the spool database.
@Suite("Recipient verification against the primary")
struct VerificationTests {
    @Test("callouts at RCPT while the primary is up; remembered answers and 450 4.1.1 for the unknown while it is down")
    func calloutsAndTheirMemory() async throws {
        try await withTestDirectory { directory in
            var script = PrimaryScript()
            script.rcpt = ["gone@example.test": (550, "5.1.1 no such mailbox")]
            let primary = try FakePrimary(in: directory, name: "primary", script: script)
            try await primary.start()
            var options = BackstopOptions.forwarding(to: primary.address)
            options.relay = ["verify = true", "verify_unknown_when_down = \"tempfail\""]
            try await withBackstop(options, in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "up")
                let client = try RawSMTPConnection(port: server.port)
                #expect(try await client.readReply().code == 220)
                #expect(try await client.command("EHLO sender.example.org").code == 250)
                #expect(try await client.command("MAIL FROM:<sender@example.org>").code == 250)
                #expect(try await client.command("RCPT TO:<alice@example.test>").code == 250)
                let refused = try await client.command("RCPT TO:<gone@example.test>")
                #expect(refused.isExactly(550, "5.1.1"), "\(refused)")
                // A callout asks and sends nothing.
                try await primary.waitForEvents(within: .seconds(5), "the two callouts") { events in
                    events.contains { $0.hasSuffix("alice@example.test 250") }
                        && events.contains { $0.hasSuffix("gone@example.test 550") }
                }
                #expect(try primary.messages().isEmpty)

                await primary.stop()
                try await server.waitForTransition(of: primary.address, to: "down")
                #expect(try await client.command("RSET").code == 250)
                #expect(try await client.command("MAIL FROM:<sender@example.org>").code == 250)
                let known = try await client.command("RCPT TO:<Alice@example.test>")
                #expect(known.code == 250, "a remembered positive is accepted while the primary is down: \(known)")
                let gone = try await client.command("RCPT TO:<gone@example.test>")
                #expect(gone.isExactly(550, "5.1.1"), "a remembered negative is still refused: \(gone)")
                let unknown = try await client.command("RCPT TO:<newcomer@example.test>")
                #expect(unknown.isExactly(450, "4.1.1"), "verify_unknown_when_down = tempfail: \(unknown)")
                #expect(try await client.command("QUIT").code == 221)
            }
            try await withSpool(at: directory.appendingPathComponent(BackstopOptions.spoolPath).path) { spool async throws in
                #expect(try await spool.recipientVerdict(for: "alice@example.test")?.verdict == .accepted)
                #expect(try await spool.recipientVerdict(for: "gone@example.test")?.verdict == .refused)
                #expect(try await spool.recipientVerdict(for: "newcomer@example.test") == nil)
            }
        }
    }

    @Test("an unknown recipient accepted while the primary is down is remembered once the primary takes its mail")
    func deliveryTeachesVerification() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")
            var options = BackstopOptions.forwarding(to: primary.address)
            options.relay = ["verify = true"]
            try await withBackstop(options, in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "down")
                let mail = TestMail("verify", 1, to: ["dave@example.test"])
                try await send([mail], to: server.port)
                try await withSpool(at: server.spoolPath) { spool async throws in
                    #expect(try await spool.recipientVerdict(for: "dave@example.test") == nil)
                }

                try await primary.start()
                let received = try await primary.waitForMessages(1, within: .seconds(15))
                #expect(received.map(\.rcptTo) == [["dave@example.test"]])
                // Written just after the delivery is recorded, so it is looked for rather than read once.
                try await waitForSpool(at: server.spoolPath, within: .seconds(10), "a positive verdict for dave") { spool in
                    try await spool.recipientVerdict(for: "dave@example.test")?.verdict == .accepted
                }
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
            }
        }
    }
}
