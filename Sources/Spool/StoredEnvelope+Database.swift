import Foundation
import SpoolContract
import GRDB
import MailCore

extension StoredEnvelope {
    static func fetch(_ queueID: QueueID, _ db: Database) throws -> StoredEnvelope? {
        guard let message = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM message WHERE queue_id = ?"), arguments: [queueID.rawValue])
        else { return nil }

        let recipients = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM recipient WHERE message_id = ? ORDER BY position"),
            arguments: [message["id"]]
        ).map(StoredRecipient.init(row:))

        let dsnReturn: String? = message["dsn_ret"]
        let envelope = Envelope(
            queueID: queueID,
            sender: message["sender"],
            recipients: recipients.map(\.recipient),
            bodyType: try decodeStored(BodyType.self, message["body_type"], "message.body_type"),
            smtpUTF8: message["smtputf8"],
            dsnReturn: try dsnReturn.map { try decodeStored(DSNReturn.self, $0, "message.dsn_ret") },
            envelopeID: message["envid"],
            clientAddress: message["client_address"],
            clientHelo: message["client_helo"],
            messageID: message["message_id_header"],
            receivedAt: Date(unixMilliseconds: message["received_at"]))
        let nextAttemptAt: Int64? = message["next_attempt_at"]
        return StoredEnvelope(
            envelope: envelope,
            recipients: recipients,
            state: try decodeStored(MessageState.self, message["state"], "message.state"),
            size: message["size"],
            attempts: message["attempts"],
            nextAttemptAt: nextAttemptAt.map(Date.init(unixMilliseconds:)),
            lastError: message["last_error"])
    }
}

extension StoredRecipient {
    init(row: Row) throws {
        let notify: String? = row["notify"]
        let nextAttemptAt: Int64? = row["next_attempt_at"]
        self.init(
            recipient: EnvelopeRecipient(
                address: row["address"],
                orcpt: row["orcpt"],
                notify: try notify.map { text in
                    guard let request = DSNNotifyRequest(rfc3461: text) else {
                        throw SpoolError.corrupt("recipient.notify holds unknown value '\(text)'")
                    }
                    return request
                } ?? .unspecified,
                verified: row["verified"]),
            state: try decodeStored(RecipientState.self, row["state"], "recipient.state"),
            attempts: row["attempts"],
            nextAttemptAt: nextAttemptAt.map(Date.init(unixMilliseconds:)),
            lastReply: row["last_reply"],
            updatedAt: Date(unixMilliseconds: row["updated_at"]))
    }
}
