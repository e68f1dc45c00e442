import Foundation
import Logging
import MailNames
import PostgresNIO
import SpoolContract

/// Paused destinations (`backstop route pause`), as in the SQLite spool: `claimDue` leaves a
/// paused domain's recipients alone, `claimExpired` still fails them at `max_age`.
extension PostgresSpool {
    /// Returns false when `domain` was paused already (the original time is kept).
    @discardableResult
    public func pauseRoute(_ domain: String, at now: Date) async throws -> Bool {
        guard let domain = MailDomain.pattern(domain) else { throw NotADomain(text: domain) }
        return try await mappingErrors {
            var inserted = false
            for try await _ in try await pool.query("""
                INSERT INTO route_pause (domain, paused_at) VALUES (\(domain), \(now.unixMilliseconds))
                ON CONFLICT (domain) DO NOTHING RETURNING 1
                """, logger: logger) {
                inserted = true
            }
            return inserted
        }
    }

    /// Returns false when `domain` was not paused.
    @discardableResult
    public func resumeRoute(_ domain: String) async throws -> Bool {
        guard let domain = MailDomain.pattern(domain) else { throw NotADomain(text: domain) }
        return try await mappingErrors {
            var deleted = false
            for try await _ in try await pool.query("""
                DELETE FROM route_pause WHERE domain = \(domain) RETURNING 1
                """, logger: logger) {
                deleted = true
            }
            return deleted
        }
    }

    /// Paused destinations, by name (byte order, as the SQLite spool sorts them).
    public func pausedRoutes() async throws -> [RoutePause] {
        try await mappingErrors {
            try await pool.withConnection { connection in try await Self.pausedRoutes(connection, logger) }
        }
    }

    static func pausedRoutes(_ connection: PostgresConnection, _ logger: Logger) async throws -> [RoutePause] {
        var routes: [RoutePause] = []
        for try await (domain, pausedAt) in try await connection.statement("""
            SELECT domain, paused_at FROM route_pause ORDER BY domain COLLATE "C"
            """, logger: logger).decode((String, Int64).self) {
            routes.append(RoutePause(domain: domain, pausedAt: Date(unixMilliseconds: pausedAt)))
        }
        return routes
    }
}
