import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

/// `backstop status` at the spool: counts by state, the last hour, health, and schema v4.
@Suite("Spool status")
struct StatusTests {
    @Test("queue counts by state, bytes and the oldest arrival", arguments: SpoolBackend.all)
    func counts(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let ids = try await spool.storeInOrder([
                makeMessage(to: ["a@example.net"], arrival: at(seconds: 10)),
                makeMessage(to: ["b@example.net"], arrival: at(seconds: 20)),
                makeMessage(to: ["c@example.net"], arrival: at(seconds: 30)),
            ])
            _ = try await spool.hold(.messages([ids[0]]))
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("w", until: at(seconds: 600)), now: at(seconds: 40))
            let status = try await spool.status(now: at(seconds: 50))
            #expect(status.messages == [.queued: 1, .deferred: 0, .held: 1, .inFlight: 1])
            #expect(status.totalMessages == 3)
            #expect(status.oldestReceivedAt == at(seconds: 10))
            #expect(status.bytes == (try await spool.messages()).reduce(0) { $0 + $1.stored.size })

            let empty = try await withSpoolCopy { try await $0.status(now: at(seconds: 50)) }
            #expect(empty.totalMessages == 0 && empty.oldestReceivedAt == nil && empty.bytes == 0)
        }
    }

    @Test("accepted and delivered in the last hour count mail that has left the spool; DSNs are not accepted mail", arguments: SpoolBackend.all)
    func lastHour(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let now = at(seconds: 4 * 3600)
            let ids = try await spool.storeInOrder([
                makeMessage(to: ["old@example.net"], arrival: now.addingTimeInterval(-2 * 3600)),
                makeMessage(to: ["a@example.net", "b@example.net"], arrival: now.addingTimeInterval(-600)),
                makeMessage(to: ["c@example.net"], arrival: now.addingTimeInterval(-300)),
            ])
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 3, lease: lease("w", until: now), now: now.addingTimeInterval(-200))
            try await spool.record(attempt(ids[0], by: "w", at: now.addingTimeInterval(-100), [("old@example.net", .delivered(reply: "250 ok"))]))
            try await spool.record(attempt(ids[1], by: "w", at: now.addingTimeInterval(-100), [
                ("a@example.net", .delivered(reply: "250 ok")), ("b@example.net", .delivered(reply: "250 ok")),
            ]))
            try await spool.record(attempt(ids[2], by: "w", at: now.addingTimeInterval(-100), [("c@example.net", .failed(reply: "550 no"))],
                                           report: makeReport()))
            let status = try await spool.status(now: now)
            #expect(status.acceptedLastHour == 2)
            #expect(status.deliveredLastHour == 2)
            #expect(status.totalMessages == 1, "the DSN waits")
        }
    }

    @Test("the arrival log forgets what is two days old", arguments: SpoolBackend.all)
    func arrivalLogPruned(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            _ = try await spool.storeInOrder([makeMessage(to: ["a@example.net"], arrival: at(seconds: 0)),
                                              makeMessage(to: ["b@example.net"], arrival: at(seconds: 3600))])
            _ = try await spool.store(makeMessage(to: ["c@example.net"], arrival: at(seconds: 2 * 86_400 + 1800)))
            #expect(try await spool.rowCount("arrival_log") == 2)
        }
    }

    @Test("latest health per host and the newest transitions; paused routes", arguments: SpoolBackend.all)
    func health(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let changes: [(String, HostState)] = [("mx1:25", .up), ("mx2:25", .up), ("mx1:25", .down), ("mx1:25", .up),
                                                  ("mx2:25", .down), ("mx1:25", .down)]
            for (index, (host, to)) in changes.enumerated() {
                try await spool.recordHealthTransition(HealthTransition(host: host, from: .unknown, to: to, at: at(seconds: Double(index)),
                                                                    reason: "reason \(index)"))
            }
            try await spool.pauseRoute("example.org", at: at(seconds: 9))
            let status = try await spool.status(now: at(seconds: 10))
            #expect(status.latestHealth.map(\.host) == ["mx1:25", "mx2:25"])
            #expect(status.latestHealth.map(\.reason) == ["reason 5", "reason 4"])
            #expect(status.recentTransitions.map(\.reason) == ["reason 5", "reason 4", "reason 3", "reason 2", "reason 1"])
            #expect(status.pausedRoutes == [RoutePause(domain: "example.org", pausedAt: at(seconds: 9))])
        }
    }

    @Test("v4 on a spool written before it: arrivals of spooled mail count, no route is paused")
    func migrationFromVersion3() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            let queue = try DatabaseQueue(path: path)
            try SpoolSchema.migrator.migrate(queue, upTo: "v3")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO message (queue_id, received_at, sender, body_type, smtputf8, client_address, client_helo, size)
                    VALUES (?, ?, 'bounce@sender.example', '7BIT', 0, '192.0.2.7', 'mx.sender.example', 0)
                    """, arguments: [QueueID.generate().rawValue, at(seconds: 0).unixMilliseconds])
            }
            try queue.close()

            let spool = try Spool(path: path, logger: quietLogger)
            defer { try? spool.close() }
            #expect(try await spool.status(now: at(seconds: 60)).acceptedLastHour == 1)
            #expect(try await spool.pausedRoutes().isEmpty)
        }
    }

    /// A fresh spool next to nothing, for figures of an empty queue.
    private func withSpoolCopy<T: Sendable>(_ body: @Sendable (Spool) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory async throws in
            let spool = try Spool(path: directory.appendingPathComponent("empty.sqlite").path, logger: quietLogger)
            defer { try? spool.close() }
            return try await body(spool)
        }
    }
}
