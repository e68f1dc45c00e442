import Foundation
import GRDB
import SpoolContract

/// The health history in SQLite, which `backstop status` reads.
extension Spool: HealthHistory {
    public func recordHealthTransition(_ record: HealthTransition) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO health_transition (host, from_state, to_state, at, reason) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [record.host, record.from.rawValue, record.to.rawValue, record.at.unixMilliseconds, record.reason])
            }
        }
    }

    /// The newest transitions first (by `at`, then by arrival); `host` nil for all hosts.
    public func healthHistory(host: String? = nil, limit: Int) async throws -> [HealthTransition] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT * FROM health_transition WHERE (? IS NULL OR host = ?) ORDER BY at DESC, id DESC LIMIT ?
                    """, arguments: [host, host, limit]).map { row in
                    HealthTransition(row: row)
                }
            }
        }
    }
}
