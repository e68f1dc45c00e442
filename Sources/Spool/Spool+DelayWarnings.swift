import Foundation
import SpoolContract
import GRDB

/// Delay warnings (`[spool] delay_warning`): the sender of a message still queued after that
/// long is told once, in a "delayed" DSN, that Backstop keeps trying. `message.warned_at`
/// marks the message as warned, so a restart or a second pass never warns twice.
extension Spool {
    /// Leases relay messages from a real sender (not `<>`) that have not been warned, arrived
    /// within [`receivedAfter`, `receivedBefore`) and still have a pending recipient, due or
    /// not: the warning matters most while the primary is down and nothing is delivered.
    /// Every recipient of the message is listed, whatever its route, so one warning covers all.
    /// Messages older than `receivedAfter` are about to expire, and their DSN says more.
    public func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease,
                             now: Date) async throws -> [StoredEnvelope] {
        guard limit > 0 else { return [] }
        return try await mappingDatabaseErrors {
            try await pool.write { db in
                let candidates = try Row.fetchAll(db, sql: """
                    SELECT m.id, m.queue_id FROM message m
                    WHERE m.kind = 'relay' AND m.state = 'active' AND m.sender <> '' AND m.warned_at IS NULL
                      AND m.received_at < :before AND m.received_at >= :after
                      AND (m.lease_owner IS NULL OR coalesce(m.lease_expires_at, 0) <= :now)
                      AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id AND r.state IN \(Self.pendingStates))
                    ORDER BY m.id LIMIT :limit
                    """, arguments: ["before": receivedBefore.unixMilliseconds, "after": receivedAfter.unixMilliseconds,
                                     "now": now.unixMilliseconds, "limit": limit])
                let takeLease = try db.makeStatement(sql: "UPDATE message SET lease_owner = ?, lease_expires_at = ? WHERE id = ?")
                var claimed: [StoredEnvelope] = []
                for candidate in candidates {
                    let rowID: Int64 = candidate["id"]
                    try takeLease.execute(arguments: [lease.owner, lease.expiresAt.unixMilliseconds, rowID])
                    if let stored = try StoredEnvelope.fetch(QueueID(unchecked: candidate["queue_id"]), db) {
                        claimed.append(stored)
                    }
                }
                return claimed
            }
        }
    }

    /// Marks a message claimed by `claimDelayed` as warned, spools the warning (nil when no
    /// recipient asked for one) and releases the lease, in one transaction: a crash leaves
    /// either both the mark and the DSN or neither. A lease lost meanwhile changes nothing.
    public func recordDelayWarning(_ queueID: QueueID, leaseOwner: String, at: Date, report: GeneratedMessage?) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: """
                    UPDATE message SET warned_at = ?, lease_owner = NULL, lease_expires_at = NULL
                    WHERE queue_id = ? AND lease_owner = ? AND warned_at IS NULL
                    """, arguments: [at.unixMilliseconds, queueID.rawValue, leaseOwner])
                guard db.changesCount > 0 else { return }
                if let report { _ = try MessageWriter.write(IncomingMessage(report: report, at: .now), kind: .report, to: db) }
            }
        }
    }

    /// When the message's sender was warned of its delay; nil when not (yet), or when the
    /// message has left the spool.
    public func delayWarningTime(of queueID: QueueID) async throws -> Date? {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try Int64.fetchOne(db, sql: "SELECT warned_at FROM message WHERE queue_id = ?",
                                   arguments: [queueID.rawValue]).map(Date.init(unixMilliseconds:))
            }
        }
    }
}
