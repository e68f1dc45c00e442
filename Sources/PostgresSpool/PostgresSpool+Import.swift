import Foundation
import PostgresNIO
import SpoolContract

/// `backstop spool copy`: a message of another spool (a SQLite one being retired) taken over
/// whole, with its recipients' states, its retry schedule and its delivery log.
extension PostgresSpool {
    /// Copies one message in one transaction; false when a message with its queue ID is here
    /// already, so that copying a spool again adds nothing twice.
    public func importMessage(_ message: QueuedMessage, content: [UInt8], deliveryLog: [DeliveryLogEntry]) async throws -> Bool {
        let stored = message.stored
        var envelope = stored.envelope
        envelope.recipients = stored.recipients.map(\.recipient)
        let queueID = envelope.queueID.rawValue
        return try await transaction { connection in
            var present = false
            for try await _ in try await connection.statement("SELECT 1 FROM message WHERE queue_id = \(queueID)",
                                                          logger: logger) {
                present = true
            }
            guard !present else { return false }
            _ = try await PostgresMessageWriter.write(IncomingMessage(envelope: envelope, receivedHeader: [], body: .bytes(content)),
                                                      kind: message.kind.rawValue, on: connection, logger: logger)
            try await connection.statement("""
                UPDATE message SET state = \(stored.state.rawValue), attempts = \(stored.attempts),
                       next_attempt_at = \(stored.nextAttemptAt?.unixMilliseconds), last_error = \(stored.lastError)
                WHERE queue_id = \(queueID)
                """, logger: logger)
            for (position, recipient) in stored.recipients.enumerated() {
                try await connection.statement("""
                    UPDATE recipient SET state = \(recipient.state.rawValue), attempts = \(recipient.attempts),
                           next_attempt_at = \(recipient.nextAttemptAt?.unixMilliseconds), last_reply = \(recipient.lastReply),
                           updated_at = \(recipient.updatedAt.unixMilliseconds)
                    WHERE position = \(position) AND message_id = (SELECT id FROM message WHERE queue_id = \(queueID))
                    """, logger: logger)
            }
            for entry in deliveryLog {
                try await connection.statement("""
                    INSERT INTO delivery_log (queue_id, recipient, at, host, outcome, reply)
                    VALUES (\(queueID), \(entry.recipient), \(entry.at.unixMilliseconds), \(entry.host), \(entry.outcome), \(entry.reply))
                    """, logger: logger)
            }
            return true
        }
    }
}
