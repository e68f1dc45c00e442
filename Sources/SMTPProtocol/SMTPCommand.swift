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

/// The body type declared with MAIL's BODY parameter (RFC 6152).
public enum BodyDeclaration: String, Hashable, Sendable {
    case sevenBit = "7BIT"
    case eightBitMIME = "8BITMIME"
}

/// RFC 3461 RET.
public enum ReturnContent: String, Hashable, Sendable {
    case full = "FULL"
    case headers = "HDRS"
}

/// RFC 3461 NOTIFY.
public enum NotifyRequest: Hashable, Sendable {
    case never
    case on(success: Bool, failure: Bool, delay: Bool)

    /// The parameter value as it is written on the wire (`NEVER`, `SUCCESS,FAILURE`).
    public var parameterValue: String {
        switch self {
        case .never: return "NEVER"
        case let .on(success, failure, delay):
            var words: [String] = []
            if success { words.append("SUCCESS") }
            if failure { words.append("FAILURE") }
            if delay { words.append("DELAY") }
            return words.joined(separator: ",")
        }
    }
}

/// ESMTP parameters of MAIL FROM.
public struct MailParameters: Hashable, Sendable {
    public var size: Int?
    public var body: BodyDeclaration?
    public var smtpUTF8 = false
    public var ret: ReturnContent?
    /// ENVID as received, still xtext-encoded (it is passed on verbatim).
    public var envelopeID: String?

    public init() {}
}

/// ESMTP parameters of RCPT TO.
public struct RecipientParameters: Hashable, Sendable {
    public var notify: NotifyRequest?
    /// ORCPT as received (`rfc822;user+40example.org`), still xtext-encoded.
    public var originalRecipient: String?

    public init() {}
}
