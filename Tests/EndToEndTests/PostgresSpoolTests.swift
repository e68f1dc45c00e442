import Foundation
import Testing

/// `backstop serve` and the operator commands on a PostgreSQL spool (`[spool] url`), against a
/// private PostgreSQL server of the test's own.
@Suite("serve and the operator commands on a PostgreSQL spool", .serialized, .timeLimit(.minutes(3)),
       // A counted skip when PostgreSQL 15 is missing (apt-get install postgresql); scripts/test requires it.
       .enabled(if: TestPostgres.available, "needs PostgreSQL 15 (apt-get install postgresql)"))
struct PostgresSpoolTests {
    private func backstop(_ arguments: [String], in directory: URL) async throws -> ChildProcess.Output {
        let output = try await runBackstop(arguments + ["--config", "backstop.toml"], in: directory, now: nil)
        #expect(output.exit == .exited(0), "backstop \(arguments.joined(separator: " ")): \(output.summary)")
        return output
    }

    private func queuedIDs(in directory: URL) async throws -> [String] {
        let listing = try await backstop(["queue", "list", "--json"], in: directory)
        let messages = try #require(listing.json?["messages"] as? [[String: Any]], "\(listing.summary)")
        return messages.compactMap { $0["queue_id"] as? String }
    }

    @Test("a message accepted on PostgreSQL is listed, replayed when the primary comes up, and leaves the queue")
    func acceptListReplay() async throws {
        try await withTestPostgres { database in
            try await withTestDirectory { directory in
                let primary = try FakePrimary(in: directory, name: "primary")
                let options = BackstopOptions.forwarding(to: primary.address, spoolURL: database.url)
                try await withBackstop(options, in: directory) { server in
                    try await server.waitForTransition(of: primary.address, to: "down")
                    let mail = TestMail("pg", 1)
                    let ids = try await send([mail], to: server.port)
                    #expect(try await queuedIDs(in: directory) == ids)
                    let status = try await runBackstop(["status", "--config", "backstop.toml"], in: directory, now: nil)
                    #expect(status.stdoutText.contains("Queue: 1 message"), "\(status.summary)")
                    let shown = try await backstop(["queue", "show", ids[0]], in: directory)
                    #expect(shown.stdoutText.contains("Message-ID: \(mail.messageID)"), "\(shown.summary)")
                    _ = try await backstop(["route", "pause", "example.test"], in: directory)
                    _ = try await backstop(["route", "resume", "example.test"], in: directory)

                    try await primary.start()
                    let received = try await primary.waitForMessages(1, within: .seconds(20))
                    #expect(received.map(\.messageID) == [mail.messageID])
                    let deadline = ContinuousClock.now + .seconds(20)
                    while try await !queuedIDs(in: directory).isEmpty {
                        guard ContinuousClock.now < deadline else {
                            Issue.record("the queue did not empty after the primary took the message")
                            return
                        }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    #expect(try await database.query("SELECT count(*) FROM message") == "0")
                }
            }
        }
    }

    /// One message in one session; the DATA step's result.
    private func deliverOne(_ mail: TestMail, to port: Int) async throws -> SMTPStepResult {
        let results = try await smtplibDialog([.connect(port), .ehlo("sender.example.org"), .mail(mail.sender),
                                               .rcpt(mail.recipients[0]), .data(mail.content), .quit])
        return try #require(results.first { $0.op == "data" })
    }

    @Test("while PostgreSQL is down mail gets 451 4.3.0 and /readyz 503; once it is back, 250 without a restart")
    func databaseOutage() async throws {
        try await withTestPostgres { database in
            try await withTestDirectory { directory in
                let primary = try FakePrimary(in: directory, name: "primary")
                var options = BackstopOptions.forwarding(to: primary.address, spoolURL: database.url)
                let adminPort = try freeLoopbackPort()
                options.addAdmin(port: adminPort)
                try await withBackstop(options, in: directory) { server in
                    #expect(try await deliverOne(TestMail("outage", 0), to: server.port).code == 250)
                    #expect(try await adminGet(adminPort, "/readyz").status == 200)

                    try await database.stop()
                    let refused = try await deliverOne(TestMail("outage", 1), to: server.port)
                    #expect(refused.code == 451, "\(refused)")
                    #expect(refused.enhancedCode == "4.3.0", "\(refused)")
                    let readiness = try await adminGet(adminPort, "/readyz")
                    #expect(readiness.status == 503, "\(readiness.body)")

                    try await database.start()
                    let accepted = try await deliverOne(TestMail("outage", 2), to: server.port)
                    #expect(accepted.code == 250, "accepted again without a restart: \(accepted)")
                    #expect(try await adminGet(adminPort, "/readyz").status == 200)
                    #expect(try await database.query("SELECT count(*) FROM message") == "2",
                            "the messages acknowledged with 250 are spooled, the refused one is not")
                }
            }
        }
    }

    @Test("spool copy moves a SQLite spool's mail into PostgreSQL with its states; a second copy adds nothing")
    func copyFromSQLite() async throws {
        try await withTestPostgres { database in
            try await withTestDirectory { directory in
                let primary = try FakePrimary(in: directory, name: "primary")
                let mails = (0..<3).map { TestMail("copy", $0) }
                let ids = try await withBackstop(.forwarding(to: primary.address), in: directory) { server in
                    try await server.waitForTransition(of: primary.address, to: "down")
                    return try await send(mails, to: server.port)
                }
                _ = try await backstop(["queue", "hold", ids[0]], in: directory)
                let sqlite = directory.appendingPathComponent(BackstopOptions.spoolPath).path
                let target = directory.appendingPathComponent("postgres", isDirectory: true)
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
                _ = try target.write(BackstopOptions.forwarding(to: primary.address, spoolURL: database.url)
                    .render(port: 2525, certificate: nil, recipientsFile: nil), to: "backstop.toml")

                let first = try await backstop(["spool", "copy", "--from", sqlite], in: target)
                #expect(first.stdoutText.contains("copied 3 messages; 0 were there already"), "\(first.summary)")
                let second = try await backstop(["spool", "copy", "--from", sqlite], in: target)
                #expect(second.stdoutText.contains("copied 0 messages; 3 were there already"), "\(second.summary)")

                let listing = try await backstop(["queue", "list", "--json"], in: target)
                let messages = try #require(listing.json?["messages"] as? [[String: Any]], "\(listing.summary)")
                #expect(messages.compactMap { $0["queue_id"] as? String } == ids, "each message once, oldest first")
                #expect(messages.first?["state"] as? String == "held", "the hold came along")
                #expect(try await database.query("SELECT count(*) FROM message") == "3")
                let shown = try await backstop(["queue", "cat", ids[1]], in: target)
                let original = try await backstop(["queue", "cat", ids[1]], in: directory)
                #expect(shown.stdout == original.stdout, "the content is copied byte for byte")
            }
        }
    }
}
