import Foundation
import PostgresNIO
import SpoolContract

/// The primaries' last known EHLO capabilities, shared by every node of the queue.
extension PostgresSpool: PrimaryCapabilityStore {
    public func recordPrimaryCapabilities(_ capabilities: PrimaryCapabilities, host: String, observedAt: Date) async throws {
        let size = capabilities.sizeLimit.map(Int64.init)
        try await mappingErrors {
            try await pool.query("""
                INSERT INTO primary_capability (host, size_limit, smtputf8, eightbitmime, dsn, chunking, observed_at)
                VALUES (\(host), \(size), \(capabilities.smtpUTF8), \(capabilities.eightBitMIME), \(capabilities.dsn),
                        \(capabilities.chunking), \(observedAt.unixMilliseconds))
                ON CONFLICT (host) DO UPDATE SET size_limit = excluded.size_limit, smtputf8 = excluded.smtputf8,
                    eightbitmime = excluded.eightbitmime, dsn = excluded.dsn, chunking = excluded.chunking,
                    observed_at = excluded.observed_at
                WHERE excluded.observed_at >= primary_capability.observed_at
                """, logger: logger)
        }
    }

    public func primaryCapabilities() async throws -> [String: PrimaryCapabilities] {
        try await mappingErrors {
            let rows = try await pool.query("""
                SELECT host, size_limit, smtputf8, eightbitmime, dsn, chunking FROM primary_capability
                """, logger: logger)
            var known: [String: PrimaryCapabilities] = [:]
            for try await (host, size, smtpUTF8, eightBitMIME, dsn, chunking)
                in rows.decode((String, Int64?, Bool, Bool, Bool, Bool).self) {
                known[host] = PrimaryCapabilities(sizeLimit: size.map(Int.init), smtpUTF8: smtpUTF8,
                                                  eightBitMIME: eightBitMIME, dsn: dsn, chunking: chunking)
            }
            return known
        }
    }
}
