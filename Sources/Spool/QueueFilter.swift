import Foundation
import GRDB
import MailNames

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

/// SQL fragments over `message m` for the operator queries. Times are bound, never inlined.
enum QueueSQL {
    /// The message's `QueueState` at `:now`, as text.
    static let state = """
        CASE WHEN m.state = 'held' THEN 'held'
             WHEN m.lease_owner IS NOT NULL AND coalesce(m.lease_expires_at, 0) > :now THEN 'in-flight'
             WHEN EXISTS (SELECT 1 FROM recipient d WHERE d.message_id = m.id AND d.state = 'deferred')
                  THEN 'deferred'
             ELSE 'queued' END
        """

    /// Whether recipient `alias` is at a domain named by `route_pause`, exactly or as a subdomain
    /// of a `.parent` entry.
    static func paused(_ alias: String) -> String {
        """
        EXISTS (SELECT 1 FROM route_pause p WHERE p.domain = \(alias).domain
                OR (substr(p.domain, 1, 1) = '.' AND substr(\(alias).domain, -length(p.domain)) = p.domain))
        """
    }

    /// The WHERE clause (over `message m`) of `filter`, with its arguments; `:now` must be bound.
    static func condition(_ filter: QueueFilter) -> (sql: String, arguments: StatementArguments) {
        var clauses: [String] = ["1"]
        var arguments = StatementArguments()
        if let state = filter.state {
            clauses.append("(\(Self.state)) = :state")
            arguments += ["state": state.rawValue]
        }
        if let written = filter.recipientDomain {
            // In the form the recipient's domain is stored in (A-labels, ASCII lowercased).
            let domain = MailDomain.pattern(written) ?? MailScalars.asciiLowercased(written)
            // A suffix comparison rather than LIKE, where '_' would be a wildcard.
            let match = domain.utf8.first == UInt8(ascii: ".") ? "substr(r.domain, -length(:domain)) = :domain" : "r.domain = :domain"
            clauses.append("""
                EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                        AND r.state IN \(Spool.pendingStates) AND \(match))
                """)
            arguments += ["domain": domain]
        }
        // SQLite's lower() maps ASCII letters only; so does the filter.
        if let sender = filter.sender.map(MailScalars.asciiLowercased) {
            if sender.utf8.first == UInt8(ascii: "@") {
                clauses.append("substr(lower(m.sender), -length(:sender)) = :sender")
            } else {
                clauses.append("lower(m.sender) = :sender")
            }
            arguments += ["sender": sender == "<>" ? "" : sender]
        }
        if let before = filter.receivedBefore {
            clauses.append("m.received_at < :before")
            arguments += ["before": before.unixMilliseconds]
        }
        return (clauses.joined(separator: " AND "), arguments)
    }
}
