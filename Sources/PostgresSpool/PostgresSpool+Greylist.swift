import Foundation
import MailNames
import PostgresNIO
import SpoolContract

/// Greylisting's triples, as in the SQLite spool: shared by every node of the cluster, so a
/// sender retrying to another node is not made to wait again.
extension PostgresSpool: GreylistTriples {
    public func sightGreylistTriple(_ triple: GreylistTriple, at now: Date) async throws -> Date {
        let sender = AddressText.matchingKey(triple.sender)
        let recipient = AddressText.matchingKey(triple.recipient)
        let at = now.unixMilliseconds
        return try await mappingErrors {
            let rows = try await pool.query("""
                INSERT INTO greylist_triple (client_network, sender, recipient, first_seen, last_seen)
                VALUES (\(triple.clientNetwork), \(sender), \(recipient), \(at), \(at))
                ON CONFLICT (client_network, sender, recipient) DO UPDATE
                SET last_seen = GREATEST(greylist_triple.last_seen, excluded.last_seen)
                RETURNING first_seen
                """, logger: logger)
            var firstSeen = at
            for try await value in rows.decode(Int64.self) { firstSeen = value }
            return Date(unixMilliseconds: firstSeen)
        }
    }

    public func forgetGreylistTriples(lastSeenBefore: Date) async throws -> Int {
        try await mappingErrors {
            var forgotten = 0
            for try await _ in try await pool.query("""
                DELETE FROM greylist_triple WHERE last_seen < \(lastSeenBefore.unixMilliseconds) RETURNING 1
                """, logger: logger) {
                forgotten += 1
            }
            return forgotten
        }
    }
}
