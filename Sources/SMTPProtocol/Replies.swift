/// The replies Backstop's server gives, in one place so codes stay consistent.
///
/// Codes follow RFC 5321 §4.2; enhanced codes follow RFC 3463 and RFC 5248.
public enum Replies {
    // Syntax and sequence
    public static let unrecognized = SMTPReply(500, .init(5, 5, 2), "Command not recognized")
    public static let lineTooLong = SMTPReply(500, .init(5, 5, 2), "Line too long")
    public static let bareLineEnding = SMTPReply(500, .init(5, 5, 2), "Bare CR or LF in command; lines must end with CRLF")
    public static let nulInCommand = SMTPReply(500, .init(5, 5, 2), "NUL byte in command")
    public static let invalidUTF8 = SMTPReply(500, .init(5, 5, 2), "Command is not valid UTF-8")
    public static let badBDATSyntax = SMTPReply(501, .init(5, 5, 4), "Syntax: BDAT <size> [LAST]")
    public static let needHelo = SMTPReply(503, .init(5, 5, 1), "Send EHLO or HELO first")
    public static let needMail = SMTPReply(503, .init(5, 5, 1), "Send MAIL first")
    public static let needRecipient = SMTPReply(503, .init(5, 5, 1), "Send RCPT first")
    public static let nestedMail = SMTPReply(503, .init(5, 5, 1), "MAIL already given; send RSET to start over")
    public static let recipientAfterBDAT = SMTPReply(503, .init(5, 5, 1), "RCPT not allowed after BDAT in the same transaction")
    public static let noValidRecipients = SMTPReply(554, .init(5, 5, 1), "No valid recipients")
    public static let dataAfterBDAT = SMTPReply(503, .init(5, 5, 1), "DATA not allowed after BDAT in the same transaction")
    public static let bdatFailed = SMTPReply(503, .init(5, 5, 1), "Transaction failed earlier; send RSET")
    public static let notImplemented = SMTPReply(502, .init(5, 5, 1), "Command not implemented")
    public static let authNotOffered = SMTPReply(502, .init(5, 5, 1), "AUTH not offered: this is a backup MX, not a submission server")
    public static let tlsNotAvailable = SMTPReply(502, .init(5, 5, 1), "STARTTLS not offered")
    public static let tlsAlreadyActive = SMTPReply(503, .init(5, 5, 1), "TLS already active")
    /// SMTPUTF8 asked of a server that cannot pass it on: RFC 6531's status for addresses, 5.6.7.
    public static let smtpUTF8NotAvailable = SMTPReply(553, .init(5, 6, 7),
                                                       "SMTPUTF8 is not available: the destination mail host does not support it")
    /// RFC 6152 needs 8BITMIME advertised before BODY=8BITMIME; it is not when the primary lacks it.
    public static let eightBitMIMENotAvailable = SMTPReply(555, .init(5, 5, 4),
                                                           "BODY=8BITMIME is not available: the destination mail host does not support it")
    public static let needSMTPUTF8 = SMTPReply(553, .init(5, 6, 7), "Non-ASCII address requires the SMTPUTF8 parameter on MAIL")

    // Positive
    public static let ok = SMTPReply(250, .init(2, 0, 0), "Ok")
    public static let senderOk = SMTPReply(250, .init(2, 1, 0), "Sender ok")
    public static let recipientOk = SMTPReply(250, .init(2, 1, 5), "Recipient ok")
    public static let resetOk = SMTPReply(250, .init(2, 0, 0), "Reset ok")
    public static let startData = SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>")
    public static let readyForTLS = SMTPReply(220, .init(2, 0, 0), "Ready to start TLS")
    public static let cannotVerify = SMTPReply(252, .init(2, 5, 0), "Cannot VRFY user, but will accept message and attempt delivery")
    public static let help = SMTPReply(214, .init(2, 0, 0), [
        "Backstop backup MX. Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS",
        "See RFC 5321",
    ])

    // Policy
    public static let relayDenied = SMTPReply(550, .init(5, 7, 1), "Relaying denied")
    /// Mail for the journal address without an SPF or DKIM pass for a relay domain: only the
    /// primary may put a copy in users' inboxes.
    public static let journalNotProven = SMTPReply(550, .init(5, 7, 1), "Journal copies are taken only from the primary: no SPF or DKIM pass for a relay domain")
    /// A sender at an address literal: a DSN to it would go to whatever host the client named.
    public static let senderLiteral = SMTPReply(553, .init(5, 1, 7), "Address literals are not accepted as sender addresses")
    /// A sender whose domain cannot be a mail domain by its syntax (no dot, a numeric top label).
    public static let senderDomainInvalid = SMTPReply(550, .init(5, 1, 8), "Sender domain cannot receive mail: it needs a dot and a top-level label that is not a number")
    public static let unknownUser = SMTPReply(550, .init(5, 1, 1), "Recipient address rejected: user unknown")
    /// Recipient verification could not ask the primary and knows nothing of the address.
    public static let recipientNotVerified = SMTPReply(450, .init(4, 1, 1),
                                                       "Recipient address not verified: the primary mail host is down, try again later")
    public static let tooManyRecipients = SMTPReply(452, .init(4, 5, 3), "Too many recipients")
    public static let messageTooBig = SMTPReply(552, .init(5, 3, 4), "Message size exceeds fixed maximum message size")
    public static let tooManyHops = SMTPReply(554, .init(5, 4, 6), "Too many Received: headers: mail loop detected")
    public static let badLineEndingInData = SMTPReply(550, .init(5, 6, 0), "Message contains a bare CR or LF; lines must end with CRLF")
    public static let nulInData = SMTPReply(550, .init(5, 6, 0), "Message contains a NUL byte")
    public static let dataLineTooLong = SMTPReply(550, .init(5, 6, 0), "Message has a line longer than 998 characters (RFC 5321 section 4.5.3.1.6)")

    // Connection
    public static let tooManyErrors = SMTPReply(421, .init(4, 7, 0), "Too many errors, closing connection")
    public static let tooManyConnections = SMTPReply(421, .init(4, 7, 0), "Too many connections, try again later")
    public static let tooManyConnectionsFromYou = SMTPReply(421, .init(4, 7, 0), "Too many connections from your address, try again later")
    public static let timeout = SMTPReply(421, .init(4, 4, 2), "Timeout exceeded, closing connection")
    public static let shuttingDown = SMTPReply(421, .init(4, 3, 2), "Service shutting down, try again later")
    public static let synchronizationError = SMTPReply(554, .init(5, 5, 0),
                                                       "SMTP synchronization error: data sent before the reply to DATA")
    public static let forbiddenCommand = SMTPReply(521, .init(5, 5, 1), "This is an SMTP server, closing connection")

    public static let primaryIsUp = SMTPReply(451, .init(4, 4, 3), "The primary mail host is up; deliver there, this is a backup MX")

    // Spool
    public static let spoolFull = SMTPReply(452, .init(4, 3, 1), "Insufficient system storage, try again later")
    public static let spoolError = SMTPReply(451, .init(4, 3, 0), "Local error in processing, try again later")

    public static func queued(_ queueID: String) -> SMTPReply {
        SMTPReply(250, .init(2, 0, 0), "Ok: queued as \(queueID)")
    }
}
