import Foundation
import GRDB
import SpoolContract

/// Applies one delivery attempt inside a transaction: recipient states, the delivery log, the
/// DSN, the backoff, the lease's return, and the removal of a message with no pending
/// recipient left (see `DeliveryLedger`).
enum AttemptWriter {
    static func write(_ attempt: DeliveryAttempt, to db: Database) throws {
        // Gone: an operator removed it, or final outcomes from an earlier holder completed it.
        // Cached statements: this runs once per delivered message (replay's hot path).
        guard let message = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, lease_owner FROM message WHERE queue_id = ?"),
            arguments: [attempt.queueID.rawValue])
        else { return }
        let messageID: Int64 = message["id"]
        let holdsLease = (message["lease_owner"] as String?) == attempt.lease.owner
        let at = attempt.finishedAt.unixMilliseconds
        var recipientsChanged = 0
        for outcome in attempt.outcomes {
            let address = outcome.address
            let reply = outcome.disposition.storedText
            let (state, retryAt): (String, Int64?) = switch outcome.disposition {
            case .delivered: ("delivered", nil)
            case .deferred(_, let retryAt): ("deferred", retryAt?.unixMilliseconds)
            case .failed: ("failed", nil)
            case .expired: ("expired", nil)
            }
            // A deferral from a worker that lost its lease is stale; final outcomes are facts.
            if state == "deferred", !holdsLease { continue }
            try db.cachedStatement(sql: """
                UPDATE recipient SET state = ?, last_reply = ?, next_attempt_at = ?, updated_at = ?,
                       attempts = attempts + ?
                WHERE message_id = ? AND address = ? AND state IN \(Spool.pendingStates)
                """).execute(arguments: [state, reply, retryAt, at, attempt.countsAsAttempt ? 1 : 0, messageID, address])
            recipientsChanged += db.changesCount
            try db.cachedStatement(sql: """
                INSERT INTO delivery_log (queue_id, recipient, at, host, outcome, reply) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [attempt.queueID.rawValue, address, at, attempt.host, state, reply])
        }
        // A DSN reports what this attempt changed. When nothing changed, the recipients were
        // already final: another holder of the lease has recorded them, and reported them.
        if let report = attempt.report, recipientsChanged > 0 {
            _ = try MessageWriter.write(IncomingMessage(report: report, at: .now), kind: .report, to: db)
        }
        let pending = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM recipient WHERE message_id = ? AND state IN \(Spool.pendingStates)
            """), arguments: [messageID]) ?? 0
        if pending == 0 {
            // Chunks and recipients follow (ON DELETE CASCADE); the delivery log stays.
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
