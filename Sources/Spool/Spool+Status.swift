import Foundation
import SpoolContract
import GRDB

/// `backstop status`'s figures, read in one snapshot. Journal copies are not counted: they wait
/// for no primary, and a week of them would hold the thresholds and the oldest age for ever.
extension Spool {
    /// How many recent health transitions `status` reports.
    public static let recentTransitionLimit = 5
    /// The condition on `message m` that leaves journal copies out.
    static let notJournalCopy = "NOT EXISTS (SELECT 1 FROM journal_copy j WHERE j.message_id = m.id)"

    public func status(now: Date = Date()) async throws -> SpoolStatus {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                var messages = Dictionary(uniqueKeysWithValues: QueueState.allCases.map { ($0, 0) })
                for row in try Row.fetchAll(db, sql: """
                        SELECT \(QueueSQL.state) AS queue_state, count(*) FROM message m WHERE \(Self.notJournalCopy)
                        GROUP BY queue_state
                        """, arguments: ["now": now.unixMilliseconds]) {
                    messages[try decodeStored(QueueState.self, row[0], "message state")] = row[1]
                }
                let oldest = try Int64.fetchOne(db, sql: "SELECT min(received_at) FROM message m WHERE \(Self.notJournalCopy)")
                let hourAgo = now.addingTimeInterval(-3600).unixMilliseconds
                return SpoolStatus(
                    messages: messages,
                    bytes: try Int.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM message m WHERE \(Self.notJournalCopy)") ?? 0,
                    oldestReceivedAt: oldest.map(Date.init(unixMilliseconds:)),
                    acceptedLastHour: try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM arrival_log WHERE at > ? AND at <= ?",
                        arguments: [hourAgo, now.unixMilliseconds]) ?? 0,
                    deliveredLastHour: try Int.fetchOne(db, sql: """
                        SELECT count(DISTINCT queue_id) FROM delivery_log
                        WHERE outcome = 'delivered' AND at > ? AND at <= ?
                        """, arguments: [hourAgo, now.unixMilliseconds]) ?? 0,
                    latestHealth: try Row.fetchAll(db, sql: """
                        SELECT * FROM health_transition t
                        WHERE t.id = (SELECT id FROM health_transition u WHERE u.host = t.host
                                      ORDER BY at DESC, id DESC LIMIT 1)
                        ORDER BY host
                        """).map(HealthTransition.init(row:)),
                    recentTransitions: try Row.fetchAll(db, sql: """
                        SELECT * FROM health_transition ORDER BY at DESC, id DESC LIMIT ?
                        """, arguments: [Self.recentTransitionLimit]).map(HealthTransition.init(row:)),
                    pausedRoutes: try Self.pausedRoutes(db))
            }
        }
    }
}

extension HealthTransition {
    /// A state the history does not know (written by a later version) reads as unknown.
    init(row: Row) {
        self.init(host: row["host"], from: HostState(rawValue: row["from_state"]) ?? .unknown,
                  to: HostState(rawValue: row["to_state"]) ?? .unknown,
                  at: Date(unixMilliseconds: row["at"]), reason: row["reason"])
    }
}
