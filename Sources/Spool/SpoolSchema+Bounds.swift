import Crypto
import Foundation
import GRDB

extension SpoolSchema {
    /// Duplicate suppression keys on content too (`recent_message.content_digest`, SHA-256 of
    /// the message as received), and the health history can be pruned by time.
    static func v7ContentDigestAndHistory(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE recent_message ADD COLUMN content_digest BLOB;
            DROP INDEX recent_message_by_key;
            CREATE INDEX recent_message_by_key
                ON recent_message (message_id_header, sender, recipients_hash, content_digest);

            CREATE INDEX health_transition_by_time ON health_transition (at);
            """)
        // Remembered messages still spooled get their digest, so that a copy arriving just after
        // the upgrade is still recognised; the others (delivered meanwhile) keep NULL, match no
        // copy, and are pruned within one dedup window.
        let remembered = try Row.fetchAll(db, sql: """
            SELECT r.rowid AS entry, m.id AS message FROM recent_message r JOIN message m ON m.queue_id = r.queue_id
            """)
        let setDigest = try db.makeStatement(sql: "UPDATE recent_message SET content_digest = ? WHERE rowid = ?")
        for row in remembered {
            let digest = try storedContentDigest(of: row["message"], db)
            try setDigest.execute(arguments: [Data(digest), row["entry"]])
        }
    }

    /// SHA-256 of a stored message without the `Received:` field Backstop put first.
    private static func storedContentDigest(of messageRowID: Int64, _ db: Database) throws -> [UInt8] {
        var digest = SHA256()
        var header = ReceivedFieldSkipper()
        let chunks = try Data.fetchCursor(db, sql: "SELECT data FROM message_chunk WHERE message_id = ? ORDER BY seq",
                                          arguments: [messageRowID])
        while let chunk = try chunks.next() {
            let rest = header.skip(Array(chunk))
            if !rest.isEmpty { digest.update(data: rest) }
        }
        digest.update(data: header.finish())
        return Array(digest.finalize())
    }
}

/// Drops a leading `Received:` field (its first line and every folded line after it) from a
/// byte stream fed in pieces; a stream that does not start with one passes whole.
private struct ReceivedFieldSkipper {
    private enum State { case deciding, skipping, passing }
    private var state = State.deciding
    private var held: [UInt8] = []
    private static let name = Array("received:".utf8)

    mutating func skip(_ piece: [UInt8]) -> ArraySlice<UInt8> {
        guard state != .passing else { return piece[...] }
        held += piece
        if state == .deciding {
            guard held.count >= Self.name.count else { return [] }
            let starts = held.prefix(Self.name.count).map { $0 | 0x20 }.elementsEqual(Self.name)
            state = starts ? .skipping : .passing
            if !starts { return release() }
        }
        // Skipping: drop lines until one that does not start with a space or a tab.
        while let end = held.firstIndex(of: UInt8(ascii: "\n")) {
            guard end + 1 < held.count else { return [] }
            let next = held[end + 1]
            held.removeSubrange(...end)
            if next != UInt8(ascii: " "), next != UInt8(ascii: "\t") {
                state = .passing
                return release()
            }
        }
        return []
    }

    /// What is still held at the end of the stream.
    mutating func finish() -> [UInt8] {
        state == .skipping ? [] : Array(release())
    }

    private mutating func release() -> ArraySlice<UInt8> {
        defer { held = [] }
        return held[...]
    }
}
