import Foundation
import Logging
import NIOCore
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
        try await connection.statement("DELETE FROM recent_message WHERE received_at < \(oldest.unixMilliseconds - milliseconds)",
                                   logger: logger)
    }

    /// The queue ID of the most recent message within the window that `envelope` repeats.
    func original(of envelope: Envelope, contentDigest: [UInt8], _ connection: PostgresConnection,
                  _ logger: Logger) async throws -> QueueID? {
        guard milliseconds > 0, let key = DuplicateKey(envelope) else { return nil }
        let rows = try await connection.statement("""
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

    /// For each message of a batch, the queue ID of the most recent message within the window
    /// that it repeats, stored earlier or earlier in the batch itself; nil when it repeats none.
    /// One query for the whole batch.
    func originals(in batch: [PostgresBatchWriter.Prepared], _ connection: PostgresConnection,
                   _ logger: Logger) async throws -> [QueueID?] {
        guard milliseconds > 0 else { return batch.map { _ in nil } }
        let keys = batch.map(\.duplicateKey)
        let stored = try await storedOriginals(of: batch, keys, connection, logger)
        var earlierInBatch: [BatchKey: (queueID: QueueID, receivedAt: Date)] = [:]
        return batch.indices.map { index in
            guard let key = keys[index] else { return nil }
            let prepared = batch[index]
            let batchKey = BatchKey(key: key, contentDigest: prepared.contentDigest)
            // A copy earlier in the batch is the most recent one: it is stored after any other.
            if let earlier = earlierInBatch[batchKey],
               earlier.receivedAt.unixMilliseconds >= prepared.envelope.receivedAt.unixMilliseconds - milliseconds {
                return earlier.queueID
            }
            if let original = stored[index] { return original }
            earlierInBatch[batchKey] = (prepared.envelope.queueID, prepared.envelope.receivedAt)
            return nil
        }
    }

    private struct BatchKey: Hashable {
        var messageID: String
        var sender: String
        var recipientsHash: Int64
        var contentDigest: [UInt8]

        init(key: DuplicateKey, contentDigest: [UInt8]) {
            // Compared as bytes, as PostgreSQL compares text: never by canonical equivalence.
            messageID = key.messageID
            sender = key.sender
            recipientsHash = key.recipientsHash
            self.contentDigest = contentDigest
        }

        static func == (lhs: BatchKey, rhs: BatchKey) -> Bool {
            lhs.recipientsHash == rhs.recipientsHash && lhs.contentDigest == rhs.contentDigest
                && lhs.messageID.utf8.elementsEqual(rhs.messageID.utf8) && lhs.sender.utf8.elementsEqual(rhs.sender.utf8)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(recipientsHash)
            hasher.combine(contentDigest)
            hasher.combine(messageID.utf8.count)
            hasher.combine(sender.utf8.count)
        }
    }

    /// The copies already in `recent_message`, by position in the batch; one query per
    /// `lookupRows` messages, which keeps each under the protocol's count of parameters.
    private func storedOriginals(of batch: [PostgresBatchWriter.Prepared], _ keys: [DuplicateKey?],
                                 _ connection: PostgresConnection, _ logger: Logger) async throws -> [Int: QueueID] {
        let keyed = keys.enumerated().compactMap { position, key in key.map { (position: position, key: $0) } }
        var originals: [Int: QueueID] = [:]
        for start in stride(from: 0, to: keyed.count, by: Self.lookupRows) {
            var lookup = SQLText("SELECT DISTINCT ON (k.position) k.position, r.queue_id FROM (VALUES ")
            lookup.addRows(keyed[start..<min(keyed.count, start + Self.lookupRows)]) { sql, entry in
                let prepared = batch[entry.position]
                return [sql.bind(entry.position), sql.bind(entry.key.messageID), sql.bind(entry.key.sender),
                        sql.bind(entry.key.recipientsHash), sql.bind(ByteBuffer(bytes: prepared.contentDigest)),
                        sql.bind(prepared.envelope.receivedAt.unixMilliseconds - milliseconds)]
            }
            lookup.add("""
                ) AS k (position, message_id_header, sender, recipients_hash, content_digest, since)
                JOIN recent_message r ON r.message_id_header = k.message_id_header AND r.sender = k.sender
                  AND r.recipients_hash = k.recipients_hash AND r.content_digest = k.content_digest
                  AND r.received_at >= k.since
                ORDER BY k.position, r.received_at DESC, r.id DESC
                """)
            let rows = try await connection.statement(lookup.query, logger: logger).decode((Int, String).self)
            for try await (position, queueID) in rows {
                originals[position] = QueueID(unchecked: queueID)
            }
        }
        return originals
    }

    private static let lookupRows = 1000

    /// Adds to a `PostgresBatchWriter` statement the CTEs that remember its messages, as
    /// `remember` does one message, and forget, as `prune` does.
    func addRemembering(_ batch: [PostgresBatchWriter.Prepared], to sql: inout SQLText) {
        if let oldest = batch.map(\.envelope.receivedAt.unixMilliseconds).min() {
            let windowBefore = sql.bind(oldest - milliseconds)
            sql.add(",\nold_recent AS (DELETE FROM recent_message WHERE received_at < \(windowBefore))")
        }
        guard milliseconds > 0 else { return }
        let keyed = batch.compactMap { prepared in prepared.duplicateKey.map { (key: $0, prepared: prepared) } }
        guard !keyed.isEmpty else { return }
        sql.add(",\nd AS (INSERT INTO recent_message (message_id_header, sender, recipients_hash, content_digest, queue_id, received_at) VALUES ")
        sql.addRows(keyed) { sql, entry in
            [sql.bind(entry.key.messageID), sql.bind(entry.key.sender), sql.bind(entry.key.recipientsHash),
             sql.bind(ByteBuffer(bytes: entry.prepared.contentDigest)), sql.bind(entry.prepared.envelope.queueID.rawValue),
             sql.bind(entry.prepared.envelope.receivedAt.unixMilliseconds)]
        }
        sql.add(")")
    }

    /// Remembers a message just written, so that a copy arriving later is recognised.
    func remember(_ envelope: Envelope, contentDigest: [UInt8], _ connection: PostgresConnection,
                  _ logger: Logger) async throws {
        guard milliseconds > 0, let key = DuplicateKey(envelope) else { return }
        try await connection.statement("""
            INSERT INTO recent_message (message_id_header, sender, recipients_hash, content_digest, queue_id, received_at)
            VALUES (\(key.messageID), \(key.sender), \(key.recipientsHash), \(Data(contentDigest)),
                    \(envelope.queueID.rawValue), \(envelope.receivedAt.unixMilliseconds))
            """, logger: logger)
    }
}
