import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two `backstop serve` nodes on one PostgreSQL spool: mail accepted by either is delivered by
/// whichever is alive, and a node killed in the middle of the replay leaves its in-flight mail
/// to the other once its leases lapse.
@Suite("nodes sharing a PostgreSQL spool", .serialized, .timeLimit(.minutes(5)),
       // A counted skip when PostgreSQL 15 is missing (apt-get install postgresql); scripts/test requires it.
       .enabled(if: TestPostgres.available, "needs PostgreSQL 15 (apt-get install postgresql)"))
struct ClusterTakeoverTests {
    static let leaseTimeout = 5

    private func options(node: String, primary: FakePrimary, database: TestPostgres) -> BackstopOptions {
        BackstopOptions.forwarding(to: primary.address, spoolURL: database.url,
                                   sections: ["", "[cluster]", "node = \"\(node)\"", "lease_timeout = \"\(Self.leaseTimeout)s\""])
    }

    @Test("SIGKILL of one node mid-replay: every acknowledged message reaches the primary, duplicates only among its in-flight mail")
    func killOneNodeMidReplay() async throws {
        try await withTestPostgres { database in
            try await withTestDirectory { directory in
                // Each message is stored by the primary a little before its 250: the kill finds
                // messages the primary has and the node has not recorded yet.
                let primary = try FakePrimary(in: directory, name: "primary",
                                              script: PrimaryScript(dataDelayMilliseconds: 10, replyDelayMilliseconds: 10))
                let directoryA = directory.appendingPathComponent("node-a", isDirectory: true)
                let directoryB = directory.appendingPathComponent("node-b", isDirectory: true)
                for node in [directoryA, directoryB] {
                    try FileManager.default.createDirectory(at: node, withIntermediateDirectories: true)
                }
                try await withBackstop(options(node: "node-a", primary: primary, database: database), in: directoryA) { nodeA in
                    try await withBackstop(options(node: "node-b", primary: primary, database: database), in: directoryB) { nodeB in
                        try await nodeA.waitForTransition(of: primary.address, to: "down")
                        try await nodeB.waitForTransition(of: primary.address, to: "down")
                        let mailsA = (0..<200).map { TestMail("cluster-a", $0) }
                        let mailsB = (0..<200).map { TestMail("cluster-b", $0) }
                        async let acknowledgedA = send(mailsA, to: nodeA.port, sessions: 2)
                        async let acknowledgedB = send(mailsB, to: nodeB.port, sessions: 2)
                        let acknowledged = try await acknowledgedA.count + acknowledgedB.count
                        let expected = Set((mailsA + mailsB).map(\.messageID))
                        #expect(acknowledged == 400)
                        #expect(try await database.query("SELECT count(*) FROM message") == "400")

                        try await primary.start()
                        try await primary.waitForMessages(60, within: .seconds(60))
                        // Killed while it holds a batch: the kill must leave mail in flight to take over.
                        let holding = ContinuousClock.now + .seconds(60)
                        while try await database.query("SELECT count(*) FROM message WHERE lease_owner LIKE 'node-a/%'") == "0" {
                            try #require(ContinuousClock.now < holding, "node-a never held a lease during the replay")
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        nodeA.process.signal(SIGKILL)
                        let killedAt = ContinuousClock.now
                        _ = await nodeA.process.waitForExit(within: .seconds(10))
                        let inFlight = Set(try await database.query("""
                            SELECT message_id_header FROM message WHERE lease_owner LIKE 'node-a/%' AND lease_expires_at > 0
                            """).split(separator: "\n").map(String.init))

                        try #require(!inFlight.isEmpty, "node-a held no lease at the kill; nothing to take over")
                        // Takeover: no message is left leased by the dead node.
                        var takeover: Duration?
                        while takeover == nil, ContinuousClock.now - killedAt < .seconds(60) {
                            let left = try await database.query("SELECT count(*) FROM message WHERE lease_owner LIKE 'node-a/%'")
                            if left == "0" { takeover = ContinuousClock.now - killedAt } else { try await Task.sleep(for: .milliseconds(100)) }
                        }
                        let tookOver = try #require(takeover, "node-b never took node-a's leased messages")
                        #expect(tookOver < .seconds(Self.leaseTimeout + 5),
                                "within lease_timeout (\(Self.leaseTimeout)s) plus 5 s, the takeover target")

                        let received = try await primary.waitForMessages(400, within: .seconds(90))
                        let deadline = ContinuousClock.now + .seconds(60)
                        while try await database.query("SELECT count(*) FROM message") != "0", ContinuousClock.now < deadline {
                            try await Task.sleep(for: .milliseconds(200))
                        }
                        let ids = try primary.messages().compactMap(\.messageID)
                        let counts = Dictionary(ids.map { ($0, 1) }, uniquingKeysWith: +)
                        let duplicates = Set(counts.filter { $0.value > 1 }.keys)
                        #expect(Set(ids) == expected, "every acknowledged message reaches the primary")
                        #expect(duplicates.isSubset(of: inFlight),
                                "duplicates only among node-a's in-flight messages: \(duplicates.subtracting(inFlight))")
                        #expect(try await database.query("SELECT count(*) FROM message") == "0", "the spool empties")
                        let status = try await runBackstop(["status", "--config", "backstop.toml"], in: directoryB, now: nil)
                        #expect(status.stdoutText.contains("node-a"), "\(status.summary)")
                        print("""
                            cluster takeover: acknowledged \(acknowledged), delivered \(Set(ids).count) distinct \
                            (\(received.count) received), duplicates \(ids.count - Set(ids).count) \
                            (in flight at the kill: \(inFlight.count)), takeover \(tookOver) after SIGKILL \
                            with lease_timeout \(Self.leaseTimeout)s
                            """)
                    }
                }
            }
        }
    }

    @Test("PostgreSQL restarted while both nodes accept: every 250 reaches the primary once, acceptance resumes by itself")
    func restartDuringAccept() async throws {
        try await withTestPostgres { database in
            try await withTestDirectory { directory in
                let primary = try FakePrimary(in: directory, name: "primary")
                let directoryA = directory.appendingPathComponent("node-a", isDirectory: true)
                let directoryB = directory.appendingPathComponent("node-b", isDirectory: true)
                for node in [directoryA, directoryB] {
                    try FileManager.default.createDirectory(at: node, withIntermediateDirectories: true)
                }
                try await withBackstop(options(node: "node-a", primary: primary, database: database), in: directoryA) { nodeA in
                    try await withBackstop(options(node: "node-b", primary: primary, database: database), in: directoryB) { nodeB in
                        try await nodeA.waitForTransition(of: primary.address, to: "down")
                        try await nodeB.waitForTransition(of: primary.address, to: "down")
                        let mailsA = (0..<200).map { TestMail("restart-a", $0) }
                        let mailsB = (0..<200).map { TestMail("restart-b", $0) }
                        let answers = AnswerLog(senders: 2)
                        async let sentA: Void = sendCounting(mailsA, to: nodeA.port, into: answers)
                        async let sentB: Void = sendCounting(mailsB, to: nodeB.port, into: answers)

                        // Stopped once some mail is stored, while the rest is still arriving; started
                        // again once a sender was refused, so the outage outlasts a connection wait.
                        let storing = ContinuousClock.now + .seconds(60)
                        var storedBeforeRestart = 0
                        while storedBeforeRestart < 40 {
                            try #require(ContinuousClock.now < storing, "no mail was stored before the restart")
                            storedBeforeRestart = Int(try await database.query("SELECT count(*) FROM message")) ?? 0
                        }
                        try await database.stop()
                        await answers.waitForRefusalOrEnd()
                        try await database.start()
                        _ = try await (sentA, sentB)
                        let acknowledged = Set(await answers.acknowledged)
                        let refused = Set(await answers.refused)
                        #expect(!refused.isEmpty, "no sender was refused while PostgreSQL was down")
                        #expect(acknowledged.count + refused.count == 400, "every message got 250 or 451")
                        #expect(acknowledged.count > storedBeforeRestart, "acceptance resumed after the restart without one of serve")

                        try await primary.start()
                        _ = try await primary.waitForMessages(acknowledged.count, within: .seconds(90))
                        let deadline = ContinuousClock.now + .seconds(60)
                        while try await database.query("SELECT count(*) FROM message") != "0", ContinuousClock.now < deadline {
                            try await Task.sleep(for: .milliseconds(200))
                        }
                        let ids = try primary.messages().compactMap(\.messageID)
                        #expect(acknowledged.isSubset(of: Set(ids)), "every acknowledged message reaches the primary")
                        #expect(ids.count == Set(ids).count, "no message twice: no node died")
                        // A 451 whose COMMIT went through before the connection broke may be delivered; nothing else.
                        #expect(Set(ids).isSubset(of: acknowledged.union(refused)))
                        #expect(try await database.query("SELECT count(*) FROM message") == "0", "the spool empties")
                        print("""
                            restart during accept: \(storedBeforeRestart) stored before the restart; \(acknowledged.count) acknowledged, \
                            \(refused.count) refused with 451 (\(Set(ids).intersection(refused).count) of those delivered all the same); \
                            the primary got \(ids.count), \(Set(ids).count) distinct
                            """)
                    }
                }
            }
        }
    }

    /// Sends each mail in a session of its own, two at a time, and logs the answer to its
    /// content: 250, or a refusal (the 451 of a spool that cannot commit).
    private func sendCounting(_ mails: [TestMail], to port: Int, into answers: AnswerLog) async throws {
        do {
            for pair in stride(from: 0, to: mails.count, by: 2).map({ Array(mails[$0..<min(mails.count, $0 + 2)]) }) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for mail in pair {
                        group.addTask {
                            let steps: [SMTPStep] = [.connect(port), .ehlo("sender.example.org"),
                                                     .mail(mail.sender, ["BODY=8BITMIME"])] + mail.recipients.map { .rcpt($0) }
                                + [.data(mail.content), .quit]
                            let code = try await smtplibDialog(steps).first { $0.op == "data" }?.code
                            #expect(code == 250 || code == 451, "\(mail.messageID): \(code.map(String.init) ?? "no answer")")
                            await answers.record(mail.messageID, acknowledged: code == 250)
                        }
                    }
                    try await group.waitForAll()
                }
            }
        } catch {
            await answers.senderEnded()
            throw error
        }
        await answers.senderEnded()
    }
}

/// The answers the senders got, as they come: the restart waits for the first refusal.
private actor AnswerLog {
    private(set) var acknowledged: [String] = []
    private(set) var refused: [String] = []
    private var sendersLeft: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(senders: Int) {
        sendersLeft = senders
    }

    func record(_ messageID: String, acknowledged isAcknowledged: Bool) {
        if isAcknowledged { acknowledged.append(messageID) } else { refused.append(messageID) }
        resumeIfDone()
    }

    func senderEnded() {
        sendersLeft -= 1
        resumeIfDone()
    }

    /// Returns at the first refusal, or once every sender is done (then there was none).
    func waitForRefusalOrEnd() async {
        guard refused.isEmpty, sendersLeft > 0 else { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func resumeIfDone() {
        guard !refused.isEmpty || sendersLeft == 0 else { return }
        waiters.forEach { $0.resume() }
        waiters.removeAll()
    }
}
