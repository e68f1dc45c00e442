import Foundation
import GRDB
import MailNames
import SpoolContract

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
