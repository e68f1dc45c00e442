import MailNames

/// Answers "may this recipient be relayed through us?" — the never-an-open-relay rule.
///
/// Only plain `local@domain` addresses whose domain is one we back up are accepted. Every
/// routing trick that could make a downstream host forward the mail elsewhere is refused:
/// `%` (percent hack), `!` (bang paths), `@` inside a quoted local part, their fullwidth and
/// small compatibility forms (which NFKC turns into the real ones), and address literals.
/// Source routes never get here: the path parser drops them and the final mailbox decides.
/// Every check looks at Unicode scalars and domains compare as A-labels, byte for byte, so no
/// grapheme cluster or canonical equivalence can hide a character or pass one name for another.
public struct RelayPolicy: Sendable {
    /// Exact domains, in comparable form.
    public let domains: Set<MailDomain>
    /// Parent domains from `.example.org` entries: any subdomain matches, the parent itself does not.
    public let parentDomains: [MailDomain]
    /// When set, the recipients it lists are accepted within our domains; the others are
    /// refused, or verified when `verifiesRecipients` is set.
    public let directory: (any RecipientDirectory)?
    /// `[relay] verify`: a recipient in a relay domain that the directory does not list (or
    /// any, without a directory) is checked with the primary rather than refused or accepted.
    public let verifiesRecipients: Bool

    /// `domains` as configured: names in U-label or A-label form, `.example.org` for the
    /// subdomains of example.org. An entry that is no domain name relays nothing.
    public init(domains: [String], directory: (any RecipientDirectory)? = nil, verifiesRecipients: Bool = false) {
        self.verifiesRecipients = verifiesRecipients
        var exact = Set<MailDomain>()
        var parents: [MailDomain] = []
        for entry in domains {
            if entry.unicodeScalars.first == "." {
                if let parent = MailDomain(Substring(entry.unicodeScalars.dropFirst())) { parents.append(parent) }
            } else if let domain = MailDomain(entry) {
                exact.insert(domain)
            }
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
        // The parser refuses the scalars a local part may not hold; a Mailbox built some other
        // way is held to the same rule here.
        if recipient.unquotedLocalPart.unicodeScalars.contains(where: {
            MailScalars.isRoutingCharacter($0) || MailScalars.isRefusedInLocalPart($0)
        }) {
            return .refuse(Replies.relayDenied)
        }
        if let directory, directory.contains(recipient.normalized) { return .accept }
        if verifiesRecipients { return .verify }
        return directory == nil ? .accept : .refuse(Replies.unknownUser)
    }

    /// Whether mail for `domain` (in U-label or A-label form, any case) is relayed.
    public func isRelayDomain(_ domain: String) -> Bool {
        guard let domain = MailDomain(domain) else { return false }
        if domains.contains(domain) { return true }
        return parentDomains.contains { domain.isSubdomain(of: $0) }
    }
}

/// The set of addresses that exist behind the primary (Postfix's `relay_recipient_maps`).
public protocol RecipientDirectory: Sendable {
    /// `address` is `Mailbox.normalized`: local part unquoted and lowercased for matching,
    /// domain in comparable form (A-labels, ASCII lowercased). Compared by scalars.
    func contains(_ address: String) -> Bool
}
