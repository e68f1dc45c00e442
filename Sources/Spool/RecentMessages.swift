import Foundation
import SpoolContract
import MailNames
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

/// What copies of one message share besides their content: its Message-ID, its sender and its
/// set of recipients.
/// Recipient order and repeated RCPTs do not matter, nor the case of a domain; the case of a
/// local part does (RFC 5321 §2.4 leaves it to the receiving host).
struct DuplicateKey: Equatable {
    var messageID: String
    var sender: String
    var recipientsHash: Int64

    init?(_ envelope: Envelope) {
        self.init(messageID: envelope.messageID, sender: envelope.sender, recipients: envelope.recipients.map(\.address))
    }

    /// Nil without a Message-ID: nothing else tells two messages from two copies of one.
    init?(messageID: String?, sender: String, recipients: [String]) {
        guard let messageID = messageID?.trimmingCharacters(in: .whitespaces), !messageID.isEmpty else {
            return nil
        }
        self.messageID = messageID
        self.sender = Self.canonical(sender)
        // Sets and sorts of bytes, not of `String`s: those merge canonically equivalent
        // addresses (`é` and `e` + U+0301), which the primary may deliver to different people.
        let set = Set(recipients.map { Array(Self.canonical($0).utf8) }).sorted { $0.lexicographicallyPrecedes($1) }
        self.recipientsHash = Self.fnv1a(Array(set.joined(separator: [UInt8(ascii: "\n")])))
    }

    private static func canonical(_ address: String) -> String {
        guard let at = AddressText.lastAt(in: address) else { return MailScalars.asciiLowercased(address) }
        return address[..<at] + "@" + domainOf(address)
    }

    /// 64-bit FNV-1a: stable across processes, unlike `Hasher`. It need not resist forgery:
    /// whoever can forge the Message-ID and sender can as well repeat the recipients.
    private static func fnv1a(_ bytes: [UInt8]) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
