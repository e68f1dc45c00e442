import Foundation
import GRDB
import SpoolContract

/// Applies one delivery attempt inside a transaction: recipient states, the delivery log, the
/// DSN, the backoff, the lease's return, and the removal of a message with no pending
/// recipient left (see `DeliveryLedger`).
enum AttemptWriter {
    static func write(_ attempt: DeliveryAttempt, to db: Database) throws {
        // Cached statements: this runs once per delivered message (replay's hot path). One row
        // per pending recipient, or one with a NULL address when none is pending.
        // Decoded while the cursor stands on each row: a copied row (fetchAll) decodes through
        // GRDB's unspecialised generic path, which costs more than the query.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT m.id, m.lease_owner, r.address FROM message m
            LEFT JOIN recipient r ON r.message_id = m.id AND r.state IN \(Spool.pendingStates)
            WHERE m.queue_id = ?
            """), arguments: [attempt.queueID.rawValue])
        var message: (id: Int64, holdsLease: Bool)?
        var pending: [String] = []
        while let row = try rows.next() {
            if message == nil { message = (row[0], row.optional(1) == attempt.lease.owner) }
            if let address: String = row.optional(2) { pending.append(address) }
        }
        // Gone: an operator removed it, or final outcomes from an earlier holder completed it.
        guard let message else { return }
        let (messageID, holdsLease) = (message.id, message.holdsLease)
        let at = attempt.finishedAt.unixMilliseconds
        // What this attempt writes, in order; a deferral from a worker that lost its lease is
        // stale and left out, final outcomes are facts.
        let outcomes: [(address: String, state: String, reply: String, retryAt: Int64?)] =
            attempt.outcomes.compactMap { outcome in
                let (state, retryAt): (String, Int64?) = switch outcome.disposition {
                case .delivered: ("delivered", nil)
                case .deferred(_, let retryAt): ("deferred", retryAt?.unixMilliseconds)
                case .failed: ("failed", nil)
                case .expired: ("expired", nil)
                }
                if state == "deferred", !holdsLease { return nil }
                return (outcome.address, state, outcome.disposition.storedText, retryAt)
            }
        let logOutcome = try db.cachedStatement(sql: """
            INSERT INTO delivery_log (queue_id, recipient, at, host, outcome, reply) VALUES (?, ?, ?, ?, ?, ?)
            """)
        // Every pending recipient made final (the usual delivery): the message leaves the
        // spool, and its recipient rows with it, so updating them first would be wasted.
        // Compared as bytes, as SQLite compares the address column.
        let madeFinal = Set(outcomes.lazy.filter { $0.state != "deferred" }.map { Array($0.address.utf8) })
        if pending.allSatisfy({ madeFinal.contains(Array($0.utf8)) }) {
            for outcome in outcomes {
                try logOutcome.execute(arguments: [
                    attempt.queueID.rawValue, outcome.address, at, attempt.host, outcome.state, outcome.reply])
            }
            // Each pending recipient changed; none pending: others recorded and reported them.
            if let report = attempt.report, !pending.isEmpty {
                _ = try MessageWriter.write(IncomingMessage(report: report, at: .now), kind: .report, to: db)
            }
            // Chunks and recipients follow (ON DELETE CASCADE); the delivery log stays.
            try db.cachedStatement(sql: "DELETE FROM message WHERE id = ?").execute(arguments: [messageID])
            return
        }
        var recipientsChanged = 0
        for outcome in outcomes {
            try db.cachedStatement(sql: """
                UPDATE recipient SET state = ?, last_reply = ?, next_attempt_at = ?, updated_at = ?,
                       attempts = attempts + ?
                WHERE message_id = ? AND address = ? AND state IN \(Spool.pendingStates)
                """).execute(arguments: [outcome.state, outcome.reply, outcome.retryAt, at,
                                         attempt.countsAsAttempt ? 1 : 0, messageID, outcome.address])
            recipientsChanged += db.changesCount
            try logOutcome.execute(arguments: [
                attempt.queueID.rawValue, outcome.address, at, attempt.host, outcome.state, outcome.reply])
        }
        // A DSN reports what this attempt changed. When nothing changed, the recipients were
        // already final: another holder of the lease has recorded them, and reported them.
        if let report = attempt.report, recipientsChanged > 0 {
            _ = try MessageWriter.write(IncomingMessage(report: report, at: .now), kind: .report, to: db)
        }
        let stillPending = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM recipient WHERE message_id = ? AND state IN \(Spool.pendingStates)
            """), arguments: [messageID]) ?? 0
        if stillPending == 0 {
            try db.cachedStatement(sql: "DELETE FROM message WHERE id = ?").execute(arguments: [messageID])
            return
        }
        // The backoff and the lease belong to the holder; a late worker leaves them alone.
        guard holdsLease else { return }
        let lastError = attempt.outcomes.lazy.compactMap { outcome -> String? in
            if case .deferred = outcome.disposition { outcome.disposition.storedText } else { nil }
        }.first
        // Due again at the earliest pending recipient; at once if one has no time yet (a queued
        // recipient of another scope, which min() alone would overlook).
        try db.execute(sql: """
            UPDATE message SET lease_owner = NULL, lease_expires_at = NULL,
                   attempts = attempts + :counted,
                   next_attempt_at = (SELECT CASE WHEN count(*) > count(next_attempt_at) THEN NULL
                                                  ELSE min(next_attempt_at) END
                                      FROM recipient WHERE message_id = :id AND state IN \(Spool.pendingStates)),
                   last_error = coalesce(:lastError, last_error)
            WHERE id = :id
            """, arguments: ["counted": attempt.countsAsAttempt ? 1 : 0, "lastError": lastError, "id": messageID])
    }
}
