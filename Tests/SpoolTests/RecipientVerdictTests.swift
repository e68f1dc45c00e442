import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

@Suite("Recipient verification's memory")
struct RecipientVerdictTests {
    @Test("a verdict is stored per address, without case, and read back as it was", arguments: SpoolBackend.all)
    func rememberAndRecall(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            #expect(try await spool.recipientVerdict(for: "bob@example.org") == nil)
            try await spool.rememberRecipientVerdict(.refused, for: "Ghost@Example.ORG", at: at(seconds: 1),
                                                     reply: "550 5.1.1 No such user")
            try await spool.rememberAcceptedRecipients(["Bob@example.org", "bob@EXAMPLE.org"], at: at(seconds: 2))
            #expect(try await spool.recipientVerdict(for: "ghost@example.org") == RecipientVerdictRecord(
                address: "ghost@example.org", verdict: .refused, checkedAt: at(seconds: 1), reply: "550 5.1.1 No such user"))
            #expect(try await spool.recipientVerdict(for: "BOB@example.org")
                == RecipientVerdictRecord(address: "bob@example.org", verdict: .accepted, checkedAt: at(seconds: 2), reply: nil))
            #expect(try await spool.rowCount("recipient_verdict") == 2)
        }
    }

    @Test("the latest answer wins; an older one arriving late does not overwrite it", arguments: SpoolBackend.all)
    func latestWins(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            try await spool.rememberRecipientVerdict(.refused, for: "bob@example.org", at: at(seconds: 10), reply: "550")
            try await spool.rememberAcceptedRecipients(["bob@example.org"], at: at(seconds: 20))
            #expect(try await spool.recipientVerdict(for: "bob@example.org")?.verdict == .accepted)
            try await spool.rememberRecipientVerdict(.refused, for: "bob@example.org", at: at(seconds: 15), reply: "550")
            #expect(try await spool.recipientVerdict(for: "bob@example.org")?.checkedAt == at(seconds: 20))
        }
    }

    @Test("old verdicts are forgotten, each kind at its own TTL", arguments: SpoolBackend.all)
    func forget(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            try await spool.rememberAcceptedRecipients(["old@example.org"], at: at(seconds: 1))
            try await spool.rememberAcceptedRecipients(["new@example.org"], at: at(seconds: 100))
            try await spool.rememberRecipientVerdict(.refused, for: "ghost@example.org", at: at(seconds: 60), reply: "550")
            try await spool.rememberRecipientVerdict(.refused, for: "phantom@example.org", at: at(seconds: 200), reply: "550")
            // Acceptances older than 50 s, refusals older than 150 s.
            #expect(try await spool.forgetRecipientVerdicts(acceptedBefore: at(seconds: 50), refusedBefore: at(seconds: 150)) == 2)
            #expect(try await spool.recipientVerdict(for: "old@example.org") == nil)
            #expect(try await spool.recipientVerdict(for: "ghost@example.org") == nil, "a refusal goes at the negative TTL")
            #expect(try await spool.recipientVerdict(for: "new@example.org") != nil)
            #expect(try await spool.recipientVerdict(for: "phantom@example.org") != nil)
        }
    }
}

@Suite("Delay warnings: claimed once, marked with the DSN")
struct DelayWarningSpoolTests {
    private func claimDelayed(_ spool: BackendSpool, owner: String = "w", now: Date = at(seconds: 7200)) async throws -> [QueueID] {
        try await spool.claimDelayed(receivedBefore: now.addingTimeInterval(-3600), receivedAfter: at(seconds: -86_400),
                                     limit: 10, lease: lease(owner, until: now.addingTimeInterval(60)), now: now)
            .map(\.envelope.queueID)
    }

    @Test("only relayed mail from a real sender, old enough, pending and not yet warned is claimed", arguments: SpoolBackend.all)
    func whatIsClaimed(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queued = try await spool.storeInOrder([
                makeMessage(to: ["alice@example.net"]),
                makeMessage(to: ["alice@example.net"], sender: ""),
                makeMessage(to: ["alice@example.net"], arrival: at(seconds: 5000)),
                makeMessage(to: ["alice@example.net"], arrival: at(seconds: -90_000)),
            ])
            let claimed = try await spool.claimDelayed(
                receivedBefore: at(seconds: 3600), receivedAfter: at(seconds: -86_400), limit: 10,
                lease: lease("w", until: at(seconds: 7260)), now: at(seconds: 7200))
            #expect(claimed.map(\.envelope.queueID) == [queued[0]], "not <>, not too young, not about to expire")
            #expect(claimed.first?.recipients.map(\.recipient.address) == ["alice@example.net"])
            #expect(try await spool.leaseOwner(of: queued[0]) == "w")
            #expect(try await claimDelayed(spool, owner: "x").isEmpty, "leased")
        }
    }

    @Test("recording a warning marks the message, spools the DSN and releases the lease, once", arguments: SpoolBackend.all)
    func recordedOnce(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage(to: ["alice@example.net", "bob@example.net"])).queueID
            #expect(try await claimDelayed(spool) == [queueID])
            try await spool.recordDelayWarning(queueID, leaseOwner: "w", at: at(seconds: 7200), report: makeReport())
            #expect(try await spool.delayWarningTime(of: queueID) == at(seconds: 7200))
            #expect(try await spool.leaseOwner(of: queueID) == nil)
            #expect(try await spool.rowCount("message") == 2, "the message and its warning")
            #expect(try await claimDelayed(spool, now: at(seconds: 20_000)).isEmpty, "warned once")
            let due = try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease("d", until: at(seconds: 7300)),
                                               now: at(seconds: 7200))
            #expect(due.map(\.envelope.queueID) == [queueID], "the warning changes nothing about delivery")

            // A second record, say after a lost lease, writes nothing more.
            try await spool.recordDelayWarning(queueID, leaseOwner: "w", at: at(seconds: 7300), report: makeReport())
            #expect(try await spool.rowCount("message") == 2)
            #expect(try await spool.delayWarningTime(of: queueID) == at(seconds: 7200))
        }
    }

    @Test("a warning without a DSN (NOTIFY=NEVER) still marks the message", arguments: SpoolBackend.all)
    func markedWithoutReport(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage(to: ["alice@example.net"])).queueID
            _ = try await claimDelayed(spool)
            try await spool.recordDelayWarning(queueID, leaseOwner: "w", at: at(seconds: 7200), report: nil)
            #expect(try await spool.delayWarningTime(of: queueID) == at(seconds: 7200))
            #expect(try await spool.rowCount("message") == 1)
            #expect(try await claimDelayed(spool).isEmpty)
        }
    }

    @Test("a holder that lost its lease records nothing", arguments: SpoolBackend.all)
    func lostLease(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage(to: ["alice@example.net"])).queueID
            _ = try await claimDelayed(spool, owner: "w")
            _ = try await claimDelayed(spool, owner: "x", now: at(seconds: 9000))
            try await spool.recordDelayWarning(queueID, leaseOwner: "w", at: at(seconds: 9001), report: makeReport())
            #expect(try await spool.delayWarningTime(of: queueID) == nil)
            #expect(try await spool.leaseOwner(of: queueID) == "x")
            #expect(try await spool.rowCount("message") == 1)
        }
    }
}
