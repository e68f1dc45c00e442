import Foundation
import Logging
import PostgresNIO
import SpoolContract

/// The operator's changes, with the SQLite spool's rules (see `Spool`'s `QueueAdmin`): each is
/// one transaction that selects and changes together, locking the selected rows; leases are
/// respected rather than broken, and retry skips a leased message.
extension PostgresSpool: QueueAdmin {
    public func hold(_ selection: QueueSelection, now: Date) async throws -> [MessageChange] {
        try await change(selection, now: now) { message, connection, logger in
            guard message.state != .held else { return .skipped(.alreadyHeld) }
            try await connection.statement("UPDATE message SET state = 'held' WHERE id = \(message.rowID)", logger: logger)
            return message.isLeased ? .changedInFlight : .changed
        }
    }

    public func release(_ selection: QueueSelection, now: Date) async throws -> [MessageChange] {
        try await change(selection, now: now) { message, connection, logger in
            guard message.state == .held else { return .skipped(.notHeld) }
            var journalCopy = false
            for try await _ in try await connection.statement("SELECT 1 FROM journal_copy WHERE message_id = \(message.rowID)",
                                                          logger: logger) {
                journalCopy = true
            }
            if journalCopy { return .skipped(.journalCopy) }
            try await connection.statement("UPDATE message SET state = 'active' WHERE id = \(message.rowID)", logger: logger)
            return message.isLeased ? .changedInFlight : .changed
        }
    }

    public func retry(_ selection: QueueSelection, now: Date) async throws -> [MessageChange] {
        try await change(selection, now: now) { message, connection, logger in
            if message.state == .held { return .skipped(.held) }
            if message.isLeased { return .skipped(.inFlight) }
            try await Self.makeDue(messageRowID: message.rowID, connection, logger)
            return .changed
        }
    }

    /// Removes messages and forgets them for duplicate suppression; the delivery log stays.
    public func delete(_ selection: QueueSelection, now: Date) async throws -> [MessageChange] {
        try await change(selection, now: now) { message, connection, logger in
            try await connection.statement("DELETE FROM recent_message WHERE queue_id = \(message.queueID.rawValue)",
                                       logger: logger)
            try await connection.statement("DELETE FROM message WHERE id = \(message.rowID)", logger: logger)
            return message.isLeased ? .changedInFlight : .changed
        }
    }

    /// Makes every deferred message due now; held and leased ones are left alone.
    public func flush(now: Date) async throws -> Int {
        try await transaction { connection in
            let at = now.unixMilliseconds
            var waiting: [Int64] = []
            for try await id in try await connection.statement("""
                SELECT m.id FROM message m
                WHERE m.state = 'active'
                  AND (m.lease_owner IS NULL OR coalesce(m.lease_expires_at, 0) <= \(at))
                  AND (m.next_attempt_at > \(at)
                       OR EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                                  AND r.state = 'deferred' AND r.next_attempt_at > \(at)))
                FOR UPDATE OF m SKIP LOCKED
                """, logger: logger).decode(Int64.self) {
                waiting.append(id)
            }
            for rowID in waiting {
                try await Self.makeDue(messageRowID: rowID, connection, logger)
            }
            return waiting.count
        }
    }

    private static func makeDue(messageRowID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.statement("UPDATE message SET next_attempt_at = NULL WHERE id = \(messageRowID)", logger: logger)
        try await connection.statement("""
            UPDATE recipient SET next_attempt_at = NULL
            WHERE message_id = \(messageRowID) AND state IN ('queued', 'deferred')
            """, logger: logger)
    }

    struct SelectedMessage: Sendable {
        var rowID: Int64
        var queueID: QueueID
        var state: MessageState
        var isLeased: Bool
    }

    /// Selects (all named IDs must exist) and applies `apply` to each message, in one transaction.
    private func change(
        _ selection: QueueSelection, now: Date,
        _ apply: @escaping @Sendable (SelectedMessage, PostgresConnection, Logger) async throws -> MessageChange.Outcome
    ) async throws -> [MessageChange] {
        try await transaction { connection in
            var changes: [MessageChange] = []
            for message in try await Self.select(selection, now: now, connection, logger) {
                changes.append(MessageChange(queueID: message.queueID, outcome: try await apply(message, connection, logger)))
            }
            return changes
        }
    }

    private static func select(_ selection: QueueSelection, now: Date, _ connection: PostgresConnection,
                               _ logger: Logger) async throws -> [SelectedMessage] {
        func selected(_ statement: SQLText) async throws -> [SelectedMessage] {
            var messages: [SelectedMessage] = []
            for try await (id, queueID, state, leased) in try await connection.statement(statement.query, logger: logger)
                .decode((Int64, String, String, Bool).self) {
                messages.append(SelectedMessage(rowID: id, queueID: QueueID(unchecked: queueID),
                                                state: try decodeStored(MessageState.self, state, "message.state"),
                                                isLeased: leased))
            }
            return messages
        }
        func columns(_ statement: inout SQLText) {
            let nowValue = statement.bind(now.unixMilliseconds)
            statement.add("""
                SELECT m.id, m.queue_id, m.state,
                       m.lease_owner IS NOT NULL AND coalesce(m.lease_expires_at, 0) > \(nowValue)
                FROM message m WHERE 
                """)
        }
        switch selection {
        case .messages(let queueIDs):
            var found: [SelectedMessage] = []
            var missing: [QueueID] = []
            // Each message once, in the order named.
            var seen = Set<QueueID>()
            for queueID in queueIDs where seen.insert(queueID).inserted {
                var statement = SQLText()
                columns(&statement)
                let id = statement.bind(queueID.rawValue)
                statement.add("m.queue_id = \(id) FOR UPDATE")
                if let message = try await selected(statement).first {
                    found.append(message)
                } else {
                    missing.append(queueID)
                }
            }
            guard missing.isEmpty else { throw MessagesNotFound(queueIDs: missing) }
            return found
        case .matching(let filter):
            var statement = SQLText()
            columns(&statement)
            let nowValue = statement.bind(now.unixMilliseconds)
            PostgresQueueSQL.addCondition(filter, now: nowValue, to: &statement)
            statement.add(" ORDER BY m.id FOR UPDATE")
            return try await selected(statement)
        }
    }
}
