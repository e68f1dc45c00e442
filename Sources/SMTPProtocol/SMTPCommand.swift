import MailCore

/// One SMTP command as sent by a client, already checked against the grammar.
public enum SMTPCommand: Hashable, Sendable {
    case ehlo(String)
    case helo(String)
    case mail(ReversePath, MailParameters)
    case rcpt(Mailbox, RecipientParameters)
    case data
    case bdat(size: Int, last: Bool)
    case rset
    case noop
    case quit
    case vrfy(String)
    case expn(String)
    case help(String?)
    case startTLS
    case auth
    /// An HTTP or proxy verb: someone is using the SMTP port for a cross-protocol attack.
    case forbidden(verb: String)
}

/// ESMTP parameters of MAIL FROM.
public struct MailParameters: Hashable, Sendable {
    public var size: Int?
    public var body: BodyType?
    public var smtpUTF8 = false
    public var ret: DSNReturn?
    /// ENVID as received, still xtext-encoded (it is passed on verbatim).
    public var envelopeID: String?

    public init() {}
}

/// ESMTP parameters of RCPT TO.
public struct RecipientParameters: Hashable, Sendable {
    public var notify: DSNNotifyRequest = .unspecified
    /// ORCPT as received (`rfc822;user+40example.org`), still xtext-encoded.
    public var originalRecipient: String?

    public init() {}
}
