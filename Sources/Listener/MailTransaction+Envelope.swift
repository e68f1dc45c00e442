import Foundation
import SMTPProtocol
import Spool

extension MailTransaction {
    /// The envelope the spool stores for this transaction: addresses as the client wrote them,
    /// DSN parameters as received.
    func envelope(queueID: QueueID, clientAddress: String, clientHelo: String, messageID: String?,
                  receivedAt: Date) -> Envelope {
        let recipients = recipients.map { recipient in
            EnvelopeRecipient(address: recipient.mailbox.text,
                              orcpt: recipient.parameters.originalRecipient,
                              notify: recipient.parameters.notify.map(Self.notify) ?? .unspecified,
                              verified: recipient.verified)
        }
        return Envelope(
            queueID: queueID, sender: sender.address, recipients: recipients,
            bodyType: parameters.body == .eightBitMIME ? .eightBitMIME : .sevenBit,
            smtpUTF8: parameters.smtpUTF8,
            dsnReturn: parameters.ret.map { $0 == .full ? .full : .headers },
            envelopeID: parameters.envelopeID,
            clientAddress: clientAddress, clientHelo: clientHelo,
            messageID: messageID, receivedAt: receivedAt)
    }

    private static func notify(_ request: NotifyRequest) -> DSNNotifyRequest {
        switch request {
        case .never: return .never
        case let .on(success, failure, delay):
            var events: DSNNotify = []
            if success { events.insert(.success) }
            if failure { events.insert(.failure) }
            if delay { events.insert(.delay) }
            return .on(events)
        }
    }
}
