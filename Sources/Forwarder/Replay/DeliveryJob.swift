#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SMTPProtocol
import SpoolContract
import MailCore

/// One envelope recipient of a spooled message, with the DSN parameters it arrived with.
public struct JobRecipient: Hashable, Sendable {
    /// Where the recipient stands.
    public enum State: Hashable, Sendable {
        /// Not yet accepted by the primary: never tried, or deferred earlier.
        case pending
        /// The primary answered 2xx after DATA: final.
        case delivered
        /// Permanently failed or expired, and reported where NOTIFY asked: final.
        case failed
    }

    /// The address as the sender wrote it at RCPT, without angle brackets.
    public var address: String
    /// ORCPT as received (`rfc822;user+40example.org`), still xtext-encoded.
    public var originalRecipient: String?
    public var notify: DSNNotifyRequest
    public var state: State
    /// Why the last attempt for this recipient did not succeed; the DSN quotes it on expiry.
    public var lastProblem: Diagnosis?
    /// Known to exist when it was accepted (recipients file, or confirmed by the primary).
    /// A failure report about a recipient that was not returns headers only.
    public var verified: Bool

    public init(address: String, originalRecipient: String? = nil, notify: DSNNotifyRequest = .unspecified,
                state: State = .pending, lastProblem: Diagnosis? = nil, verified: Bool = false) {
        self.address = address
        self.originalRecipient = originalRecipient
        self.notify = notify
        self.state = state
        self.lastProblem = lastProblem
        self.verified = verified
    }
}

/// One spooled message as the forwarder needs it: the envelope and what to pass on at MAIL.
///
/// The content itself is read separately through `DeliveryLedger.readContent`, chunk by chunk,
/// so a job is small whatever the message size.
public struct DeliveryJob: Hashable, Sendable {
    /// The spool's identifier of the message.
    public var queueID: QueueID
    public var route: RouteID
    /// The reverse-path address as received; empty for the null sender `<>`.
    public var sender: String
    /// The recipients of this route. A message whose recipients span routes is one job per route.
    public var recipients: [JobRecipient]
    public var ret: DSNReturn?
    /// ENVID as received, still xtext-encoded (passed on verbatim).
    public var envelopeID: String?
    /// The sender asked for SMTPUTF8: the message may only go to a primary that offers it.
    public var smtpUTF8: Bool
    public var body: BodyType?
    /// Octets of the stored content (what `readContent` returns in total).
    public var size: Int
    public var receivedAt: Date
    /// Attempts that reached the primary's MAIL command or further; drives the backoff.
    public var attempts: Int
    /// The lease under which this job was claimed.
    public var lease: Lease

    public init(queueID: QueueID, route: RouteID = .defaultRoute, sender: String, recipients: [JobRecipient],
                ret: DSNReturn? = nil, envelopeID: String? = nil, smtpUTF8: Bool = false,
                body: BodyType? = nil, size: Int, receivedAt: Date, attempts: Int = 0, lease: Lease) {
        self.queueID = queueID
        self.route = route
        self.sender = sender
        self.recipients = recipients
        self.ret = ret
        self.envelopeID = envelopeID
        self.smtpUTF8 = smtpUTF8
        self.body = body
        self.size = size
        self.receivedAt = receivedAt
        self.attempts = attempts
        self.lease = lease
    }

    public var isNullSender: Bool { sender.isEmpty }

    public var pendingRecipients: [JobRecipient] { recipients.filter { $0.state == .pending } }
}
