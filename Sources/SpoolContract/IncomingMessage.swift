import Foundation

/// The content of a message as the listener hands it over.
public enum MessageBody: Sendable {
    /// Small messages kept in memory.
    case bytes([UInt8])
    /// A temporary file the listener wrote. The spool reads it in chunks and
    /// deletes it once the message is committed, before `store` returns; after
    /// a failure the file is left for the caller to remove.
    case file(path: String)
}

/// A message ready to be committed: envelope plus the exact bytes to forward.
public struct IncomingMessage: Sendable {
    public var envelope: Envelope
    /// The `Received:` header Backstop prepends, CRLF-terminated.
    public var receivedHeader: [UInt8]
    /// The message as received after DATA or BDAT, byte for byte.
    public var body: MessageBody
    /// Set for a journal copy the primary sent in normal times (`[inbox] journal_address`):
    /// stored held, shown in the inbox, never replayed, and deleted by the retention sweep
    /// once this time has passed.
    public var journalCopyUntil: Date?

    public init(envelope: Envelope, receivedHeader: [UInt8], body: MessageBody) {
        self.envelope = envelope
        self.receivedHeader = receivedHeader
        self.body = body
    }
}

/// Proof that a message is durably committed: only now may the listener say 250.
public struct StoredReceipt: Sendable, Equatable {
    /// The message's own queue ID; for a duplicate, the queue ID of the copy stored earlier.
    public var queueID: QueueID
    /// Bytes stored: received header plus body; 0 for a duplicate.
    public var size: Int
    /// 0 for a duplicate.
    public var chunkCount: Int
    public var committedAt: Date
    /// How many messages shared this commit's fsync, duplicates included.
    public var batchSize: Int
    /// The message repeats one stored within the dedup window (same Message-ID, sender and
    /// recipients): it was acknowledged but not stored again, and its body file is gone.
    public var isDuplicate: Bool

    public init(queueID: QueueID, size: Int, chunkCount: Int, committedAt: Date, batchSize: Int,
                isDuplicate: Bool = false) {
        self.queueID = queueID
        self.size = size
        self.chunkCount = chunkCount
        self.committedAt = committedAt
        self.batchSize = batchSize
        self.isDuplicate = isDuplicate
    }
}
