import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

@Suite("Recording delivery attempts")
struct RecordTests {
    /// Stores a message to `addresses` and claims it for `owner` until 60 s after arrival.
    private func claimedMessage(_ spool: BackendSpool, to addresses: [String], owner: String = "a",
                                body: MessageBody? = nil) async throws -> QueueID {
        let queueID = try await spool.store(makeMessage(to: addresses, body: body)).queueID
        let claimed = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease(owner, until: at(seconds: 60)), now: receivedAt)
        try #require(claimed.map(\.envelope.queueID) == [queueID])
        return queueID
    }

    @Test("delivered for every recipient: the message, its recipients and its chunks leave the spool", arguments: SpoolBackend.all)
    func allDelivered(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let body = MessageBody.bytes(patternedBytes(count: 2 * MessageWriter.chunkSize))
            let queueID = try await claimedMessage(spool, to: ["alice@example.net", "bob@example.net"], body: body)
            #expect(try await spool.rowCount("message_chunk") == 3)

            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 5), [
                ("alice@example.net", .delivered(reply: "250 2.0.0 ok: queued as A1")),
                ("bob@example.net", .delivered(reply: "250 2.0.0 ok: queued as A1")),
            ]))

            #expect(try await spool.envelope(of: queueID) == nil)
            for table in ["message", "recipient", "message_chunk"] {
                #expect(try await spool.rowCount(table) == 0, "rows left in \(table)")
            }
            let log = try await spool.deliveryLog(of: queueID)
            #expect(log.map(\.recipient) == ["alice@example.net", "bob@example.net"])
            #expect(log.allSatisfy { $0.outcome == "delivered" && $0.host == "primary.example.net:25" && $0.at == at(seconds: 5) })
            #expect(log.first?.reply == "250 2.0.0 ok: queued as A1")
            #expect(try await spool.integrityCheck())
        }
    }

    @Test("delivered and deferred: the message stays, due at the earliest retry, attempted once more, unleased",
          arguments: SpoolBackend.all, [true, false])
    func mixedOutcome(backend: SpoolBackend, countsAsAttempt: Bool) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await claimedMessage(spool, to: ["alice@example.net", "bob@example.net", "carol@example.net"])
            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 5), [
                ("alice@example.net", .delivered(reply: "250 2.0.0 ok")),
                ("bob@example.net", .deferred(reply: "452 4.2.2 mailbox full", retryAt: at(seconds: 600))),
                ("carol@example.net", .deferred(reply: "451 4.7.1 greylisted", retryAt: at(seconds: 300))),
            ], countsAsAttempt: countsAsAttempt))

            let stored = try #require(try await spool.envelope(of: queueID))
            let counted = countsAsAttempt ? 1 : 0
            #expect(stored.nextAttemptAt == at(seconds: 300))
            #expect(stored.attempts == counted)
            #expect(stored.lastError == "452 4.2.2 mailbox full")
            #expect(try await spool.leaseOwner(of: queueID) == nil)
            #expect(try stored.recipient("alice@example.net").state == .delivered)
            let bob = try stored.recipient("bob@example.net")
            #expect(bob.state == .deferred)
            #expect(bob.nextAttemptAt == at(seconds: 600))
            #expect(bob.lastReply == "452 4.2.2 mailbox full")
            #expect(bob.attempts == counted)
            #expect(bob.updatedAt == at(seconds: 5))
            #expect(try stored.recipient("carol@example.net").nextAttemptAt == at(seconds: 300))

            // Released: anyone may claim it when it is due, with the delivered recipient marked so.
            let again = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("b", until: at(seconds: 900)), now: at(seconds: 300))
            #expect(again.map(\.envelope.queueID) == [queueID])
        }
    }

    @Test("failed and expired are final: a message with nothing pending leaves the spool", arguments: SpoolBackend.all, [
        (RecipientDisposition.expired(reply: "4.4.7 expired after 5 days"), "expired"),
        (.failed(reply: "554 5.6.0 rejected"), "failed"),
        (.delivered(reply: "250 ok"), "delivered"),
    ])
    func finalOutcomes(backend: SpoolBackend, example: (last: RecipientDisposition, outcome: String)) async throws {
        let (last, outcome) = example
        try await backend.withSpool { spool async throws in
            let queueID = try await claimedMessage(spool, to: ["alice@example.net", "bob@example.net"])
            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 5),
                                           [("alice@example.net", .failed(reply: "550 5.1.1 no such user"))]))
            let stored = try #require(try await spool.envelope(of: queueID), "bob is still pending")
            let alice = try stored.recipient("alice@example.net")
            #expect(alice.state == .failed && alice.lastReply == "550 5.1.1 no such user")
            #expect(try stored.recipient("bob@example.net").state == .queued)

            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("a", until: at(seconds: 60)), now: at(seconds: 6))
            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 7), [("bob@example.net", last)]))
            #expect(try await spool.envelope(of: queueID) == nil)
            #expect(try await spool.deliveryLog(of: queueID).map(\.outcome) == ["failed", outcome])
        }
    }

    @Test("after losing its lease a worker's deferrals are ignored, its deliveries applied", arguments: SpoolBackend.all)
    func lostLease(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await claimedMessage(spool, to: ["alice@example.net", "bob@example.net"], owner: "a")
            let taken = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("b", until: at(seconds: 180)), now: at(seconds: 61))
            try #require(taken.count == 1)

            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 62), [
                ("alice@example.net", .delivered(reply: "250 ok")),
                ("bob@example.net", .deferred(reply: "451 later", retryAt: at(seconds: 9999))),
            ]))
            let stored = try #require(try await spool.envelope(of: queueID))
            #expect(try stored.recipient("alice@example.net").state == .delivered)
            let bob = try stored.recipient("bob@example.net")
            #expect(bob.state == .queued && bob.nextAttemptAt == nil && bob.attempts == 0 && bob.lastReply == nil)
            #expect(stored.attempts == 0 && stored.nextAttemptAt == nil && stored.lastError == nil)
            #expect(try await spool.leaseOwner(of: queueID) == "b", "the holder keeps its lease")
            #expect(try await spool.deliveryLog(of: queueID).map(\.recipient) == ["alice@example.net"])

            // The late worker's delivery of the last pending recipient completes the message.
            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 63), [("bob@example.net", .delivered(reply: "250 ok"))]))
            #expect(try await spool.envelope(of: queueID) == nil)
            // The holder's own record then finds nothing to do.
            try await spool.record(attempt(queueID, by: "b", at: at(seconds: 64), [("bob@example.net", .delivered(reply: "250 ok"))]))
            #expect(try await spool.rowCount("message") == 0)
        }
    }

    @Test("a DSN is spooled in the same transaction, as a report", arguments: SpoolBackend.all)
    func reportSpooled(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await claimedMessage(spool, to: ["alice@example.net", "bob@example.net"])
            let report = makeReport()
            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 5), [
                ("alice@example.net", .failed(reply: "550 5.1.1 no such user")),
                ("bob@example.net", .deferred(reply: "451 later", retryAt: at(seconds: 300))),
            ], report: report))

            let dsn = report.queueID
            #expect(try await spool.kind(of: dsn) == "report")
            #expect(try await spool.messageData(of: dsn) == reportBytes(report))
            #expect(try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease("r", until: at(seconds: 60)), now: at(seconds: 6)).isEmpty)
            #expect(try await spool.queuedCount(scope: .allExcept([])) == 1)
            let reports = try await spool.claimDue(scope: .reports, limit: 10, lease: lease("r", until: at(seconds: 60)), now: at(seconds: 6))
            #expect(reports.map(\.envelope.queueID) == [dsn])
            #expect(reports.first?.envelope.sender == "")
            #expect(reports.first?.addresses == ["bounce@sender.example"])
        }
    }

    @Test("a DSN that cannot be spooled undoes the whole attempt", arguments: SpoolBackend.all)
    func reportFailureRollsBack(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await claimedMessage(spool, to: ["alice@example.net"])
            // A queue ID already taken makes the DSN's insert fail inside record's transaction.
            let report = makeReport(queueID: queueID)
            await #expect(throws: SpoolError.self) {
                try await spool.record(attempt(queueID, by: "a", at: at(seconds: 5),
                                               [("alice@example.net", .failed(reply: "550 5.1.1 no such user"))], report: report))
            }
            let stored = try #require(try await spool.envelope(of: queueID))
            #expect(try stored.recipient("alice@example.net").state == .queued)
            #expect(try await spool.deliveryLog(of: queueID).isEmpty)
            #expect(try await spool.leaseOwner(of: queueID) == "a")
            #expect(try await spool.rowCount("message") == 1)
        }
    }

    @Test("the same failure recorded twice, after a lease changed hands, spools one DSN", arguments: SpoolBackend.all)
    func oneReportPerFailure(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await claimedMessage(spool, to: ["alice@example.net", "bob@example.net"], owner: "a")
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("b", until: at(seconds: 180)), now: at(seconds: 61))
            let failure = [("alice@example.net", RecipientDisposition.failed(reply: "550 5.1.1 no such user"))]
            try await spool.record(attempt(queueID, by: "b", at: at(seconds: 62), failure, report: makeReport()))
            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 63), failure, report: makeReport()))
            #expect(try await spool.queuedCount(scope: .reports) == 1)
            #expect(try await spool.deliveryLog(of: queueID).count == 2, "both attempts happened and are logged")
        }
    }

    @Test("recoverLeases frees the leases of other owners only", arguments: SpoolBackend.all)
    func recoverLeases(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queued = try await spool.storeInOrder((0..<4).map { _ in makeMessage() })
            for (owner, count) in [("me", 1), ("crashed-1", 2), ("crashed-2", 1)] {
                _ = try await spool.claimDue(scope: .allExcept([]), limit: count, lease: lease(owner, until: at(seconds: 600)), now: receivedAt)
            }
            #expect(try await spool.recoverLeases(keepingOwner: "me") == 3)
            #expect(try await spool.leaseOwner(of: queued[0]) == "me")
            let reclaimed = try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease("me", until: at(seconds: 600)), now: at(seconds: 1))
            #expect(reclaimed.map(\.envelope.queueID) == Array(queued[1...]))
            #expect(try await spool.recoverLeases(keepingOwner: "me") == 0)
        }
    }

    @Test("release gives a message back untouched", arguments: SpoolBackend.all)
    func release(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await claimedMessage(spool, to: ["alice@example.net"])
            let before = try await spool.envelope(of: queueID)
            try await spool.returnLease(queueID, leaseOwner: "someone-else")
            #expect(try await spool.leaseOwner(of: queueID) == "a", "only the holder releases")
            try await spool.returnLease(queueID, leaseOwner: "a")
            #expect(try await spool.leaseOwner(of: queueID) == nil)
            #expect(try await spool.envelope(of: queueID) == before)
        }
    }

    @Test("health history comes newest first, per host or for all", arguments: SpoolBackend.all)
    func healthHistory(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let transitions = [
                HealthTransition(host: "mx1:25", from: .unknown, to: .up, at: at(seconds: 0), reason: "220 greeting"),
                HealthTransition(host: "mx2:25", from: .unknown, to: .down, at: at(seconds: 1), reason: "connect refused"),
                HealthTransition(host: "mx1:25", from: .up, to: .down, at: at(seconds: 30), reason: "421 from greeting"),
                // Recorded late, but it happened before the one above.
                HealthTransition(host: "mx2:25", from: .down, to: .up, at: at(seconds: 20), reason: "220 greeting"),
            ]
            for transition in transitions {
                try await spool.recordHealthTransition(transition)
            }
            #expect(try await spool.healthHistory(limit: 10) == [transitions[2], transitions[3], transitions[1], transitions[0]])
            #expect(try await spool.healthHistory(host: "mx1:25", limit: 10) == [transitions[2], transitions[0]])
            #expect(try await spool.healthHistory(limit: 1) == [transitions[2]])
            #expect(try await spool.healthHistory(host: "mx3:25", limit: 10).isEmpty)
        }
    }

    @Test("a primary's capabilities: the newest observation per host stays, also when an older one is written late",
          arguments: SpoolBackend.all)
    func primaryCapabilities(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            #expect(try await spool.primaryCapabilities().isEmpty)
            let small = PrimaryCapabilities(sizeLimit: 10_000, smtpUTF8: false, eightBitMIME: true, dsn: true, chunking: false)
            let silent = PrimaryCapabilities(sizeLimit: nil, smtpUTF8: true, eightBitMIME: false, dsn: false, chunking: true)
            let large = PrimaryCapabilities(sizeLimit: 50_000_000, smtpUTF8: true, eightBitMIME: true, dsn: true, chunking: true)
            try await spool.recordPrimaryCapabilities(small, host: "mx1:25", observedAt: at(seconds: 10))
            try await spool.recordPrimaryCapabilities(silent, host: "mx2:25", observedAt: at(seconds: 10))
            try await spool.recordPrimaryCapabilities(large, host: "mx1:25", observedAt: at(seconds: 5))
            #expect(try await spool.primaryCapabilities() == ["mx1:25": small, "mx2:25": silent])
            try await spool.recordPrimaryCapabilities(large, host: "mx1:25", observedAt: at(seconds: 20))
            #expect(try await spool.primaryCapabilities() == ["mx1:25": large, "mx2:25": silent])
        }
    }

    @Test("a host state the history does not know reads as unknown; the row's other fields stay")
    func unknownHealthState() async throws {
        try await withSpool { spool, _ async throws in
            try await spool.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO health_transition (host, from_state, to_state, at, reason) VALUES (?, ?, ?, ?, ?)
                    """, arguments: ["mx1:25", "draining", "down", at(seconds: 5).unixMilliseconds, "connect refused"])
            }
            #expect(try await spool.healthHistory(limit: 10) == [
                HealthTransition(host: "mx1:25", from: .unknown, to: .down, at: at(seconds: 5), reason: "connect refused"),
            ])
        }
    }
}

private func reportBytes(_ report: GeneratedMessage) -> [UInt8] {
    report.content
}
