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
    /// When set, the recipients it lists are accepted within our domains; the others are
    /// refused, or verified when `verifiesRecipients` is set.
    public let directory: (any RecipientDirectory)?
    /// `[relay] verify`: a recipient in a relay domain that the directory does not list (or
    /// any, without a directory) is checked with the primary rather than refused or accepted.
    public let verifiesRecipients: Bool

    public init(domains: [String], directory: (any RecipientDirectory)? = nil, verifiesRecipients: Bool = false) {
        self.verifiesRecipients = verifiesRecipients
        var exact = Set<String>()
        var parents: [String] = []
        for domain in domains.map({ $0.lowercased() }) {
            if domain.hasPrefix(".") { parents.append(domain) } else { exact.insert(domain) }
        }
        self.domains = exact
        self.parentDomains = parents
        self.directory = directory
    }

    /// The refusal of `recipient`, or nil when it is not refused outright (it may still be
    /// verified: see `decision`).
    public func decide(_ recipient: Mailbox) -> SMTPReply? {
        if case .refuse(let reply) = decision(recipient) { return reply }
        return nil
    }

    /// The relay rules first (never an open relay), then the recipients file, whose listed
    /// addresses are settled; what it leaves open is verified or, without verification,
    /// refused when there is a file and accepted when there is none.
    public func decision(_ recipient: Mailbox) -> RelayDecision {
        guard case .name(let domain) = recipient.domain, isRelayDomain(domain) else { return .refuse(Replies.relayDenied) }
        let local = recipient.unquotedLocalPart
        if local.contains(where: { $0 == "%" || $0 == "!" || $0 == "@" }) { return .refuse(Replies.relayDenied) }
        if let directory, directory.contains(recipient.normalized) { return .accept }
        if verifiesRecipients { return .verify }
        return directory == nil ? .accept : .refuse(Replies.unknownUser)
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
