import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

/// The tables that grow with traffic are pruned by age, not kept for ever.
@Suite("Retention")
struct RetentionTests {
    @Test("the delivery log and the health history are pruned past the retention; newer entries stay", arguments: SpoolBackend.all)
    func historyPruned(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let day: TimeInterval = 86_400
            for (index, finished) in [at(seconds: 1), at(seconds: 20 * day), at(seconds: 60 * day)].enumerated() {
                let queueID = try await spool.store(makeMessage(to: ["user\(index)@example.net"])).queueID
                _ = try await spool.claimDue(scope: .allExcept([]), limit: 1,
                                             lease: lease("w", until: finished.addingTimeInterval(60)), now: finished)
                try await spool.record(attempt(queueID, by: "w", at: finished,
                                               [("user\(index)@example.net", .delivered(reply: "250 ok"))]))
                try await spool.recordHealthTransition(HealthTransition(host: "primary.example.net:25", from: .up, to: .down,
                                                                    at: finished, reason: "probe \(index)"))
            }
            #expect(try await spool.rowCount("delivery_log") == 3)

            let now = at(seconds: 61 * day)
            let pruned = try await spool.prune(historyBefore: now.addingTimeInterval(-30 * day),
                                               acceptedBefore: .distantPast, refusedBefore: .distantPast)

            #expect(pruned == PrunedRows(deliveryLog: 2, healthTransitions: 2, recipientVerdicts: 0))
            #expect(try await spool.rowCount("delivery_log") == 1)
            #expect(try await spool.healthHistory(limit: 10).map(\.reason) == ["probe 2"])
            let again = try await spool.prune(historyBefore: now.addingTimeInterval(-30 * day),
                                              acceptedBefore: .distantPast, refusedBefore: .distantPast)
            #expect(again == PrunedRows())
        }
    }

    @Test("a large backlog is pruned in batches, all of it")
    func pruneInBatches() async throws {
        try await withSpool { spool, _ async throws in
            let rows = Spool.pruneBatchSize * 2 + 7
            try await spool.pool.write { db in
                let insert = try db.makeStatement(sql: """
                    INSERT INTO delivery_log (queue_id, recipient, at, outcome) VALUES ('0A0000000001', 'a@example.net', ?, 'delivered')
                    """)
                for index in 0..<rows { try insert.execute(arguments: [index]) }
            }
            let pruned = try await spool.prune(historyBefore: Date(unixMilliseconds: Int64(rows)),
                                               acceptedBefore: .distantPast, refusedBefore: .distantPast)
            #expect(pruned.deliveryLog == rows)
            #expect(try await spool.rowCount("delivery_log") == 0)
        }
    }
}
