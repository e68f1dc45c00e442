import Foundation
import Logging
import PostgresNIO
import SpoolContract

/// Applies one delivery attempt inside a transaction, with the rules of the SQLite spool's
/// `AttemptWriter`: recipient states, the delivery log, the DSN, the backoff, the lease's
/// return, and the removal of a message with no pending recipient left (see `DeliveryLedger`).
/// The message row is locked first (`FOR UPDATE`), so outcomes for one message from two nodes
/// are applied one after the other, never interleaved.
enum PostgresAttemptWriter {
    private struct Written {
        var address: String
        var state: String
        var reply: String
        var retryAt: Int64?
    }

    static func write(_ attempt: DeliveryAttempt, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let queueID = attempt.queueID.rawValue
        var message: (id: Int64, leaseOwner: String?)?
        for try await (id, owner) in try await connection.statement("""
            SELECT id, lease_owner FROM message WHERE queue_id = \(queueID) FOR UPDATE
            """, logger: logger).decode((Int64, String?).self) {
            message = (id, owner)
        }
        // Gone: an operator removed it, or final outcomes from an earlier holder completed it.
        guard let message else { return }
        var pending: [String] = []
        for try await address in try await connection.statement("""
            SELECT address FROM recipient WHERE message_id = \(message.id) AND state IN ('queued', 'deferred')
            """, logger: logger).decode(String.self) {
            pending.append(address)
        }
        let holdsLease = message.leaseOwner == attempt.lease.owner
        let at = attempt.finishedAt.unixMilliseconds
        // A deferral from a worker that lost its lease is stale and left out; final outcomes are facts.
        let outcomes: [Written] = attempt.outcomes.compactMap { outcome in
            let (state, retryAt): (String, Int64?) = switch outcome.disposition {
            case .delivered: ("delivered", nil)
            case .deferred(_, let retryAt): ("deferred", retryAt?.unixMilliseconds)
            case .failed: ("failed", nil)
            case .expired: ("expired", nil)
            }
            if state == "deferred", !holdsLease { return nil }
            return Written(address: outcome.address, state: state, reply: outcome.disposition.storedText, retryAt: retryAt)
        }
        // Every pending recipient made final (the usual delivery): the message leaves the spool,
        // and its recipient rows with it. Compared as bytes, as the database compares text.
        let madeFinal = Set(outcomes.lazy.filter { $0.state != "deferred" }.map { Array($0.address.utf8) })
        if pending.allSatisfy({ madeFinal.contains(Array($0.utf8)) }) {
            for outcome in outcomes {
                try await log(outcome, of: attempt, at: at, connection, logger)
            }
            // Each pending recipient changed; none pending: others recorded and reported them.
            if let report = attempt.report, !pending.isEmpty {
                try await spool(report, connection, logger)
            }
            try await connection.statement("DELETE FROM message WHERE id = \(message.id)", logger: logger)
            return
        }
        var recipientsChanged = 0
        let counted = attempt.countsAsAttempt ? 1 : 0
        for outcome in outcomes {
            for try await _ in try await connection.statement("""
                UPDATE recipient SET state = \(outcome.state), last_reply = \(outcome.reply),
                       next_attempt_at = \(outcome.retryAt), updated_at = \(at), attempts = attempts + \(counted)
                WHERE message_id = \(message.id) AND address = \(outcome.address) AND state IN ('queued', 'deferred')
                RETURNING id
                """, logger: logger) {
                recipientsChanged += 1
            }
            try await log(outcome, of: attempt, at: at, connection, logger)
        }
        // A DSN reports what this attempt changed; when nothing changed, another holder of the
        // lease has recorded the recipients already, and reported them.
        if let report = attempt.report, recipientsChanged > 0 {
            try await spool(report, connection, logger)
        }
        var stillPending = 0
        for try await count in try await connection.statement("""
            SELECT count(*) FROM recipient WHERE message_id = \(message.id) AND state IN ('queued', 'deferred')
            """, logger: logger).decode(Int.self) {
            stillPending = count
        }
        if stillPending == 0 {
            try await connection.statement("DELETE FROM message WHERE id = \(message.id)", logger: logger)
            return
        }
        // The backoff and the lease belong to the holder; a late worker leaves them alone.
        guard holdsLease else { return }
        let lastError = attempt.outcomes.lazy.compactMap { outcome -> String? in
            if case .deferred = outcome.disposition { outcome.disposition.storedText } else { nil }
        }.first
        // Due again at the earliest pending recipient; at once if one has no time yet.
        try await connection.statement("""
            UPDATE message SET lease_owner = NULL, lease_expires_at = NULL, attempts = attempts + \(counted),
                   next_attempt_at = (SELECT CASE WHEN count(*) > count(next_attempt_at) THEN NULL
                                                  ELSE min(next_attempt_at) END
                                      FROM recipient WHERE message_id = \(message.id)
                                        AND state IN ('queued', 'deferred')),
                   last_error = coalesce(\(lastError)::text, last_error)
            WHERE id = \(message.id)
            """, logger: logger)
    }

    private static func log(_ outcome: Written, of attempt: DeliveryAttempt, at: Int64, _ connection: PostgresConnection,
                            _ logger: Logger) async throws {
        try await connection.statement("""
            INSERT INTO delivery_log (queue_id, recipient, at, host, outcome, reply)
            VALUES (\(attempt.queueID.rawValue), \(outcome.address), \(at), \(attempt.host), \(outcome.state), \(outcome.reply))
            """, logger: logger)
    }

    static func spool(_ report: GeneratedMessage, _ connection: PostgresConnection, _ logger: Logger) async throws {
        _ = try await PostgresMessageWriter.write(IncomingMessage(report: report, at: .now), kind: "report",
                                                  on: connection, logger: logger)
    }
}
