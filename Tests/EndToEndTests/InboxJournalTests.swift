import Foundation
import Spool
import SpoolContract
import Testing

/// `[inbox] journal_address`: a journal copy the primary sent in normal times is kept for the
/// inbox only, shown to the recipients its report names, and deleted after journal_retention.
@Suite("Emergency inbox: journal copies from before the outage", .timeLimit(.minutes(5)))
struct InboxJournalTests {
    static let journal = "journal@example.test"
    static let retention = 1.0

    /// An Exchange journal report: ann in To, her alias in Bcc, an outsider in Cc; bob appears
    /// only in the attached original's header, which is not read.
    static let report: [UInt8] = Array([
        "From: Microsoft Exchange <agent@example.test>", "To: <\(journal)>", "Subject: Merger terms",
        "Message-ID: <journal.1@example.test>", "X-MS-Journal-Report:", "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"jr\"", "", "--jr", "Content-Type: text/plain; charset=us-ascii", "",
        "Sender: carol@partner.example", "Subject: Merger terms", "Message-Id: <merger@partner.example>",
        "To: \(InboxFixture.ann)", "Cc: dave@partner.example", "Bcc: sales@example.test", "",
        "--jr", "Content-Type: message/rfc822", "",
        "From: carol@partner.example", "To: \(InboxFixture.bob)", "Subject: Merger terms", "", "The terms.", "--jr--",
    ].map { $0 + "\r\n" }.joined().utf8)

    @Test("a journal copy never reaches the primary, is shown to its recipients only, marked, and is swept after journal_retention")
    func journalCopy() async throws {
        try await withTestDirectory { directory in
            let dns = try await TestDNS.start(in: directory, records: [("example.test", "TXT", "v=spf1 ip4:127.0.0.1 -all")])
            let primary = try FakePrimary(in: directory, name: "primary")
            try await primary.start()
            let inboxPort = try freeLoopbackPort()
            var options = BackstopOptions.forwarding(to: primary.address)
            options.tls = true
            options.sections += [dns.section, "[auth]", "spf = true", "dkim = false", "dmarc = false",
                                 "", "[inbox]", "listen = \"127.0.0.1:\(inboxPort)\"", "journal_address = \"\(Self.journal)\"",
                                 "journal_retention = \"\(Int(Self.retention))s\""]
            let totpURI = try await InboxFixture.addUsers(in: directory)
            do {
                let journalID = try await withBackstop(options, in: directory) { server in
                    try await Self.checkServing(server, primary: primary, inboxPort: inboxPort, totpURI: totpURI, directory: directory)
                }
                try await Self.checkSwept(journalID, options: options, directory: directory)
            } catch {
                await primary.stop()
                await dns.stop()
                throw error
            }
            await primary.stop()
            await dns.stop()
        }
    }

    /// Returns the journal copy's queue ID.
    private static func checkServing(_ server: BackstopInstance, primary: FakePrimary, inboxPort: Int, totpURI: String,
                                     directory: URL) async throws -> String {
        let copy = try await smtplibDialog([
            .connect(server.port), .ehlo("primary.example.test"), .mail("agent@example.test"), .rcpt(journal),
            .data(report), .quit,
        ])
        let journalID = try #require(copy[4].queueID, "\(copy[4])")

        // A later ordinary message reaching the primary proves the replay went past the copy.
        let later = TestMail("journal", 1, to: [InboxFixture.ann])
        try await send([later], to: server.port)
        let received = try await primary.waitForMessages(1, within: .seconds(30))
        #expect(received.map(\.messageID) == [later.messageID], "only the ordinary message reaches the primary")

        let queueID = try #require(QueueID(rawValue: journalID))
        try await withSpool(at: server.spoolPath) { spool async throws in
            let stored = try #require(try await spool.envelope(of: queueID))
            #expect(stored.envelope.recipients.map(\.address) == [InboxFixture.ann, "sales@example.test"],
                    "the report's recipients of our domains, not the journal address, nor bob from the attachment")
        }

        // The primary goes down; mail held now is listed beside the journal copy.
        await primary.stop()
        try await server.waitForTransition(of: primary.address, to: "down")
        let held = TestMail("journal", 2, to: [InboxFixture.ann])
        let heldID = try #require(try await send([held], to: server.port).first)
        let listening = await server.process.output.wait(for: .seconds(20)) {
            $0.stderrText.contains("inbox listening on https://127.0.0.1:\(inboxPort)/")
        }
        #expect(listening)

        let plan: [String: Any] = [
            "mode": "journal", "port": inboxPort, "ca": directory.appendingPathComponent("cert.pem").path,
            "user": InboxFixture.ann, "password": InboxFixture.annPassword, "journal_id": journalID,
            "other": InboxFixture.bob, "other_password": InboxFixture.bobPassword, "other_totp_uri": totpURI,
        ]
        let planFile = directory.appendingPathComponent("journal-plan.json")
        try JSONSerialization.data(withJSONObject: plan).write(to: planFile)
        let output = try await Tools.python("inbox_session_client.py", [planFile.path], timeout: .seconds(120))
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(output)) as? [String: [String: Any]])
        let list = seen["list"]?["body"] as? String ?? ""
        #expect(seen["list"]?["links"] as? [String] == [heldID, journalID], "newest first, the copy beside the held mail")
        #expect(list.contains("Merger terms") && list.contains("copy from before the outage"), "\(list)")
        #expect(list.components(separatedBy: "copy from before the outage").count == 2, "only the copy is marked")
        #expect(seen["journal_message"]?["status"] as? Int == 200)
        #expect(seen["other_login"]?["status"] as? Int == 303, "\(seen["other_login"] ?? [:])")
        #expect(seen["other_journal_message"]?["status"] as? Int == 404, "bob is not among the copy's recipients")
        let otherList = seen["other_list"]?["body"] as? String
        #expect(otherList?.contains("Merger terms") == false, "\(otherList ?? "no list for bob")")
        let logged = await server.process.output.wait(for: .seconds(20)) { $0.stderrText.contains("journal copy for the inbox only") }
        #expect(logged, "the intake logs the copy as one")
        return journalID
    }

    /// The sweep runs at start: once the retention has passed, a restart deletes the copy.
    private static func checkSwept(_ journalID: String, options: BackstopOptions, directory: URL) async throws {
        let spoolPath = directory.appendingPathComponent(BackstopOptions.spoolPath).path
        let queueID = try #require(QueueID(rawValue: journalID))
        let expires = try await withSpool(at: spoolPath) { spool async throws -> Date in
            let stored = try #require(try await spool.envelope(of: queueID))
            return stored.envelope.receivedAt.addingTimeInterval(retention)
        }
        // Waiting for the wall clock to pass the deadline is the event itself.
        while Date() <= expires { try await Task.sleep(for: .milliseconds(50)) }
        try await withBackstop(options, in: directory) { server in
            try await waitForSpool(at: server.spoolPath, within: .seconds(20), "the journal copy swept") { spool in
                try await spool.envelope(of: queueID) == nil
            }
            // The log line follows the commit the spool shows: wait for it rather than look once.
            let logged = await server.process.output.wait(for: .seconds(20)) {
                $0.stderrText.contains("deleted journal copies past [inbox] journal_retention")
            }
            #expect(logged, "\(server.log)")
        }
    }
}
