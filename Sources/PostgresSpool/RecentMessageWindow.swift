import Foundation
import Logging
import PostgresNIO
import SpoolContract

/// Duplicate suppression's memory in `recent_message`, on the intake transaction's connection
/// (see `PostgresIntake`): a copy in the same batch as its original is recognised too, and a
/// rolled-back original is forgotten.
struct RecentMessageWindow: Sendable {
    /// Zero when duplicate suppression is off.
    let milliseconds: Int64

    init(_ window: Duration) {
        let (seconds, attoseconds) = window.components
        // Capped at a century, so no arithmetic on times can overflow.
        milliseconds = max(0, min(seconds, 100 * 366 * 86_400) * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// Forgets what arrived more than one window before the oldest message of a batch.
    func prune(forBatch messages: [IncomingMessage], _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard let oldest = messages.map(\.envelope.receivedAt).min() else { return }
        try await connection.query("DELETE FROM recent_message WHERE received_at < \(oldest.unixMilliseconds - milliseconds)",
                                   logger: logger)
    }

    /// The queue ID of the most recent message within the window that `envelope` repeats.
    func original(of envelope: Envelope, contentDigest: [UInt8], _ connection: PostgresConnection,
                  _ logger: Logger) async throws -> QueueID? {
        guard milliseconds > 0, let key = DuplicateKey(envelope) else { return nil }
        let rows = try await connection.query("""
            SELECT queue_id FROM recent_message
            WHERE message_id_header = \(key.messageID) AND sender = \(key.sender)
              AND recipients_hash = \(key.recipientsHash) AND content_digest = \(Data(contentDigest))
              AND received_at >= \(envelope.receivedAt.unixMilliseconds - milliseconds)
            ORDER BY received_at DESC, id DESC LIMIT 1
            """, logger: logger)
        for try await queueID in rows.decode(String.self) {
            return QueueID(unchecked: queueID)
        }
        return nil
    }

    /// Remembers a message just written, so that a copy arriving later is recognised.
    func remember(_ envelope: Envelope, contentDigest: [UInt8], _ connection: PostgresConnection,
                  _ logger: Logger) async throws {
        guard milliseconds > 0, let key = DuplicateKey(envelope) else { return }
        try await connection.query("""
            INSERT INTO recent_message (message_id_header, sender, recipients_hash, content_digest, queue_id, received_at)
            VALUES (\(key.messageID), \(key.sender), \(key.recipientsHash), \(Data(contentDigest)),
                    \(envelope.queueID.rawValue), \(envelope.receivedAt.unixMilliseconds))
            """, logger: logger)
    }
}
