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
                        #expect(tookOver < .seconds(Self.leaseTimeout + 3),
                                "within lease_timeout (\(Self.leaseTimeout)s) and a claim interval, with slack for the loaded machine")

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
}
