import Foundation
import MailCore

/// One recipient of the envelope, with its RFC 3461 parameters.
public struct EnvelopeRecipient: Sendable, Equatable, Codable {
    /// The forward-path as received, without angle brackets.
    public var address: String
    /// `ORCPT=` exactly as received (`addr-type;xtext`), if any.
    public var orcpt: String?
    public var notify: DSNNotifyRequest
    /// Known to exist when it was accepted: listed in the recipients file, or confirmed by the
    /// primary (a callout, or its remembered answer). A DSN about a recipient that was not
    /// returns only the headers, so a forged sender cannot have the content mailed to itself.
    public var verified: Bool

    public init(address: String, orcpt: String? = nil, notify: DSNNotifyRequest = .unspecified, verified: Bool = false) {
        self.address = address
        self.orcpt = orcpt
        self.notify = notify
        self.verified = verified
    }
}

/// Everything the SMTP transaction said about a message, apart from its content.
public struct Envelope: Sendable, Equatable, Codable {
    public var queueID: QueueID
    /// The reverse-path without angle brackets; empty for the null reverse-path `<>`.
    public var sender: String
    /// In the order of the RCPT commands.
    public var recipients: [EnvelopeRecipient]
    public var bodyType: BodyType
    public var smtpUTF8: Bool
    public var dsnReturn: DSNReturn?
    /// `ENVID=` exactly as received, still xtext-encoded: it is passed on verbatim.
    public var envelopeID: String?
    public var clientAddress: String
    public var clientHelo: String
    /// The `Message-ID:` header value, kept to recognise duplicates later.
    public var messageID: String?
    /// Stored with millisecond precision.
    public var receivedAt: Date

    public init(
        queueID: QueueID,
        sender: String,
        recipients: [EnvelopeRecipient],
        bodyType: BodyType = .sevenBit,
        smtpUTF8: Bool = false,
        dsnReturn: DSNReturn? = nil,
        envelopeID: String? = nil,
        clientAddress: String,
        clientHelo: String,
        messageID: String? = nil,
        receivedAt: Date
    ) {
        self.queueID = queueID
        self.sender = sender
        self.recipients = recipients
        self.bodyType = bodyType
        self.smtpUTF8 = smtpUTF8
        self.dsnReturn = dsnReturn
        self.envelopeID = envelopeID
        self.clientAddress = clientAddress
        self.clientHelo = clientHelo
        self.messageID = messageID
        self.receivedAt = receivedAt
    }
}
