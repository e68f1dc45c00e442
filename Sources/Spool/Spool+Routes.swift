import Foundation
import SpoolContract
import GRDB
import MailNames

/// Paused destinations (`backstop route pause`), like Postfix's `defer_transports`: while a
/// domain is paused, `claimDue` leaves its recipients alone, so nothing is sent there, no retry
/// is spent and no message changes. Mail for it still expires at `max_age` (`claimExpired`), as
/// deferred mail does in Postfix; hold it to keep it longer.
extension Spool {
    /// Pauses replay to `domain` (a recipient domain, or `.parent` for its subdomains).
    /// Returns false when it was paused already (the original time is kept).
    @discardableResult
    public func pauseRoute(_ domain: String, at now: Date = Date()) async throws -> Bool {
        let domain = try Self.routeDomain(domain)
        return try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO route_pause (domain, paused_at) VALUES (?, ?)",
                               arguments: [domain, now.unixMilliseconds])
                return db.changesCount > 0
            }
        }
    }

    /// Resumes replay to `domain`; its mail is due at its own retry times. Returns false when
    /// it was not paused.
    @discardableResult
    public func resumeRoute(_ domain: String) async throws -> Bool {
        let domain = try Self.routeDomain(domain)
        return try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM route_pause WHERE domain = ?", arguments: [domain])
                return db.changesCount > 0
            }
        }
    }

    /// Paused destinations, by name.
    public func pausedRoutes() async throws -> [RoutePause] {
        try await mappingDatabaseErrors {
            try await pool.read { db in try Self.pausedRoutes(db) }
        }
    }

    /// The paused domains, lowercased, by name; `.parent` entries stand for subdomains.
    public func pausedDomains() async throws -> [String] {
        try await pausedRoutes().map(\.domain)
    }

    static func pausedRoutes(_ db: Database) throws -> [RoutePause] {
        try Row.fetchAll(db, sql: "SELECT domain, paused_at FROM route_pause ORDER BY domain").map { row in
            RoutePause(domain: row["domain"], pausedAt: Date(unixMilliseconds: row["paused_at"]))
        }
    }

    /// In the form recipients' domains are stored in (A-labels, ASCII lowercased, so that
    /// `bücher.example` pauses what `xn--bcher-kva.example` names), and refused when it cannot
    /// be a domain, so a typo does not pause nothing.
    static func routeDomain(_ text: String) throws -> String {
        guard let domain = MailDomain.pattern(text) else { throw NotADomain(text: text) }
        return domain
    }
}
