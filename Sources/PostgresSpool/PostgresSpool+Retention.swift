import BackstopDefaults
import Foundation
import PostgresNIO
import SpoolContract

/// A bounded spool, as the SQLite one: the delivery log, the health history and the verdicts
/// are pruned by age, a batch of rows per transaction so no prune holds locks for long.
extension PostgresSpool {
    public func prune(historyBefore: Date, acceptedBefore: Date, refusedBefore: Date) async throws -> PrunedRows {
        var pruned = PrunedRows()
        let before = historyBefore.unixMilliseconds
        let batch = BackstopDefaults.Spool.pruneBatchSize
        pruned.deliveryLog = try await deleteInBatches(batch) { """
            DELETE FROM delivery_log WHERE id IN (SELECT id FROM delivery_log WHERE at < \(before) LIMIT \(batch))
            RETURNING 1
            """ }
        pruned.healthTransitions = try await deleteInBatches(batch) { """
            DELETE FROM health_transition WHERE id IN (SELECT id FROM health_transition WHERE at < \(before) LIMIT \(batch))
            RETURNING 1
            """ }
        pruned.recipientVerdicts = try await forgetRecipientVerdicts(acceptedBefore: acceptedBefore,
                                                                     refusedBefore: refusedBefore)
        return pruned
    }

    /// Deletes the journal copies whose `[inbox] journal_retention` ended by `now`, with their
    /// recipients and content (ON DELETE CASCADE); returns how many.
    @discardableResult
    public func deleteExpiredJournalCopies(now: Date) async throws -> Int {
        let batch = BackstopDefaults.Spool.pruneBatchSize
        let at = now.unixMilliseconds
        return try await deleteInBatches(batch) { """
            DELETE FROM message WHERE id IN (SELECT message_id FROM journal_copy WHERE expires_at <= \(at) LIMIT \(batch))
            RETURNING 1
            """ }
    }

    private func deleteInBatches(_ batch: Int, _ query: () -> PostgresQuery) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await mappingErrors {
                var count = 0
                for try await _ in try await pool.query(query(), logger: logger) { count += 1 }
                return count
            }
            total += deleted
            if deleted < batch { return total }
        }
    }
}
