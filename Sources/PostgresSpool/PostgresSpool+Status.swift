import Foundation
import Logging
import PostgresNIO
import SpoolContract

/// `backstop status`'s figures, read in one snapshot; journal copies are not counted, as in the
/// SQLite spool.
extension PostgresSpool {
    /// How many recent health transitions `status` reports, as the SQLite spool.
    static let recentTransitionLimit = 5

    public func status(now: Date) async throws -> SpoolStatus {
        try await snapshot { connection in
            var messages = Dictionary(uniqueKeysWithValues: QueueState.allCases.map { ($0, 0) })
            var statement = SQLText()
            let nowValue = statement.bind(now.unixMilliseconds)
            statement.add("""
                SELECT queue_state, count(*) FROM (SELECT \(PostgresQueueSQL.state(now: nowValue)) AS queue_state
                FROM message m WHERE NOT EXISTS (SELECT 1 FROM journal_copy j WHERE j.message_id = m.id)) s
                GROUP BY queue_state
                """)
            for try await (state, count) in try await connection.statement(statement.query, logger: logger)
                .decode((String, Int).self) {
                messages[try Self.decodeStored(QueueState.self, state, "message state")] = count
            }
            var bytes = 0
            var oldest: Int64?
            for try await (sum, minimum) in try await connection.statement("""
                SELECT coalesce(sum(size), 0)::bigint, min(received_at) FROM message m
                WHERE NOT EXISTS (SELECT 1 FROM journal_copy j WHERE j.message_id = m.id)
                """, logger: logger).decode((Int, Int64?).self) {
                (bytes, oldest) = (sum, minimum)
            }
            let hourAgo = now.addingTimeInterval(-3600).unixMilliseconds
            let accepted = try await Self.count("""
                SELECT count(*) FROM arrival_log WHERE at > \(hourAgo) AND at <= \(now.unixMilliseconds)
                """, connection, logger)
            let delivered = try await Self.count("""
                SELECT count(DISTINCT queue_id) FROM delivery_log
                WHERE outcome = 'delivered' AND at > \(hourAgo) AND at <= \(now.unixMilliseconds)
                """, connection, logger)
            let latest = try await Self.transitions("""
                SELECT DISTINCT ON (host COLLATE "C") host, from_state, to_state, at, reason FROM health_transition
                ORDER BY host COLLATE "C", at DESC, id DESC
                """, connection, logger)
            let recent = try await Self.transitions("""
                SELECT host, from_state, to_state, at, reason FROM health_transition
                ORDER BY at DESC, id DESC LIMIT \(Self.recentTransitionLimit)
                """, connection, logger)
            return SpoolStatus(
                messages: messages, bytes: bytes, oldestReceivedAt: oldest.map(Date.init(unixMilliseconds:)),
                acceptedLastHour: accepted, deliveredLastHour: delivered, latestHealth: latest,
                recentTransitions: recent, pausedRoutes: try await Self.pausedRoutes(connection, logger))
        }
    }

    private static func count(_ query: PostgresQuery, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        var count = 0
        for try await value in try await connection.statement(query, logger: logger).decode(Int.self) { count = value }
        return count
    }

    /// Rows of (host, from_state, to_state, at, reason); a state a later version wrote reads as unknown.
    static func transitions(_ query: PostgresQuery, _ connection: PostgresConnection,
                            _ logger: Logger) async throws -> [HealthTransition] {
        var transitions: [HealthTransition] = []
        for try await (host, from, to, at, reason) in try await connection.statement(query, logger: logger)
            .decode((String, String, String, Int64, String).self) {
            transitions.append(HealthTransition(
                host: host, from: HostState(rawValue: from) ?? .unknown, to: HostState(rawValue: to) ?? .unknown,
                at: Date(unixMilliseconds: at), reason: reason))
        }
        return transitions
    }
}
