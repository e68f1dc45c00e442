import Foundation

/// Which recipients one forwarding route delivers.
public enum RecipientScope: Sendable, Equatable {
    /// Recipients at these domains: exact names, or `.parent` for any subdomain of parent.
    case domains([String])
    /// The recipients of one `[[primary.route]]` for `domain` (exact, or `.parent`) when `routes`
    /// are the domains of every route: each recipient belongs to the most specific route only
    /// (its exact domain first, then the longest `.parent`), so two routes never claim one.
    case route(String, among: [String])
    /// Every relayed recipient except those at these domains (the default route).
    case allExcept([String])
    /// The recipients of messages Backstop wrote itself: delivery status notifications.
    case reports
}

/// A claim on a message: while it lasts, no other worker (or process) delivers that message.
public struct Lease: Hashable, Sendable {
    /// Identifies the process (and worker) holding the lease; a new one at every start.
    public var owner: String
    public var expiresAt: Date

    public init(owner: String, expiresAt: Date) {
        self.owner = owner
        self.expiresAt = expiresAt
    }
}

/// What became of one recipient in one attempt, as the ledger stores it: the reply or
/// diagnosis as text (the forwarder's `RecipientOutcome.Disposition`, written down).
public enum RecipientDisposition: Sendable, Equatable {
    case delivered(reply: String)
    case deferred(reply: String, retryAt: Date)
    case failed(reply: String)
    /// Outlived `max_age` (RFC 5321 §4.5.4.1).
    case expired(reply: String)
}

/// One delivery attempt of one message, applied atomically by `Spool.record`.
public struct AttemptRecord: Sendable {
    public var queueID: QueueID
    public var leaseOwner: String
    /// The primary host tried last, `host:port`.
    public var host: String?
    public var finishedAt: Date
    /// Per recipient address; recipients not listed stay as they were.
    public var results: [(address: String, result: RecipientDisposition)]
    /// False when the attempt never reached the message (connection failure): no retry spent.
    public var countsAsAttempt: Bool
    /// A DSN to spool in the same transaction, as kind 'report' (`RecipientScope.reports`).
    /// Dropped when the attempt changed no recipient: someone else already recorded and reported it.
    public var report: IncomingMessage?
    /// When the lease runs out, on the clock of `finishedAt`: how long `Spool.record` may keep
    /// trying to write the outcome. Nil: a few minutes.
    public var leaseExpiresAt: Date?

    public init(queueID: QueueID, leaseOwner: String, host: String?, finishedAt: Date,
                results: [(address: String, result: RecipientDisposition)], countsAsAttempt: Bool,
                report: IncomingMessage? = nil, leaseExpiresAt: Date? = nil) {
        self.queueID = queueID
        self.leaseOwner = leaseOwner
        self.host = host
        self.finishedAt = finishedAt
        self.results = results
        self.countsAsAttempt = countsAsAttempt
        self.report = report
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// One change of a primary host's state, as kept in the health history.
public struct HealthRecord: Sendable, Equatable {
    public var host: String
    public var from: String
    public var to: String
    public var at: Date
    public var reason: String

    public init(host: String, from: String, to: String, at: Date, reason: String) {
        self.host = host
        self.from = from
        self.to = to
        self.at = at
        self.reason = reason
    }
}

/// One row of the delivery log.
public struct DeliveryLogEntry: Sendable, Equatable {
    public var queueID: String
    public var recipient: String
    public var at: Date
    public var host: String?
    public var outcome: String
    public var reply: String?

    package init(queueID: String, recipient: String, at: Date, host: String?, outcome: String, reply: String?) {
        self.queueID = queueID
        self.recipient = recipient
        self.at = at
        self.host = host
        self.outcome = outcome
        self.reply = reply
    }
}
