import MailNames
import SpoolContract

/// A `RecipientScope` as SQL over `recipient r`, exactly as the SQLite spool reads it.
extension RecipientScope {
    /// The message kind the scope covers.
    var messageKind: String {
        if case .reports = self { "report" } else { "relay" }
    }

    /// Appends the condition selecting the scope's recipients.
    func addCondition(to statement: inout SQLText) {
        switch self {
        case .domains(let domains):
            Self.addMatch(domains, to: &statement)
        case .route(let domain, let routes):
            let domain = domain.lowercased()
            let moreSpecific = Self.moreSpecificRoutes(than: domain, among: routes)
            statement.add("(")
            Self.addMatch([domain], to: &statement)
            if !moreSpecific.isEmpty {
                statement.add(" AND NOT ")
                Self.addMatch(moreSpecific, to: &statement)
            }
            statement.add(")")
        case .allExcept(let domains):
            statement.add("NOT ")
            Self.addMatch(domains, to: &statement)
        case .reports:
            statement.add("true")
        }
    }

    /// Whether recipient `r` is at a domain in `route_pause`, exactly or below a `.parent` entry.
    static let paused = """
        EXISTS (SELECT 1 FROM route_pause p WHERE p.domain = r.domain
                OR (left(p.domain, 1) = '.' AND right(r.domain, length(p.domain)) = p.domain))
        """

    /// Recipient states still to be delivered.
    static let pendingStates = "('queued', 'deferred')"

    private static func addMatch(_ domains: [String], to statement: inout SQLText) {
        // In the form recipients' domains are stored in: A-labels, ASCII lowercased.
        let patterns = domains.map { MailDomain.pattern($0) ?? MailScalars.asciiLowercased($0) }
        guard !patterns.isEmpty else {
            statement.add("false")
            return
        }
        statement.add("(")
        for (index, pattern) in patterns.enumerated() {
            if index > 0 { statement.add(" OR ") }
            let value = statement.bind(pattern)
            // A suffix comparison, not LIKE: '_' is a wildcard there and may occur in names.
            statement.add(pattern.utf8.first == UInt8(ascii: ".")
                ? "right(r.domain, length(\(value)::text)) = \(value)::text"
                : "r.domain = \(value)::text")
        }
        statement.add(")")
    }
}
