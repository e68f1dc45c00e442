import Foundation
import PostgresNIO
import SpoolContract

/// Delay warnings (`[spool] delay_warning`), as in the SQLite spool: `message.warned_at` marks a
/// warned message, so a restart or another node never warns twice.
extension PostgresSpool {
    /// Leases unwarned relay messages from a real sender that arrived within
    /// [`receivedAfter`, `receivedBefore`) and still have a pending recipient, due or not.
    /// Every recipient is listed, whatever its route, so one warning covers all.
    public func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease,
                             now: Date) async throws -> [StoredEnvelope] {
        guard limit > 0 else { return [] }
        return try await transaction { connection in
            let rows = try await connection.statement("""
                WITH claimable AS (
                    SELECT m.id FROM message m
                    WHERE m.kind = 'relay' AND m.state = 'active' AND m.sender <> '' AND m.warned_at IS NULL
                      AND m.received_at < \(receivedBefore.unixMilliseconds)
                      AND m.received_at >= \(receivedAfter.unixMilliseconds)
                      AND (m.lease_owner IS NULL OR coalesce(m.lease_expires_at, 0) <= \(now.unixMilliseconds))
                      AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                                  AND r.state IN ('queued', 'deferred'))
                    ORDER BY m.id LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE message m SET lease_owner = \(lease.owner), lease_expires_at = \(lease.expiresAt.unixMilliseconds)
                FROM claimable c WHERE m.id = c.id
                RETURNING \(unescaped: StoredEnvelope.messageColumns)
                """, logger: logger)
            var messageRows: [(id: Int64, row: PostgresRow)] = []
            for try await row in rows {
                messageRows.append((try row.makeRandomAccess()[0].decode(Int64.self), row))
            }
            let recipients = try await StoredRecipient.fetch(messageRowIDs: messageRows.map(\.id), connection, logger)
            return try messageRows.sorted { $0.id < $1.id }.map { message in
                try StoredEnvelope.decode(message.row) { recipients[$0] ?? [] }.1
            }
        }
    }

    /// Marks a message claimed by `claimDelayed` as warned, spools the warning and releases the
    /// lease, in one transaction. A lease lost meanwhile changes nothing.
    public func recordDelayWarning(_ queueID: QueueID, leaseOwner: String, at: Date, report: GeneratedMessage?) async throws {
        try await transaction { connection in
            var marked = false
            for try await _ in try await connection.statement("""
                UPDATE message SET warned_at = \(at.unixMilliseconds), lease_owner = NULL, lease_expires_at = NULL
                WHERE queue_id = \(queueID.rawValue) AND lease_owner = \(leaseOwner) AND warned_at IS NULL
                RETURNING id
                """, logger: logger) {
                marked = true
            }
            if marked, let report {
                try await PostgresAttemptWriter.spool(report, connection, logger)
            }
        }
    }

    /// When the message's sender was warned of its delay; nil when not (yet), or when gone.
    public func delayWarningTime(of queueID: QueueID) async throws -> Date? {
        try await mappingErrors {
            var warnedAt: Date?
            for try await value in try await pool.query("""
                SELECT warned_at FROM message WHERE queue_id = \(queueID.rawValue)
                """, logger: logger).decode(Int64?.self) {
                warnedAt = value.map(Date.init(unixMilliseconds:))
            }
            return warnedAt
        }
    }
}
