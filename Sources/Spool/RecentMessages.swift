import Foundation
import SpoolContract
import GRDB

/// Duplicate suppression (`[spool] dedup_window`): the `recent_message` table remembers, for one dedup
/// window, the Message-ID, sender, recipient set and content digest (SHA-256 of the message as
/// received) of every message stored with a Message-ID. Two different messages that share a
/// Message-ID (a broken or hostile sender) are both stored: only true copies are suppressed.
///
/// A sender whose connection timed out after our 250 never saw it and sends the message again.
/// A copy that matches a remembered message is acknowledged without being stored. The table
/// has no foreign key to `message`: an original delivered (and deleted) meanwhile still counts,
/// since the copy would reach the recipients a second time.
///
/// All of it runs on the writer connection inside the group-commit transaction, so a copy in
/// the same batch as its original is recognised too, and a rolled-back original is forgotten.
struct RecentMessages: Sendable {
    /// Zero when duplicate suppression is off.
    let windowMilliseconds: Int64

    init(window: Duration) {
        let (seconds, attoseconds) = window.components
        // Capped at a century, so no arithmetic on times can overflow.
        let milliseconds = min(seconds, 100 * 366 * 86_400) * 1000 + attoseconds / 1_000_000_000_000_000
        windowMilliseconds = max(0, milliseconds)
    }

    var isEnabled: Bool { windowMilliseconds > 0 }

    /// Forgets what arrived more than one window before the oldest message of a batch, so the
    /// table holds about one window's worth of mail whatever the window is (or was).
    func prune(forBatch messages: [IncomingMessage], _ db: Database) throws {
        guard let oldest = messages.map(\.envelope.receivedAt).min() else { return }
        try db.cachedStatement(sql: "DELETE FROM recent_message WHERE received_at < ?")
            .execute(arguments: [oldest.unixMilliseconds - windowMilliseconds])
    }

    /// The queue ID of a message that `envelope` with content `contentDigest` (SHA-256) repeats,
    /// if one arrived within the window.
    func original(of envelope: Envelope, contentDigest: [UInt8], _ db: Database) throws -> QueueID? {
        guard isEnabled, let key = DuplicateKey(envelope) else { return nil }
        // The most recent match: it is the likeliest to be still in the spool.
        let queueID = try String.fetchOne(db.cachedStatement(sql: """
            SELECT queue_id FROM recent_message
            WHERE message_id_header = ? AND sender = ? AND recipients_hash = ? AND content_digest = ?
              AND received_at >= ?
            ORDER BY received_at DESC, rowid DESC LIMIT 1
            """), arguments: [key.messageID, key.sender, key.recipientsHash, Data(contentDigest),
                              envelope.receivedAt.unixMilliseconds - windowMilliseconds])
        return queueID.map(QueueID.init(unchecked:))
    }

    /// Remembers a message just written, so that a copy arriving later is recognised.
    func remember(_ envelope: Envelope, contentDigest: [UInt8], _ db: Database) throws {
        guard isEnabled, let key = DuplicateKey(envelope) else { return }
        try db.cachedStatement(sql: """
            INSERT INTO recent_message (message_id_header, sender, recipients_hash, content_digest, queue_id, received_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [key.messageID, key.sender, key.recipientsHash, Data(contentDigest),
                                     envelope.queueID.rawValue, envelope.receivedAt.unixMilliseconds])
    }
}
