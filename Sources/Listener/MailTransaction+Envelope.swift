import Foundation
import MailCore
import SMTPProtocol
import Spool
import SpoolContract

extension MailTransaction {
    /// The envelope the spool stores for this transaction: addresses as the client wrote them,
    /// DSN parameters as received.
    func envelope(queueID: QueueID, clientAddress: String, clientHelo: String, messageID: String?,
                  receivedAt: Date) -> Envelope {
        let recipients = recipients.map { recipient in
            EnvelopeRecipient(address: recipient.mailbox.text,
                              orcpt: recipient.parameters.originalRecipient,
                              notify: recipient.parameters.notify,
                              verified: recipient.verified)
        }
        return Envelope(
            queueID: queueID, sender: sender.address, recipients: recipients,
            bodyType: parameters.body ?? .sevenBit,
            smtpUTF8: parameters.smtpUTF8,
            dsnReturn: parameters.ret,
            envelopeID: parameters.envelopeID,
            clientAddress: clientAddress, clientHelo: clientHelo,
            messageID: messageID, receivedAt: receivedAt)
    }
}
