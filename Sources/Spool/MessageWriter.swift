import Crypto
import Foundation
import SpoolContract
import MailNames
import GRDB
import MailCore

/// Writes one message (row, recipients, content chunks) on the writer
/// connection. The group committer wraps each call in its own savepoint.
enum MessageWriter {
    /// The most a chunk holds, and the most of a body held in memory at once.
    static let chunkSize = 1 << 20

    struct Written {
        var queueID: QueueID
        var size: Int
        var chunkCount: Int
        /// SHA-256 of the message as received, without the `Received:` header Backstop
        /// prepended (which differs between two copies).
        var contentDigest: [UInt8]
    }

    /// Who wrote a message: a sender, for the primary, or Backstop itself (a DSN, for the sender).
    enum Kind: String {
        case relay
        case report
    }

    static func write(_ message: IncomingMessage, kind: Kind = .relay, to db: Database) throws -> Written {
        let envelope = message.envelope
        guard !envelope.recipients.isEmpty else {
            throw SpoolError.other("message \(envelope.queueID) has no recipients; nothing to store")
        }
        let now = Date().unixMilliseconds
        try db.cachedStatement(sql: """
            INSERT INTO message (queue_id, received_at, sender, body_type, smtputf8, dsn_ret, envid,
                                 client_address, client_helo, message_id_header, size, kind, state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
            """).execute(arguments: [
                envelope.queueID.rawValue, envelope.receivedAt.unixMilliseconds, envelope.sender,
                envelope.bodyType.rawValue, envelope.smtpUTF8, envelope.dsnReturn?.rawValue, envelope.envelopeID,
                envelope.clientAddress, envelope.clientHelo, envelope.messageID, kind.rawValue,
                message.journalCopyUntil == nil ? "active" : "held",
            ])
        let messageRowID = db.lastInsertedRowID
        if let until = message.journalCopyUntil {
            try db.cachedStatement(sql: "INSERT INTO journal_copy (message_id, expires_at) VALUES (?, ?)")
                .execute(arguments: [messageRowID, until.unixMilliseconds])
        }
        if kind == .relay {
            try ArrivalLog.record(arrivalAt: envelope.receivedAt, db)
        }

        let insertRecipient = try db.cachedStatement(sql: """
            INSERT INTO recipient (message_id, position, address, orcpt, notify, updated_at, domain, verified)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (position, recipient) in envelope.recipients.enumerated() {
            try insertRecipient.execute(arguments: [
                messageRowID, position, recipient.address, recipient.orcpt, recipient.notify.rfc3461, now,
                domainOf(recipient.address), recipient.verified,
            ])
        }

        var chunks = try ChunkWriter(messageRowID: messageRowID, db: db)
        try chunks.append(message.receivedHeader[...])
        var digest = SHA256()
        switch message.body {
        case .bytes(let body):
            digest.update(data: body)
            try chunks.append(body[...])
        case .file(let path):
            try BodyFile.readChunks(of: path, chunkSize: chunkSize) { piece in
                digest.update(data: piece)
                try chunks.append(piece)
            }
        }
        try chunks.finish()

        try db.cachedStatement(sql: "UPDATE message SET size = ? WHERE id = ?")
            .execute(arguments: [chunks.size, messageRowID])
        return Written(queueID: envelope.queueID, size: chunks.size, chunkCount: chunks.count,
                       contentDigest: Array(digest.finalize()))
    }
}

/// The domain of an address (what follows its last `@` scalar) in the form routes and
/// `route pause` compare it in: A-labels, ASCII lowercased.
func domainOf(_ address: String) -> String {
    AddressText.comparableDomain(of: address)
}

/// Cuts the message's byte stream into chunks of exactly `chunkSize` (the last
/// one shorter), whatever the sizes of the pieces it is fed.
private struct ChunkWriter {
    private let messageRowID: Int64
    private let insert: Statement
    private var pending = Data()
    private(set) var count = 0
    private(set) var size = 0

    init(messageRowID: Int64, db: Database) throws {
        self.messageRowID = messageRowID
        self.insert = try db.cachedStatement(sql: "INSERT INTO message_chunk (message_id, seq, data) VALUES (?, ?, ?)")
        pending.reserveCapacity(MessageWriter.chunkSize)
    }

    mutating func append(_ bytes: ArraySlice<UInt8>) throws {
        var rest = bytes
        while !rest.isEmpty {
            let taken = rest.prefix(MessageWriter.chunkSize - pending.count)
            pending.append(contentsOf: taken)
            rest = rest.dropFirst(taken.count)
            size += taken.count
            if pending.count == MessageWriter.chunkSize {
                try flush()
            }
        }
    }

    mutating func finish() throws {
        if !pending.isEmpty {
            try flush()
        }
    }

    private mutating func flush() throws {
        try insert.execute(arguments: [messageRowID, count, pending])
        count += 1
        pending.removeAll(keepingCapacity: true)
    }
}
