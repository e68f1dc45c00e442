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
