import Foundation
import SpoolContract
import GRDB
import MailCore

extension StoredEnvelope {
    /// The `message` columns `init(messageRow:recipients:)` reads, in its order, over alias `m`.
    /// Read by position: looking a column up by name costs more than decoding its value.
    static let messageColumns = """
        m.id, m.queue_id, m.received_at, m.sender, m.body_type, m.smtputf8, m.dsn_ret, m.envid, m.client_address,
        m.client_helo, m.message_id_header, m.size, m.state, m.attempts, m.next_attempt_at, m.last_error
        """

    static func fetch(_ queueID: QueueID, _ db: Database) throws -> StoredEnvelope? {
        guard let message = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(messageColumns) FROM message m WHERE m.queue_id = ?"),
            arguments: [queueID.rawValue])
        else { return nil }
        let recipients = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT \(StoredRecipient.columns) FROM recipient r WHERE r.message_id = ? ORDER BY r.position
                """),
            arguments: [message[0] as Int64]
        ).map { try StoredRecipient(row: $0, from: 0) }
        return try StoredEnvelope(messageRow: message, recipients: recipients)
    }

    /// A row of `messageColumns`, with the recipients the caller fetched.
    init(messageRow message: Row, recipients: [StoredRecipient]) throws {
        let dsnReturn: String? = message.optional(6)
        let envelope = Envelope(
            queueID: QueueID(unchecked: message[1]),
            sender: message[3],
            recipients: recipients.map(\.recipient),
            bodyType: try decodeStored(BodyType.self, message[4], "message.body_type"),
            smtpUTF8: message[5],
            dsnReturn: try dsnReturn.map { try decodeStored(DSNReturn.self, $0, "message.dsn_ret") },
            envelopeID: message.optional(7),
            clientAddress: message[8],
            clientHelo: message[9],
            messageID: message.optional(10),
            receivedAt: Date(unixMilliseconds: message[2]))
        let nextAttemptAt: Int64? = message.optional(14)
        self.init(
            envelope: envelope,
            recipients: recipients,
            state: try decodeStored(MessageState.self, message[12], "message.state"),
            size: message[11],
            attempts: message[13],
            nextAttemptAt: nextAttemptAt.map(Date.init(unixMilliseconds:)),
            lastError: message.optional(15))
    }
}

extension StoredRecipient {
    /// The `recipient` columns `init(row:from:)` reads, in its order, over alias `r`.
    static let columns = """
        r.address, r.orcpt, r.notify, r.verified, r.state, r.attempts, r.next_attempt_at, r.last_reply, r.updated_at
        """

    /// A row holding `columns` from position `first` on.
    init(row: Row, from first: Int) throws {
        let notify: String? = row.optional(first + 2)
        let nextAttemptAt: Int64? = row.optional(first + 6)
        self.init(
            recipient: EnvelopeRecipient(
                address: row[first],
                orcpt: row.optional(first + 1),
                notify: try notify.map { text in
                    guard let request = DSNNotifyRequest(rfc3461: text) else {
                        throw SpoolError.corrupt("recipient.notify holds unknown value '\(text)'")
                    }
                    return request
                } ?? .unspecified,
                verified: row[first + 3]),
            state: try decodeStored(RecipientState.self, row[first + 4], "recipient.state"),
            attempts: row[first + 5],
            nextAttemptAt: nextAttemptAt.map(Date.init(unixMilliseconds:)),
            lastReply: row.optional(first + 7),
            updatedAt: Date(unixMilliseconds: row[first + 8]))
    }
}
