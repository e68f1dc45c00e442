import BackstopDefaults
import Foundation
import SpoolContract
import GRDB


/// A bounded spool: the tables that grow with traffic rather than with the queue are pruned by
/// age, so the database does not grow for ever on a server that is up for years. Messages
/// leave by delivery, expiry or deletion; `recent_message` and `arrival_log` are pruned as
/// they are written; these are the rest.
extension Spool {
    /// Rows deleted per transaction (`BackstopDefaults.Spool.pruneBatchSize`).
    static let pruneBatchSize = BackstopDefaults.Spool.pruneBatchSize

    /// Deletes delivery-log entries and health transitions from before `historyBefore`, and the
    /// primary's acceptances checked before `acceptedBefore` and refusals before `refusedBefore`
    /// (each verdict at its own TTL, `verify_positive_ttl` and `verify_negative_ttl`).
    public func prune(historyBefore: Date, acceptedBefore: Date, refusedBefore: Date) async throws -> PrunedRows {
        var pruned = PrunedRows()
        pruned.deliveryLog = try await deleteInBatches(
            "DELETE FROM delivery_log WHERE id IN (SELECT id FROM delivery_log WHERE at < ? LIMIT ?)",
            [historyBefore.unixMilliseconds])
        pruned.healthTransitions = try await deleteInBatches(
            "DELETE FROM health_transition WHERE id IN (SELECT id FROM health_transition WHERE at < ? LIMIT ?)",
            [historyBefore.unixMilliseconds])
        pruned.recipientVerdicts = try await forgetRecipientVerdicts(acceptedBefore: acceptedBefore,
                                                                     refusedBefore: refusedBefore)
        return pruned
    }

    /// Forgets acceptances checked before `acceptedBefore` and refusals before `refusedBefore`.
    @discardableResult
    public func forgetRecipientVerdicts(acceptedBefore: Date, refusedBefore: Date) async throws -> Int {
        try await deleteInBatches("""
            DELETE FROM recipient_verdict WHERE rowid IN (
                SELECT rowid FROM recipient_verdict
                WHERE (verdict = 'accepted' AND checked_at < ?) OR (verdict = 'refused' AND checked_at < ?) LIMIT ?)
            """, [acceptedBefore.unixMilliseconds, refusedBefore.unixMilliseconds])
    }

    /// Deletes the journal copies whose `[inbox] journal_retention` ended by `now`, with their
    /// recipients and content; returns how many.
    @discardableResult
    public func deleteExpiredJournalCopies(now: Date) async throws -> Int {
        // Recipients, chunks and the journal_copy row follow (ON DELETE CASCADE).
        try await deleteInBatches("""
            DELETE FROM message WHERE id IN (SELECT message_id FROM journal_copy WHERE expires_at <= ? LIMIT ?)
            """, [now.unixMilliseconds])
    }

    /// Makes the space reserve again if a full disk took it and there is room now.
    /// True when the reserve is in place (or there is none to keep).
    @discardableResult
    public func restoreSpaceReserve() -> Bool {
        reserve?.restore() ?? true
    }

    func deleteInBatches(_ sql: String, _ arguments: StatementArguments) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await mappingDatabaseErrors {
                try await pool.write { db in
                    try db.execute(sql: sql, arguments: arguments + [Self.pruneBatchSize])
                    return db.changesCount
                }
            }
            total += deleted
            if deleted < Self.pruneBatchSize { return total }
        }
    }
}
