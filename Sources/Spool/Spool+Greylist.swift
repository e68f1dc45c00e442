import Foundation
import GRDB
import MailNames
import SpoolContract

/// Greylisting's triples, kept with the spool so that a restart does not make every sender
/// wait again.
extension Spool: GreylistTriples {
    public func sightGreylistTriple(_ triple: GreylistTriple, at now: Date) async throws -> Date {
        let arguments: StatementArguments = [triple.clientNetwork, AddressText.matchingKey(triple.sender),
                                             AddressText.matchingKey(triple.recipient), now.unixMilliseconds]
        return try await mappingDatabaseErrors {
            try await pool.write { db in
                let firstSeen = try Int64.fetchOne(db, sql: """
                    INSERT INTO greylist_triple (client_network, sender, recipient, first_seen, last_seen)
                    VALUES (?1, ?2, ?3, ?4, ?4)
                    ON CONFLICT (client_network, sender, recipient) DO UPDATE
                    SET last_seen = max(last_seen, excluded.last_seen)
                    RETURNING first_seen
                    """, arguments: arguments)
                return Date(unixMilliseconds: firstSeen ?? now.unixMilliseconds)
            }
        }
    }

    @discardableResult
    public func forgetGreylistTriples(lastSeenBefore: Date) async throws -> Int {
        try await deleteInBatches("""
            DELETE FROM greylist_triple WHERE rowid IN (
                SELECT rowid FROM greylist_triple WHERE last_seen < ? LIMIT ?)
            """, [lastSeenBefore.unixMilliseconds])
    }
}
