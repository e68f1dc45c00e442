import GRDB
import MailNames
import SpoolContract

/// A `RecipientScope` as SQL, for claims and counts.
extension Spool {
    /// SQL over `recipient r` selecting the scope's recipients, its arguments, and the message kind.
    static func scopeFilter(_ scope: RecipientScope) -> (sql: String, arguments: StatementArguments, kind: String) {
        func matching(_ domains: [String], prefix: String = "d") -> (String, StatementArguments) {
            var clauses: [String] = []
            var arguments = StatementArguments()
            // In the form recipients' domains are stored in: A-labels, ASCII lowercased.
            for (index, domain) in domains.map({ MailDomain.pattern($0) ?? MailScalars.asciiLowercased($0) }).enumerated() {
                let name = "\(prefix)\(index)"
                // A suffix comparison, not LIKE: '_' is a wildcard there and may occur in names.
                clauses.append(domain.utf8.first == UInt8(ascii: ".")
                    ? "substr(r.domain, -length(:\(name))) = :\(name)"
                    : "r.domain = :\(name)")
                arguments += [name: domain]
            }
            return (clauses.isEmpty ? "0" : "(" + clauses.joined(separator: " OR ") + ")", arguments)
        }
        switch scope {
        case .domains(let domains):
            let (sql, arguments) = matching(domains)
            return (sql, arguments, MessageWriter.Kind.relay.rawValue)
        case .route(let domain, let routes):
            let domain = domain.lowercased()
            let moreSpecific = RecipientScope.moreSpecificRoutes(than: domain, among: routes)
            let (own, ownArguments) = matching([domain], prefix: "d")
            guard !moreSpecific.isEmpty else { return (own, ownArguments, MessageWriter.Kind.relay.rawValue) }
            let (others, otherArguments) = matching(moreSpecific, prefix: "x")
            return ("(\(own) AND NOT \(others))", ownArguments + otherArguments, MessageWriter.Kind.relay.rawValue)
        case .allExcept(let domains):
            let (sql, arguments) = matching(domains)
            return ("NOT \(sql)", arguments, MessageWriter.Kind.relay.rawValue)
        case .reports:
            return ("1", StatementArguments(), MessageWriter.Kind.report.rawValue)
        }
    }
}
