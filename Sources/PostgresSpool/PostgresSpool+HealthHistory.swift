import Foundation
import PostgresNIO
import SpoolContract

/// The primary hosts' state changes, which `backstop status` reads.
extension PostgresSpool: HealthHistory {
    public func recordHealthTransition(_ record: HealthTransition) async throws {
        try await mappingErrors {
            try await pool.query("""
                INSERT INTO health_transition (host, from_state, to_state, at, reason)
                VALUES (\(record.host), \(record.from.rawValue), \(record.to.rawValue), \(record.at.unixMilliseconds),
                        \(record.reason))
                """, logger: logger)
        }
    }

    /// The newest transitions first (by `at`, then by arrival); `host` nil for all hosts.
    public func healthHistory(host: String?, limit: Int) async throws -> [HealthTransition] {
        try await mappingErrors {
            let rows = try await pool.query("""
                SELECT host, from_state, to_state, at, reason FROM health_transition
                WHERE \(host)::text IS NULL OR host = \(host)::text
                ORDER BY at DESC, id DESC LIMIT \(max(limit, 0))
                """, logger: logger)
            var transitions: [HealthTransition] = []
            for try await (host, from, to, at, reason) in rows.decode((String, String, String, Int64, String).self) {
                // A state this build does not know reads as unknown, as in the SQLite spool.
                transitions.append(HealthTransition(
                    host: host, from: HostState(rawValue: from) ?? .unknown, to: HostState(rawValue: to) ?? .unknown,
                    at: Date(unixMilliseconds: at), reason: reason))
            }
            return transitions
        }
    }
}
