import SMTPProtocol
import SpoolContract

extension RecipientDisposition {
    /// Classifies a problem by its own temporariness, once, from the reply code or the kind of
    /// failure; nothing downstream parses text. A deferral's time is left to the scheduler's
    /// `RetryPolicy`.
    public init(_ problem: DeliveryProblem, remoteHost: String?) {
        let diagnosis = problem.diagnosis(remoteHost: remoteHost)
        self = problem.isPermanent ? .failed(diagnosis) : .deferred(diagnosis, retryAt: nil)
    }

    public var isFinal: Bool {
        if case .deferred = self { return false }
        return true
    }
}

/// Why a recipient was not delivered.
public enum DeliveryProblem: Hashable, Sendable, CustomStringConvertible {
    /// The primary answered the MAIL, RCPT or DATA step with this 4xx or 5xx.
    case rejected(SMTPReply, at: SMTPStep)
    /// The connection failed before the primary said anything about this recipient.
    case connection(ConnectionFailure)
    /// The message needs SMTPUTF8 (RFC 6531) and the primary does not offer it.
    case needsSMTPUTF8
    /// The message is larger than the SIZE the primary declared (RFC 1870).
    case tooLarge(size: Int, limit: Int)
    /// Backstop itself failed (the spool could not be read); temporary.
    case local(String)
    /// The message outlived `[spool] max_age` (RFC 5321 §4.5.4.1); `last` is why the last
    /// attempt did not succeed.
    case expired(last: Diagnosis)
    /// No host could be found for the recipient's domain (`HostResolver`): a null MX or a
    /// domain that does not exist (class 5), or a DNS failure (class 4).
    case unroutable(Diagnosis)

    public var isPermanent: Bool {
        switch self {
        case .rejected(let reply, _): return reply.isPermanentFailure
        case .connection, .local: return false
        case .needsSMTPUTF8, .tooLarge, .expired: return true
        case .unroutable(let diagnosis): return diagnosis.status.klass == 5
        }
    }

    /// The form kept in the spool and quoted in DSNs.
    public func diagnosis(remoteHost: String?) -> Diagnosis {
        switch self {
        case let .rejected(reply, step):
            let status = reply.status ?? EnhancedStatusCode(reply.code / 100, 0, 0)
            return Diagnosis(status: status, reply: reply, remoteHost: remoteHost,
                             summary: "\(reply) (in reply to \(step))")
        case .connection(let failure):
            return Diagnosis(status: failure.status, reply: failure.reply, remoteHost: remoteHost,
                             summary: failure.description)
        case .needsSMTPUTF8:
            return Diagnosis(status: .init(5, 6, 7), reply: nil, remoteHost: remoteHost,
                             summary: "the message needs SMTPUTF8 and the primary does not offer it")
        case let .tooLarge(size, limit):
            return Diagnosis(status: .init(5, 3, 4), reply: nil, remoteHost: remoteHost,
                             summary: "message of \(size) octets exceeds the primary's SIZE limit of \(limit)")
        case .local(let why):
            return Diagnosis(status: .init(4, 3, 0), reply: nil, remoteHost: nil, summary: why)
        case .expired(let last):
            return Diagnosis(status: .init(4, 4, 7), reply: last.reply, remoteHost: last.remoteHost ?? remoteHost,
                             summary: "gave up: the message stayed in the queue past its maximum age; last problem: \(last.summary)")
        case .unroutable(let diagnosis):
            return diagnosis
        }
    }

    public var description: String { diagnosis(remoteHost: nil).summary }
}

/// The steps of an SMTP client dialogue; each has its own timeout (RFC 5321 §4.5.3.2).
public enum SMTPStep: String, Hashable, Sendable, CustomStringConvertible {
    case connect
    case greeting
    case ehlo = "EHLO"
    case helo = "HELO"
    case startTLS = "STARTTLS"
    case tlsHandshake = "TLS handshake"
    case mail = "MAIL"
    case rcpt = "RCPT"
    case data = "DATA"
    case dataBlock = "message content"
    case dataEnd = "end of data"
    case rset = "RSET"
    case quit = "QUIT"

    public var description: String { rawValue }
}
