import Foundation
import Testing
import SpoolContract

/// What every backend must do under concurrency: sessions that store at the same moment share
/// commits, and claimers working at the same moment never take the same message.
@Suite("Spool roles: concurrency contract")
struct BackendContractTests {
    @Test("concurrent stores share commits, and every message is stored", arguments: SpoolBackend.all)
    func concurrentStoresShareCommits(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let messages = (0..<50).map { _ in makeMessage() }
            let receipts = try await withThrowingTaskGroup(of: StoredReceipt.self) { group in
                for message in messages {
                    group.addTask { try await spool.store(message) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let statistics = spool.commitStatistics
            #expect(statistics.batches < messages.count, "\(statistics.batches) commits for \(messages.count) messages")
            #expect(statistics.messagesCommitted == messages.count)
            #expect(statistics.messagesFailed == 0)
            #expect(receipts.contains { $0.batchSize > 1 })
            #expect(Set(try await spool.queuedMessageIDs()) == Set(messages.map(\.envelope.queueID)))
            for message in messages {
                #expect(try await spool.envelope(of: message.envelope.queueID)?.envelope == message.envelope)
            }
        }
    }

    @Test("messages stored in one call share one commit; a bad one fails alone", arguments: SpoolBackend.all)
    func oneCallOneCommit(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let good = makeMessage()
            let outcomes = await spool.store([good, makeMessage(queueID: good.envelope.queueID), makeMessage(recipients: []),
                                              makeMessage()])
            #expect(outcomes.map { (try? $0.get()) != nil } == [true, false, false, true])
            #expect(try outcomes[0].get().batchSize == 2, "the messages that shared the commit")
            #expect(spool.commitStatistics.batches == 1)
            #expect(try await spool.queuedMessageIDs().count == 2)
        }
    }

    @Test("claimers at the same moment never take the same message, and together take all", arguments: SpoolBackend.all)
    func concurrentClaimersNeverShare(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queued = try await spool.storeInOrder((0..<60).map { _ in makeMessage(to: ["alice@example.net"]) })
            let claims = try await withThrowingTaskGroup(of: [QueueID].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var mine: [QueueID] = []
                        while true {
                            let claimed = try await spool.claimDue(
                                scope: .allExcept([]), limit: 3, lease: lease("worker-\(worker)", until: at(seconds: 600)),
                                now: at(seconds: 1))
                            guard !claimed.isEmpty else { return mine }
                            mine += claimed.map(\.envelope.queueID)
                        }
                    }
                }
                return try await group.reduce(into: [[QueueID]]()) { $0.append($1) }
            }
            let all = claims.flatMap { $0 }
            #expect(all.count == Set(all).count, "a message was claimed twice")
            #expect(Set(all) == Set(queued))
        }
    }
}
