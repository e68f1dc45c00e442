import Foundation
import Logging
import MailCore
import PostgresNIO
import SpoolContract

/// Reads rows by position, one column after the other.
struct ColumnReader {
    private let row: PostgresRandomAccessRow
    private var index = 0

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    mutating func next<Value: PostgresDecodable>(_: Value.Type = Value.self) throws -> Value {
        defer { index += 1 }
        return try row[index].decode(Value.self)
    }

    mutating func nextStored<Value: RawRepresentable<String>>(_: Value.Type, _ column: String) throws -> Value {
        let text = try next(String.self)
        guard let value = Value(rawValue: text) else {
            throw SpoolError.corrupt("\(column) holds unknown value '\(text)'")
        }
        return value
    }

    mutating func nextDate() throws -> Date {
        Date(unixMilliseconds: try next(Int64.self))
    }

    mutating func nextOptionalDate() throws -> Date? {
        try next(Int64?.self).map(Date.init(unixMilliseconds:))
    }
}

extension StoredEnvelope {
    /// The `message` columns `init(message:recipients:)` reads, in its order, over alias `m`.
    static let messageColumns = """
        m.id, m.queue_id, m.received_at, m.sender, m.body_type, m.smtputf8, m.dsn_ret, m.envid, m.client_address,
        m.client_helo, m.message_id_header, m.size, m.state, m.attempts, m.next_attempt_at, m.last_error
        """

    /// A row of `messageColumns`: the message's row ID, and the envelope with `recipients`.
    static func decode(_ row: PostgresRow, recipients: (Int64) -> [StoredRecipient]) throws -> (Int64, StoredEnvelope) {
        var columns = ColumnReader(row)
        let rowID = try columns.next(Int64.self)
        let queueID = QueueID(unchecked: try columns.next(String.self))
        let receivedAt = try columns.nextDate()
        let sender = try columns.next(String.self)
        let bodyType = try columns.nextStored(BodyType.self, "message.body_type")
        let smtpUTF8 = try columns.next(Bool.self)
        let dsnReturn = try columns.next(String?.self).map { text in
            guard let value = DSNReturn(rawValue: text) else {
                throw SpoolError.corrupt("message.dsn_ret holds unknown value '\(text)'")
            }
            return value
        }
        let envelopeID = try columns.next(String?.self)
        let clientAddress = try columns.next(String.self)
        let clientHelo = try columns.next(String.self)
        let messageID = try columns.next(String?.self)
        let size = try columns.next(Int.self)
        let state = try columns.nextStored(MessageState.self, "message.state")
        let attempts = try columns.next(Int.self)
        let nextAttemptAt = try columns.nextOptionalDate()
        let lastError = try columns.next(String?.self)
        let stored = recipients(rowID)
        let envelope = Envelope(
            queueID: queueID, sender: sender, recipients: stored.map(\.recipient), bodyType: bodyType,
            smtpUTF8: smtpUTF8, dsnReturn: dsnReturn, envelopeID: envelopeID, clientAddress: clientAddress,
            clientHelo: clientHelo, messageID: messageID, receivedAt: receivedAt)
        return (rowID, StoredEnvelope(envelope: envelope, recipients: stored, state: state, size: size,
                                      attempts: attempts, nextAttemptAt: nextAttemptAt, lastError: lastError))
    }

    /// The message `queueID` with every recipient, read on `connection`.
    static func fetch(_ queueID: QueueID, _ connection: PostgresConnection, _ logger: Logger) async throws -> StoredEnvelope? {
        let rows = try await connection.statement("""
            SELECT \(unescaped: messageColumns) FROM message m WHERE m.queue_id = \(queueID.rawValue)
            """, logger: logger)
        var messageRow: PostgresRow?
        for try await row in rows { messageRow = row }
        guard let messageRow else { return nil }
        let rowID = try messageRow.makeRandomAccess()[0].decode(Int64.self)
        let recipients = try await StoredRecipient.fetch(messageRowIDs: [rowID], connection, logger)
        return try decode(messageRow) { recipients[$0] ?? [] }.1
    }
}

extension StoredRecipient {
    /// The `recipient` columns `init(columns:)` reads, in its order, over alias `r`.
    static let columns = """
        r.address, r.orcpt, r.notify, r.verified, r.state, r.attempts, r.next_attempt_at, r.last_reply, r.updated_at
        """

    init(columns: inout ColumnReader) throws {
        let address = try columns.next(String.self)
        let orcpt = try columns.next(String?.self)
        let notify = try columns.next(String?.self).map { text in
            guard let request = DSNNotifyRequest(rfc3461: text) else {
                throw SpoolError.corrupt("recipient.notify holds unknown value '\(text)'")
            }
            return request
        } ?? .unspecified
        let verified = try columns.next(Bool.self)
        self.init(
            recipient: EnvelopeRecipient(address: address, orcpt: orcpt, notify: notify, verified: verified),
            state: try columns.nextStored(RecipientState.self, "recipient.state"),
            attempts: try columns.next(Int.self),
            nextAttemptAt: try columns.nextOptionalDate(),
            lastReply: try columns.next(String?.self),
            updatedAt: try columns.nextDate())
    }

    /// The recipients of these messages, in RCPT order, that pass `filter` (which appends SQL
    /// over `r` starting with "AND", its values bound; nothing for all).
    static func fetch(messageRowIDs: [Int64], filter: (inout SQLText) -> Void = { _ in }, _ connection: PostgresConnection,
                      _ logger: Logger) async throws -> [Int64: [StoredRecipient]] {
        guard !messageRowIDs.isEmpty else { return [:] }
        var statement = SQLText("SELECT r.message_id, \(columns) FROM recipient r WHERE r.message_id = ANY(")
        statement.add(statement.bind(messageRowIDs) + ") ")
        filter(&statement)
        statement.add(" ORDER BY r.message_id, r.position")
        var recipients: [Int64: [StoredRecipient]] = [:]
        for try await row in try await connection.statement(statement.query, logger: logger) {
            var columns = ColumnReader(row)
            let messageRowID = try columns.next(Int64.self)
            recipients[messageRowID, default: []].append(try StoredRecipient(columns: &columns))
        }
        return recipients
    }
}
