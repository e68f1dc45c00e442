import BackstopDefaults
import Crypto
import Foundation
import Logging
import MailNames
import PostgresNIO
import SpoolContract

/// Writes one message (row, recipients, content chunks) on a connection inside the caller's
/// transaction, as the SQLite spool's `MessageWriter` does.
enum PostgresMessageWriter {
    static let chunkSize = BackstopDefaults.Postgres.chunkSize

    struct Written: Sendable {
        var queueID: QueueID
        var size: Int
        var chunkCount: Int
        /// SHA-256 of the message as received, without the `Received:` header Backstop prepended.
        var contentDigest: [UInt8]
    }

    /// Who wrote a message: a sender (`relay`), or Backstop itself (`report`, a DSN).
    static func write(_ message: IncomingMessage, kind: String = "relay", on connection: PostgresConnection,
                      logger: Logger) async throws -> Written {
        let envelope = message.envelope
        guard !envelope.recipients.isEmpty else {
            throw SpoolError.other("message \(envelope.queueID) has no recipients; nothing to store")
        }
        let now = Date().unixMilliseconds
        let receivedAt = envelope.receivedAt.unixMilliseconds
        let rows = try await connection.statement("""
            INSERT INTO message (queue_id, received_at, sender, body_type, smtputf8, dsn_ret, envid,
                                 client_address, client_helo, message_id_header, size, kind, state)
            VALUES (\(envelope.queueID.rawValue), \(receivedAt), \(envelope.sender), \(envelope.bodyType.rawValue),
                    \(envelope.smtpUTF8), \(envelope.dsnReturn?.rawValue), \(envelope.envelopeID),
                    \(envelope.clientAddress), \(envelope.clientHelo), \(envelope.messageID), 0, \(kind),
                    \(message.journalCopyUntil == nil ? "active" : "held"))
            RETURNING id
            """, logger: logger)
        var messageRowID: Int64 = 0
        for try await id in rows.decode(Int64.self) { messageRowID = id }
        if let until = message.journalCopyUntil {
            try await connection.statement("INSERT INTO journal_copy (message_id, expires_at) VALUES (\(messageRowID), \(until.unixMilliseconds))",
                                       logger: logger)
        }
        if kind == "relay" {
            // `status` counts arrivals of the last hour, delivered ones included; kept two days.
            try await connection.statement("INSERT INTO arrival_log (at) VALUES (\(receivedAt))", logger: logger)
            try await connection.statement("DELETE FROM arrival_log WHERE at < \(receivedAt - 2 * 86_400_000)", logger: logger)
        }
        for (position, recipient) in envelope.recipients.enumerated() {
            try await connection.statement("""
                INSERT INTO recipient (message_id, position, address, orcpt, notify, updated_at, domain, verified)
                VALUES (\(messageRowID), \(position), \(recipient.address), \(recipient.orcpt),
                        \(recipient.notify.rfc3461), \(now), \(AddressText.comparableDomain(of: recipient.address)),
                        \(recipient.verified))
                """, logger: logger)
        }

        var chunks = ChunkWriter(messageRowID: messageRowID)
        try await chunks.append(message.receivedHeader[...], connection, logger)
        var digest = SHA256()
        switch message.body {
        case .bytes(let body):
            digest.update(data: body)
            try await chunks.append(body[...], connection, logger)
        case .file(let path):
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw SpoolError.io("cannot open message body file \(path)")
            }
            defer { try? file.close() }
            while let piece = try file.read(upToCount: chunkSize), !piece.isEmpty {
                digest.update(data: piece)
                try await chunks.append(Array(piece)[...], connection, logger)
            }
        }
        try await chunks.finish(connection, logger)
        try await connection.statement("UPDATE message SET size = \(chunks.size) WHERE id = \(messageRowID)", logger: logger)
        return Written(queueID: envelope.queueID, size: chunks.size, chunkCount: chunks.count,
                       contentDigest: Array(digest.finalize()))
    }
}

/// Cuts the message's byte stream into chunks of exactly `chunkSize` (the last one shorter).
private struct ChunkWriter {
    let messageRowID: Int64
    private var pending = Data()
    private(set) var count = 0
    private(set) var size = 0

    init(messageRowID: Int64) {
        self.messageRowID = messageRowID
    }

    mutating func append(_ bytes: ArraySlice<UInt8>, _ connection: PostgresConnection, _ logger: Logger) async throws {
        var rest = bytes
        while !rest.isEmpty {
            let taken = rest.prefix(PostgresMessageWriter.chunkSize - pending.count)
            pending.append(contentsOf: taken)
            rest = rest.dropFirst(taken.count)
            size += taken.count
            if pending.count == PostgresMessageWriter.chunkSize {
                try await flush(connection, logger)
            }
        }
    }

    mutating func finish(_ connection: PostgresConnection, _ logger: Logger) async throws {
        if !pending.isEmpty { try await flush(connection, logger) }
    }

    private mutating func flush(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.statement("""
            INSERT INTO message_chunk (message_id, seq, data) VALUES (\(messageRowID), \(count), \(pending))
            """, logger: logger)
        count += 1
        pending.removeAll(keepingCapacity: true)
    }
}
