import Crypto
import Foundation
import Logging
import MailNames
import NIOCore
import PostgresNIO
import SpoolContract

/// The messages of one group commit written together, in one statement: an INSERT per table
/// chained by `WITH`, so a batch costs one round trip for one message as for two hundred,
/// where `PostgresMessageWriter` costs several per message. Only messages held in memory come
/// here, whose rows are all known before the first is written; a spilled body is streamed by
/// `PostgresMessageWriter`.
enum PostgresBatchWriter {
    /// A message ready to be written with others.
    struct Prepared: Sendable {
        let message: IncomingMessage
        /// Received header and body: what is stored and forwarded.
        let content: [UInt8]
        /// SHA-256 of the message as received, without the `Received:` header Backstop prepended.
        let contentDigest: [UInt8]
        /// What its copies share besides the content; nil without a Message-ID.
        let duplicateKey: DuplicateKey?

        /// Nil for a message that must go through `PostgresMessageWriter`: a spilled body, no
        /// recipient (which it refuses with the reason), or more rows than one statement binds.
        init?(_ message: IncomingMessage) {
            guard case .bytes(let body) = message.body, !message.envelope.recipients.isEmpty else { return nil }
            self.message = message
            content = message.receivedHeader + body
            contentDigest = Array(SHA256.hash(data: body))
            duplicateKey = DuplicateKey(message.envelope)
            guard parameterCount <= SQLText.maxParameters else { return nil }
        }

        var envelope: Envelope { message.envelope }

        var chunkCount: Int {
            (content.count + PostgresMessageWriter.chunkSize - 1) / PostgresMessageWriter.chunkSize
        }

        /// Values this message binds in the statement, at most.
        var parameterCount: Int {
            13 + 8 * envelope.recipients.count + 3 * chunkCount + 2 + 1 + 6
        }
    }

    /// Writes every message of `batch` inside the caller's transaction, remembers them for
    /// duplicate suppression and wakes the nodes' forwarders at COMMIT; throws if any row is refused, and then the caller rolls all back.
    static func write(_ batch: [Prepared], remembering window: RecentMessageWindow, on connection: PostgresConnection,
                      logger: Logger) async throws {
        for (statement, count) in statements(for: batch, remembering: window, now: Date()) {
            var written = 0
            for try await rows in try await connection.statement(statement.query, logger: logger).decode(Int.self) {
                written = rows
            }
            guard written == count else {
                throw SpoolError.other("\(written) of \(count) messages were written")
            }
        }
    }

    /// The statements that write `batch`, each with the number of messages it writes, cut so
    /// that none binds more than `SQLText.maxParameters` values.
    static func statements(for batch: [Prepared], remembering window: RecentMessageWindow,
                           now: Date) -> [(statement: SQLText, messages: Int)] {
        var statements: [(SQLText, Int)] = []
        var part: [Prepared] = []
        var parameters = 0
        for prepared in batch {
            if parameters + prepared.parameterCount > SQLText.maxParameters, !part.isEmpty {
                statements.append((statement(for: part, window, now.unixMilliseconds), part.count))
                part = []
                parameters = 0
            }
            part.append(prepared)
            parameters += prepared.parameterCount
        }
        if !part.isEmpty { statements.append((statement(for: part, window, now.unixMilliseconds), part.count)) }
        return statements
    }

