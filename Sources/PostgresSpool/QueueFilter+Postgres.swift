import MailNames
import SpoolContract

/// SQL over `message m` for the operator's queries, as the SQLite spool's `QueueSQL`.
enum PostgresQueueSQL {
    /// The message's `QueueState` at `now` (a placeholder already bound), as text.
    static func state(now: String) -> String {
        """
        CASE WHEN m.state = 'held' THEN 'held'
             WHEN m.lease_owner IS NOT NULL AND coalesce(m.lease_expires_at, 0) > \(now) THEN 'in-flight'
             WHEN EXISTS (SELECT 1 FROM recipient d WHERE d.message_id = m.id AND d.state = 'deferred')
                  THEN 'deferred'
             ELSE 'queued' END
        """
    }

    /// Appends the WHERE condition of `filter`; `now` is the placeholder of the operator's clock.
    static func addCondition(_ filter: QueueFilter, now: String, to statement: inout SQLText) {
        statement.add("true")
        if let state = filter.state {
            let value = statement.bind(state.rawValue)
            statement.add(" AND (\(Self.state(now: now))) = \(value)::text")
        }
        if let written = filter.recipientDomain {
            // In the form the recipient's domain is stored in (A-labels, ASCII lowercased).
            let domain = MailDomain.pattern(written) ?? MailScalars.asciiLowercased(written)
            let value = statement.bind(domain)
            // A suffix comparison rather than LIKE, where '_' would be a wildcard.
            let match = domain.utf8.first == UInt8(ascii: ".")
                ? "right(r.domain, length(\(value)::text)) = \(value)::text" : "r.domain = \(value)::text"
            statement.add("""
                 AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                             AND r.state IN \(RecipientScope.pendingStates) AND \(match))
                """)
        }
        // ASCII letters only, as the filter lowercases them: the "C" collation's lower().
        if let sender = filter.sender.map(MailScalars.asciiLowercased) {
            let value = statement.bind(sender == "<>" ? "" : sender)
            if sender.utf8.first == UInt8(ascii: "@") {
                statement.add(" AND right(lower(m.sender COLLATE \"C\"), length(\(value)::text)) = \(value)::text")
            } else {
                statement.add(" AND lower(m.sender COLLATE \"C\") = \(value)::text")
            }
        }
        if let before = filter.receivedBefore {
            let value = statement.bind(before.unixMilliseconds)
            statement.add(" AND m.received_at < \(value)")
        }
    }
}
