import Foundation

extension IncomingMessage {
    /// A DSN is spooled like any message, from the null sender, as if Backstop had received it.
    package init(report: GeneratedMessage, at now: Date) {
        let envelope = Envelope(
            queueID: report.queueID, sender: report.sender,
            recipients: [EnvelopeRecipient(address: report.recipient, notify: .never)],
            bodyType: report.body, smtpUTF8: report.smtpUTF8,
            clientAddress: "127.0.0.1", clientHelo: "localhost", receivedAt: now)
        self.init(envelope: envelope, receivedHeader: [], body: .bytes(report.content))
    }
}
