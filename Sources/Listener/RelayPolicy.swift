import SMTPProtocol

/// Answers "may this recipient be relayed through us?" — the never-an-open-relay rule.
///
/// Only plain `local@domain` addresses whose domain is one we back up are accepted. Every
/// routing trick that could make a downstream host forward the mail elsewhere is refused:
/// `%` (percent hack), `!` (bang paths), `@` inside a quoted local part, and address literals.
/// Source routes never get here: the path parser drops them and the final mailbox decides.
public struct RelayPolicy: Sendable {
    /// Exact domains, lowercased.
    public let domains: Set<String>
    /// Parent domains from `.example.org` entries: any subdomain matches, the parent itself does not.
    public let parentDomains: [String]
    /// When set, only these recipients are accepted within our domains.
    public let directory: (any RecipientDirectory)?

    public init(domains: [String], directory: (any RecipientDirectory)? = nil) {
        var exact = Set<String>()
        var parents: [String] = []
        for domain in domains.map({ $0.lowercased() }) {
            if domain.hasPrefix(".") { parents.append(domain) } else { exact.insert(domain) }
        }
        self.domains = exact
        self.parentDomains = parents
        self.directory = directory
    }

    public func decide(_ recipient: Mailbox) -> SMTPReply? {
        guard case .name(let domain) = recipient.domain, isRelayDomain(domain) else { return Replies.relayDenied }
        let local = recipient.unquotedLocalPart
        if local.contains(where: { $0 == "%" || $0 == "!" || $0 == "@" }) { return Replies.relayDenied }
        if let directory, !directory.contains(recipient.normalized) { return Replies.unknownUser }
        return nil
    }

    public func isRelayDomain(_ domain: String) -> Bool {
        let domain = domain.lowercased()
        if domains.contains(domain) { return true }
        return parentDomains.contains { domain.hasSuffix($0) && domain.count > $0.count }
    }
}

/// The set of addresses that exist behind the primary (Postfix's `relay_recipient_maps`).
public protocol RecipientDirectory: Sendable {
    /// `address` is `local@domain`, local part and domain lowercased.
    func contains(_ address: String) -> Bool
}
