import Foundation
import MailCore

/// What became of one recipient in one attempt: the SMTP client decides it, the scheduler
/// records it, the ledger writes it (`last_reply` and the delivery log keep its text).
public enum RecipientDisposition: Hashable, Sendable {
    /// Final: the primary took it.
    case delivered(SMTPReply)
    /// Stays pending; not due again before `retryAt`. The SMTP client leaves the time nil and
    /// the scheduler's retry policy sets it; a ledger writes nil as due at once.
    case deferred(Diagnosis, retryAt: Date?)
    /// Final: permanently refused.
    case failed(Diagnosis)
    /// Final: outlived `max_age` (RFC 5321 §4.5.4.1); the diagnosis quotes the last problem.
    case expired(Diagnosis)

    /// The line stored for the recipient and in the delivery log.
    public var storedText: String {
        switch self {
        case .delivered(let reply): reply.description
        case .deferred(let diagnosis, _), .failed(let diagnosis), .expired(let diagnosis): diagnosis.storedText
        }
    }
}

/// The result for one recipient of one attempt.
public struct RecipientOutcome: Hashable, Sendable {
    public var address: String
    public var disposition: RecipientDisposition

    public init(address: String, disposition: RecipientDisposition) {
        self.address = address
        self.disposition = disposition
    }
}

/// One delivery attempt of one message, applied atomically by `DeliveryLedger.record`.
public struct DeliveryAttempt: Hashable, Sendable {
    public var queueID: QueueID
    /// The lease the attempt ran under; its expiry bounds how long the ledger may keep trying
    /// to write the outcome.
    public var lease: Lease
    /// The primary host tried last (`host:port`), nil when none could be tried.
    public var host: String?
    public var startedAt: Date
    public var finishedAt: Date
    /// One per recipient that was attempted; recipients not listed are left as they were.
    public var outcomes: [RecipientOutcome]
    /// False when the attempt never reached the message because the host was unreachable: the
    /// counter, which drives the backoff, is left alone and the deferred recipients stay due,
    /// as the route pauses instead.
    public var countsAsAttempt: Bool
    /// A DSN to spool in the same transaction, if this attempt produced one. Dropped when the
    /// attempt changed no recipient: someone else already recorded and reported them.
    public var report: GeneratedMessage?
    /// The route the attempt went over: only a primary's acceptance says that an address exists
    /// (recipient verification), a sender's MX accepting a DSN says nothing about our domains.
    public var route: RouteID

    public init(queueID: QueueID, lease: Lease, host: String?, startedAt: Date, finishedAt: Date,
                outcomes: [RecipientOutcome], countsAsAttempt: Bool, report: GeneratedMessage? = nil,
                route: RouteID = .defaultRoute) {
        self.route = route
        self.queueID = queueID
        self.lease = lease
        self.host = host
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcomes = outcomes
        self.countsAsAttempt = countsAsAttempt
        self.report = report
    }
}

/// A message Backstop writes itself (a DSN), to be spooled and delivered like any other.
public struct GeneratedMessage: Hashable, Sendable {
    /// Its own queue ID, given when it is written, so logs can follow it from the start.
    public var queueID: QueueID
    /// Which route delivers it (the bounce route for DSNs).
    public var route: RouteID
    /// Empty: DSNs are sent from the null sender, so they can never bounce back (RFC 3464 §2).
    public var sender: String
    public var recipient: String
    public var body: BodyType
    public var smtpUTF8: Bool
    /// The complete message: CRLF lines, not dot-stuffed.
    public var content: [UInt8]

    public init(queueID: QueueID = .generate(), route: RouteID, sender: String, recipient: String, body: BodyType,
                smtpUTF8: Bool, content: [UInt8]) {
        self.queueID = queueID
        self.route = route
        self.sender = sender
        self.recipient = recipient
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.content = content
    }
}
