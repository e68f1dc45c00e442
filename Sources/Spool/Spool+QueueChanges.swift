import Foundation
import SpoolContract
import GRDB

/// The operator's changes: hold, release, retry, delete, flush. Each is one write transaction
/// that selects and changes together, so a message the forwarder finishes meanwhile is either
/// changed before it leaves or not found, never brought back.
///
/// Leases are respected rather than broken: holding or deleting a leased message lets the
/// attempt under way finish (the forwarder asks `deliverableContent` before each message of a batch,
/// so one only claimed is not sent). Its `record` then finds the message held (the outcome is kept,
/// the message waits for `release`) or gone (`record` does nothing, so a deleted message is
/// never resurrected; the primary may still receive the copy in flight). Retry skips a leased
/// message: the attempt under way is its retry.
///
/// Mail made due (release, retry, flush) is found by the forwarder's next poll for due work;
/// `serve` polls every second, which is how a flush reaches the primary within two seconds.
extension Spool: QueueAdmin {
    /// Keeps messages out of replay until released; held mail never expires.
    public func hold(_ selection: QueueSelection, now: Date = Date()) async throws -> [MessageChange] {
        try await change(selection, now: now) { message, db in
            guard message.state != .held else { return .skipped(.alreadyHeld) }
            try db.execute(sql: "UPDATE message SET state = 'held' WHERE id = ?", arguments: [message.rowID])
            return message.isLeased ? .changedInFlight : .changed
        }
    }

    /// Puts held messages back in the queue with their retry schedule (`retry` to send one now).
    public func release(_ selection: QueueSelection, now: Date = Date()) async throws -> [MessageChange] {
        try await change(selection, now: now) { message, db in
            guard message.state == .held else { return .skipped(.notHeld) }
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM journal_copy WHERE message_id = ?)",
                                 arguments: [message.rowID]) == true {
                return .skipped(.journalCopy)
            }
            try db.execute(sql: "UPDATE message SET state = 'active' WHERE id = ?", arguments: [message.rowID])
            return message.isLeased ? .changedInFlight : .changed
        }
    }

    /// Makes messages and their pending recipients due now. Held and leased ones are skipped.
    public func retry(_ selection: QueueSelection, now: Date = Date()) async throws -> [MessageChange] {
        try await change(selection, now: now) { message, db in
            if message.state == .held { return .skipped(.held) }
            if message.isLeased { return .skipped(.inFlight) }
            try Self.makeDue(messageRowID: message.rowID, db)
            return .changed
        }
    }

    /// Removes messages with their recipients and content, and forgets them for duplicate
    /// suppression so that a sender's resend is accepted. The delivery log stays.
    public func delete(_ selection: QueueSelection, now: Date = Date()) async throws -> [MessageChange] {
        try await change(selection, now: now) { message, db in
            try db.execute(sql: "DELETE FROM recent_message WHERE queue_id = ?", arguments: [message.queueID.rawValue])
            // Recipients and chunks follow (ON DELETE CASCADE).
            try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [message.rowID])
            return message.isLeased ? .changedInFlight : .changed
        }
    }

    /// Makes every deferred message due now, as `postqueue -f`; held and leased ones are left
    /// alone. Returns how many messages were waiting for a later retry time.
    public func flush(now: Date = Date()) async throws -> Int {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                let waiting = try Int64.fetchAll(db, sql: """
                    SELECT m.id FROM message m
                    WHERE m.state = 'active'
                      AND (m.lease_owner IS NULL OR coalesce(m.lease_expires_at, 0) <= :now)
                      AND (m.next_attempt_at > :now
                           OR EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                                      AND r.state = 'deferred' AND r.next_attempt_at > :now))
                    """, arguments: ["now": now.unixMilliseconds])
                for rowID in waiting {
                    try Self.makeDue(messageRowID: rowID, db)
                }
                return waiting.count
            }
        }
    }

    /// Due now: the message, and each pending recipient (their own times gate claims too).
    private static func makeDue(messageRowID: Int64, _ db: Database) throws {
        try db.execute(sql: "UPDATE message SET next_attempt_at = NULL WHERE id = ?", arguments: [messageRowID])
        try db.execute(sql: """
            UPDATE recipient SET next_attempt_at = NULL WHERE message_id = ? AND state IN \(pendingStates)
            """, arguments: [messageRowID])
    }

    /// What a change needs to know of a message, read inside its transaction.
    struct SelectedMessage {
        var rowID: Int64
        var queueID: QueueID
        var state: MessageState
        var isLeased: Bool
    }

    /// Selects (all named IDs must exist) and applies `apply` to each message, in one transaction.
    private func change(
        _ selection: QueueSelection, now: Date,
        _ apply: @escaping @Sendable (SelectedMessage, Database) throws -> MessageChange.Outcome
    ) async throws -> [MessageChange] {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                var changes: [MessageChange] = []
                for message in try Self.select(selection, now: now, db) {
                    changes.append(MessageChange(queueID: message.queueID, outcome: try apply(message, db)))
                }
                return changes
            }
        }
    }

    private static func select(_ selection: QueueSelection, now: Date, _ db: Database) throws -> [SelectedMessage] {
        let columns = """
            SELECT m.id, m.queue_id, m.state,
                   m.lease_owner IS NOT NULL AND coalesce(m.lease_expires_at, 0) > :now AS leased
            FROM message m
            """
        func selected(_ row: Row) throws -> SelectedMessage {
            SelectedMessage(rowID: row["id"], queueID: QueueID(unchecked: row["queue_id"]),
                            state: try decodeStored(MessageState.self, row["state"], "message.state"),
                            isLeased: row["leased"])
        }
        switch selection {
        case .messages(let queueIDs):
            var found: [SelectedMessage] = []
            var missing: [QueueID] = []
            let byID = try db.makeStatement(sql: columns + " WHERE m.queue_id = :queueID")
            // Each message once, in the order named.
            var seen = Set<QueueID>()
            for queueID in queueIDs where seen.insert(queueID).inserted {
                if let row = try Row.fetchOne(byID, arguments: ["now": now.unixMilliseconds, "queueID": queueID.rawValue]) {
                    found.append(try selected(row))
                } else {
                    missing.append(queueID)
                }
            }
            guard missing.isEmpty else { throw MessagesNotFound(queueIDs: missing) }
            return found
        case .matching(let filter):
            let (condition, arguments) = QueueSQL.condition(filter)
            return try Row.fetchAll(db, sql: columns + " WHERE \(condition) ORDER BY m.id",
                                    arguments: arguments + ["now": now.unixMilliseconds]).map(selected)
        }
    }
}
