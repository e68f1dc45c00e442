import Foundation


/// Where a spooled message stands for an operator: the forwarder's view (held or not, leased or
/// not) folded together with its recipients' states, as Postfix's hold/active/deferred/incoming.
public enum QueueState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its first attempt: no recipient has been deferred yet.
    case queued
    /// At least one recipient was tried and deferred; retried at `nextAttemptAt`.
    case deferred
    /// Kept out of replay by an operator until released; never expires.
    case held
    /// Leased by the forwarder: an attempt is under way.
    case inFlight = "in-flight"
}

/// Which messages an operator command applies to. Every condition set must hold; an empty
/// filter matches every message.
public struct QueueFilter: Sendable, Equatable {
    public var state: QueueState?
    /// A pending recipient at this domain (case-insensitive); `.example.org` means any
    /// subdomain of example.org, as in `[relay] domains`.
    public var recipientDomain: String?
    /// The sender's address (case-insensitive), `@example.org` for any sender at that domain,
    /// or `<>` (or the empty string) for the null sender of bounces.
    public var sender: String?
    /// Arrived before this instant (`--older-than`).
    public var receivedBefore: Date?

    public init(state: QueueState? = nil, recipientDomain: String? = nil, sender: String? = nil,
                receivedBefore: Date? = nil) {
        self.state = state
        self.recipientDomain = recipientDomain
        self.sender = sender
        self.receivedBefore = receivedBefore
    }

    public var isEmpty: Bool { self == QueueFilter() }
}

/// The messages an operator names: by queue ID, or every message a filter matches.
public enum QueueSelection: Sendable, Equatable {
    /// All must be spooled, else nothing changes (`MessagesNotFound`).
    case messages([QueueID])
    case matching(QueueFilter)
}

/// Some queue IDs an operator named are not (or no longer) in the spool.
public struct MessagesNotFound: Error, Sendable, Equatable, CustomStringConvertible {
    public var queueIDs: [QueueID]

    public init(queueIDs: [QueueID]) {
        self.queueIDs = queueIDs
    }

    public var description: String {
        let list = queueIDs.map(\.rawValue).joined(separator: ", ")
        let noun = queueIDs.count == 1 ? "message" : "messages"
        return "no \(noun) \(list) in the spool (delivered, returned or removed already?)"
    }
}
