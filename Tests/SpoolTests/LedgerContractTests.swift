import Foundation
import Testing
@testable import Spool
import SpoolContract

/// The delivery cycle through the role protocols alone, as the forwarder sees a backend: what
/// any spool backend must do, whatever stores it. Each test runs once per backend.
@Suite("Spool roles: the delivery ledger's contract")
struct LedgerContractTests {
    private func contract(_ backend: SpoolBackend,
                          _ body: (any MessageStore, any DeliveryLedger, any QueueViews) async throws -> Void) async throws {
        try await backend.withSpool { spool in try await body(spool.intake, spool.ledger, spool.views) }
    }

    @Test("a claim leases to one owner, a returned lease frees the message untouched, a final outcome removes it",
          arguments: SpoolBackend.all)
    func claimReturnRecord(backend: SpoolBackend) async throws {
        try await contract(backend) { intake, ledger, views in
            let queueID = try await intake.store(makeMessage(to: ["alice@example.net"])).queueID
            let first = lease("worker-1", until: at(seconds: 60))

            let claimed = try await ledger.claimDue(scope: .allExcept([]), limit: 10, lease: first, now: receivedAt)
            #expect(claimed.map(\.envelope.queueID) == [queueID])
            #expect(try await ledger.deliverableContent(of: queueID, leaseOwner: "worker-1", maxLength: 10)
                == Array(receivedHeader.prefix(10)))
            #expect(try await ledger.deliverableContent(of: queueID, leaseOwner: "worker-2", maxLength: 10) == nil)
            #expect(try await ledger.claimDue(scope: .allExcept([]), limit: 10,
                                              lease: lease("worker-2", until: at(seconds: 60)), now: receivedAt).isEmpty,
                    "a live lease keeps the message from a second owner")
            #expect(try await ledger.readContent(of: queueID, offset: 0, maxLength: receivedHeader.count) == receivedHeader)

            try await ledger.returnLease(queueID, leaseOwner: "worker-1")
            let stored = try #require(try await views.envelope(of: queueID))
            #expect(stored.attempts == 0 && stored.recipients.map(\.state) == [.queued], "a returned lease changes nothing else")
            #expect(try await ledger.queuedCount(scope: .allExcept([])) == 1)

            let second = lease("worker-2", until: at(seconds: 60))
            #expect(try await ledger.claimDue(scope: .allExcept([]), limit: 10, lease: second, now: receivedAt)
                .map(\.envelope.queueID) == [queueID])
            try await ledger.record(attempt(queueID, by: "worker-2", at: at(seconds: 5), [
                ("alice@example.net", .delivered(reply: "250 2.0.0 Ok")),
            ]))
            #expect(try await views.envelope(of: queueID) == nil)
            #expect(try await ledger.queuedCount(scope: .allExcept([])) == 0)
            #expect(try await views.deliveryLog(of: queueID).map(\.outcome) == ["delivered"])
            await #expect(throws: SpoolError.self) {
                try await ledger.readContent(of: queueID, offset: 0, maxLength: 1)
            }
        }
    }

    @Test("a deferral from an owner that lost its lease is not recorded; the holder's is", arguments: SpoolBackend.all)
    func staleDeferral(backend: SpoolBackend) async throws {
        try await contract(backend) { intake, ledger, views in
            let queueID = try await intake.store(makeMessage(to: ["alice@example.net"])).queueID
            _ = try await ledger.claimDue(scope: .allExcept([]), limit: 1, lease: lease("old", until: at(seconds: 10)),
                                          now: receivedAt)
            _ = try await ledger.claimDue(scope: .allExcept([]), limit: 1, lease: lease("new", until: at(seconds: 100)),
                                          now: at(seconds: 20))
            try await ledger.record(attempt(queueID, by: "old", at: at(seconds: 21), [
                ("alice@example.net", .deferred(reply: "451 4.3.0 later", retryAt: at(seconds: 500))),
            ]))
            #expect(try await views.envelope(of: queueID)?.recipients.map(\.state) == [.queued])
            try await ledger.record(attempt(queueID, by: "new", at: at(seconds: 22), [
                ("alice@example.net", .deferred(reply: "451 4.3.0 later", retryAt: at(seconds: 500))),
            ]))
            let stored = try #require(try await views.envelope(of: queueID))
            #expect(stored.recipients.map(\.state) == [.deferred])
            #expect(stored.recipients.first?.nextAttemptAt == at(seconds: 500))
        }
    }
}