    private static func statement(for batch: [Prepared], _ window: RecentMessageWindow, _ now: Int64) -> SQLText {
        var sql = SQLText("""
            WITH m AS (INSERT INTO message (queue_id, received_at, sender, body_type, smtputf8, dsn_ret, envid,
                                           client_address, client_helo, message_id_header, size, kind, state)
            VALUES
            """)
        sql.addRows(batch) { sql, prepared in
            let envelope = prepared.envelope
            return [sql.bind(envelope.queueID.rawValue), sql.bind(envelope.receivedAt.unixMilliseconds),
                    sql.bind(envelope.sender), sql.bind(envelope.bodyType.rawValue), sql.bind(envelope.smtpUTF8),
                    sql.bind(envelope.dsnReturn?.rawValue), sql.bind(envelope.envelopeID), sql.bind(envelope.clientAddress),
                    sql.bind(envelope.clientHelo), sql.bind(envelope.messageID), sql.bind(prepared.content.count),
                    sql.bind("relay"), sql.bind(prepared.message.journalCopyUntil == nil ? "active" : "held")]
        }
        sql.add("""
             RETURNING id, queue_id),
            r AS (INSERT INTO recipient (message_id, position, address, orcpt, notify, updated_at, domain, verified)
                  SELECT m.id, v.position, v.address, v.orcpt, v.notify, v.updated_at, v.domain, v.verified
                  FROM m JOIN (VALUES
            """)
        let recipients = batch.flatMap { prepared in
            prepared.envelope.recipients.enumerated().map { (queueID: prepared.envelope.queueID, position: $0, recipient: $1) }
        }
        sql.addRows(recipients) { sql, row in
            [sql.bind(row.queueID.rawValue), sql.bind(row.position), sql.bind(row.recipient.address),
             sql.bind(row.recipient.orcpt), sql.bind(row.recipient.notify.rfc3461), sql.bind(now),
             sql.bind(AddressText.comparableDomain(of: row.recipient.address)), sql.bind(row.recipient.verified)]
        }
        sql.add("""
            ) AS v (queue_id, position, address, orcpt, notify, updated_at, domain, verified) ON v.queue_id = m.queue_id),
            c AS (INSERT INTO message_chunk (message_id, seq, data)
                  SELECT m.id, v.seq, v.data FROM m JOIN (VALUES
            """)
        let chunks = batch.flatMap { prepared in
            (0..<prepared.chunkCount).map { seq in
                let start = seq * PostgresMessageWriter.chunkSize
                let end = min(prepared.content.count, start + PostgresMessageWriter.chunkSize)
                return (queueID: prepared.envelope.queueID, seq: seq, bytes: prepared.content[start..<end])
            }
        }
        sql.addRows(chunks) { sql, chunk in
            [sql.bind(chunk.queueID.rawValue), sql.bind(chunk.seq), sql.bind(ByteBuffer(bytes: chunk.bytes))]
        }
        sql.add(") AS v (queue_id, seq, data) ON v.queue_id = m.queue_id),\n")
        // `status` counts arrivals of the last hour, delivered ones included; kept two days.
        sql.add("a AS (INSERT INTO arrival_log (at) VALUES ")
        sql.addRows(batch) { sql, prepared in [sql.bind(prepared.envelope.receivedAt.unixMilliseconds)] }
        let oldest = batch.map(\.envelope.receivedAt.unixMilliseconds).min() ?? now
        let twoDaysBefore = sql.bind(oldest - 2 * 86_400_000)
        sql.add("),\nold_arrival AS (DELETE FROM arrival_log WHERE at < \(twoDaysBefore))")
        let journalCopies = batch.compactMap { prepared in
            prepared.message.journalCopyUntil.map { (queueID: prepared.envelope.queueID, until: $0) }
        }
        if !journalCopies.isEmpty {
            sql.add(",\nj AS (INSERT INTO journal_copy (message_id, expires_at) SELECT m.id, v.expires_at FROM m JOIN (VALUES ")
            sql.addRows(journalCopies) { sql, copy in [sql.bind(copy.queueID.rawValue), sql.bind(copy.until.unixMilliseconds)] }
            sql.add(") AS v (queue_id, expires_at) ON v.queue_id = m.queue_id)")
        }
        window.addRemembering(batch, to: &sql)
        // Wakes the listening nodes at COMMIT, and only if it commits: a NOTIFY without its round trip.
        sql.add("\nSELECT count(*)::bigint FROM m, (SELECT pg_notify('\(PostgresIntake.mailChannel)', '')) AS wake")
        return sql
    }
}
