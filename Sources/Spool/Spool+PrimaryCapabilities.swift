import Foundation
import GRDB
import SpoolContract

/// The primaries' last known EHLO capabilities in SQLite (`primary_capability`).
extension Spool: PrimaryCapabilityStore {
    public func recordPrimaryCapabilities(_ capabilities: PrimaryCapabilities, host: String, observedAt: Date) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO primary_capability (host, size_limit, smtputf8, eightbitmime, dsn, chunking, observed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (host) DO UPDATE SET size_limit = excluded.size_limit, smtputf8 = excluded.smtputf8,
                        eightbitmime = excluded.eightbitmime, dsn = excluded.dsn, chunking = excluded.chunking,
                        observed_at = excluded.observed_at
                    WHERE excluded.observed_at >= primary_capability.observed_at
                    """, arguments: [host, capabilities.sizeLimit, capabilities.smtpUTF8, capabilities.eightBitMIME,
                                     capabilities.dsn, capabilities.chunking, observedAt.unixMilliseconds])
            }
        }
    }

    public func primaryCapabilities() async throws -> [String: PrimaryCapabilities] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                var known: [String: PrimaryCapabilities] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT * FROM primary_capability") {
                    known[row["host"]] = PrimaryCapabilities(
                        sizeLimit: row["size_limit"], smtpUTF8: row["smtputf8"], eightBitMIME: row["eightbitmime"],
                        dsn: row["dsn"], chunking: row["chunking"])
                }
                return known
            }
        }
    }
}
