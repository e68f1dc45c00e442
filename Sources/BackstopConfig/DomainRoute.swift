import MailNames

/// `[[primary.route]]`: mail for one domain goes to its own hosts instead of
/// `[primary] hosts`, e.g. a domain hosted on another mail server.
public struct DomainRoute: Hashable, Sendable {
    /// Lowercased; `.example.org` means any subdomain of example.org (not example.org
    /// itself), as in `[relay] domains`.
    public var domain: String
    /// Tried in order, failing over to the next; never empty.
    public var hosts: [MailHost]

    public init(domain: String, hosts: [MailHost]) {
        self.domain = domain
        self.hosts = hosts
    }

    /// Whether the route applies to mail for `domain` (U-labels or A-labels, any case).
    public func matches(_ domain: String) -> Bool {
        MailDomain(domain)?.matches(pattern: self.domain) ?? false
    }
}

extension DomainRoute {
    static var tables: TableList<DomainRoute> {
        TableList(
            header: "primary.route",
            blank: DomainRoute(domain: "", hosts: []),
            keys: [
                ConfigKey("domain", \.domain, .text { text throws(ValueError) in
                    try RelaySettings.relayDomain(text, use: "route")
                }),
                ConfigKey("hosts", \.hosts, .mailHosts()),
            ],
            required: ["domain", "hosts"])
    }
}

extension PrimarySettings {
    /// The route for mail to `domain`, if any: a route for the domain itself wins over one
    /// for its subdomains, and among those the most specific wins.
    public func route(for domain: String) -> DomainRoute? {
        let matching = routes.filter { $0.matches(domain) }
        if let exact = matching.first(where: { $0.domain.utf8.first != UInt8(ascii: ".") }) { return exact }
        return matching.max { $0.domain.utf8.count < $1.domain.utf8.count }
    }

    /// Where mail for `domain` goes, in order of preference. Empty: it stays queued.
    public func hosts(for domain: String) -> [MailHost] {
        route(for: domain)?.hosts ?? hosts
    }
}
