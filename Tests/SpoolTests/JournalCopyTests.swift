import Foundation
import Testing
import SpoolContract

/// A journal copy (`[inbox] journal_address`) is stored held: never claimed for the primary,
/// never released by an operator, and gone with its content once the retention sweep passes
/// its deadline. The same on every backend.
@Suite("Spool roles: journal copies")
struct JournalCopyTests {
    @Test("a journal copy is never claimed or released, and the sweep deletes it only after its deadline",
          arguments: SpoolBackend.all)
    func journalCopyLifecycle(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            var copy = makeMessage(to: ["ann@example.net"])
            copy.journalCopyUntil = at(seconds: 3600)
            let ordinary = makeMessage(to: ["bob@example.net"])
            _ = try await spool.store(copy)
            _ = try await spool.store(ordinary)
            let copyID = copy.envelope.queueID

            let claimed = try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease("w", until: at(seconds: 600)),
                                                   now: at(seconds: 1))
            #expect(claimed.map(\.envelope.queueID) == [ordinary.envelope.queueID], "only the ordinary message goes to the primary")
            let released = try await spool.release(.messages([copyID]))
            #expect(released.map(\.outcome) == [.skipped(.journalCopy)])
            #expect(try await spool.envelope(of: copyID)?.envelope.recipients.map(\.address) == ["ann@example.net"])

            #expect(try await spool.deleteExpiredJournalCopies(now: at(seconds: 3599)) == 0)
            #expect(try await spool.messageData(of: copyID) != nil, "kept until its deadline")
            #expect(try await spool.deleteExpiredJournalCopies(now: at(seconds: 3600)) == 1)
            #expect(try await spool.envelope(of: copyID) == nil)
            #expect(try await spool.messageData(of: copyID) == nil)
            #expect(try await spool.rowCount("journal_copy") == 0)
            #expect(try await spool.envelope(of: ordinary.envelope.queueID) != nil, "the sweep takes journal copies only")
            #expect(try await spool.integrityCheck())
        }
    }

    @Test("status, and so the metrics and the notification thresholds, leave journal copies out", arguments: SpoolBackend.all)
    func statusLeavesJournalCopiesOut(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            var copy = makeMessage(to: ["ann@example.net"], arrival: at(seconds: 0))
            copy.journalCopyUntil = at(seconds: 3600)
            let ordinary = makeMessage(to: ["bob@example.net"], arrival: at(seconds: 10))
            _ = try await spool.store(copy)
            _ = try await spool.store(ordinary)
            let status = try await spool.status(now: at(seconds: 20))
            #expect(status.totalMessages == 1 && status.messages[.held] == 0, "\(status.messages)")
            #expect(status.oldestReceivedAt == at(seconds: 10), "the ordinary message is the oldest that waits")
        }
    }
}
