import MailNames

/// `[relay]`: which mail Backstop accepts. Anything outside these domains is refused at
/// RCPT, so Backstop is never an open relay.
public struct RelaySettings: Equatable, Sendable {
    /// Lowercased domains; `.example.org` means any subdomain of example.org (not
    /// example.org itself).
    public var domains: [String]
    /// Path of a recipients file (see `RecipientTable`); when set, only the addresses it
    /// lists are accepted, so that mail for unknown users is refused instead of bounced
    /// later by the primary. With `verify`, an address it does not list is verified instead.
    public var recipients: String?
    /// Whether a recipient the recipients file does not settle is checked by a callout to
    /// the primary (MAIL FROM:<>, RCPT TO, no mail sent), and the answer cached.
    public var verify: Bool
    /// How long the primary's acceptance of an address is remembered.
    public var verifyPositiveTTL: Duration
    /// How long the primary's refusal of an address is remembered.
    public var verifyNegativeTTL: Duration
    /// What an address with no cached answer gets while the primary is down.
    public var verifyUnknownWhenDown: UnknownRecipientAction
    /// Callouts per client IP address (IPv6: per /64) per minute; past it a recipient is
    /// treated as when the primary cannot be asked (`verifyUnknownWhenDown`).
    public var verifyRate: Int

    /// Whether mail for `domain` (U-labels or A-labels, any case) is relayed.
    public func isRelayDomain(_ domain: String) -> Bool {
        guard let domain = MailDomain(domain) else { return false }
        return domains.contains { domain.matches(pattern: $0) }
    }

    /// Whether some domain relayed is also named by `pattern` (a domain, or ".domain" for
    /// its subdomains), so that mail matching it can arrive at all.
    func overlaps(_ pattern: String) -> Bool {
        guard pattern.unicodeScalars.first == ".", let parent = MailDomain(Substring(pattern.unicodeScalars.dropFirst())) else {
            return isRelayDomain(pattern)
        }
        return domains.contains { entry in
            // A relayed domain below the pattern's parent, or a relayed parent at or above it.
            if entry.unicodeScalars.first == ".", let relayed = MailDomain(Substring(entry.unicodeScalars.dropFirst())) {
                return relayed == parent || relayed.isSubdomain(of: parent) || parent.isSubdomain(of: relayed)
            }
            return MailDomain(entry)?.isSubdomain(of: parent) ?? false
        }
    }
}

extension RelaySettings {
    /// What `check-config` and the startup log warn about: with neither `recipients` nor
    /// `verify`, every address in the relay domains is accepted, and mail the primary later
    /// refuses is bounced to a sender that is often forged.
    public var backscatterWarning: String? {
        guard recipients == nil, !verify else { return nil }
        return "[relay] has neither recipients nor verify = true: every address in the relay domains is accepted, so mail for unknown users is bounced later to its (often forged) sender, and this server is then a backscatter source; list the addresses in a recipients file or set verify = true"
    }
}

/// `[relay] verify_unknown_when_down`: the answer at RCPT for an address the primary has
/// not been asked about, while it cannot be asked.
public enum UnknownRecipientAction: String, CaseIterable, Equatable, Sendable {
    /// Accept it: a lost message is worse than a rare bounce.
    case accept
    /// Answer 450 4.1.1, so that the sender tries again later.
    case tempfail
}

extension RelaySettings {
    static var section: ConfigSection<RelaySettings> {
        ConfigSection(
            name: "relay",
            keys: [
                ConfigKey("domains", \.domains, .list(
                    example: "example.org", item: { text throws(ValueError) in try relayDomain(text) }, render: { $0 })),
                ConfigKey("recipients", \.recipients, .path),
                ConfigKey("verify", \.verify, .boolean),
                ConfigKey("verify_positive_ttl", \.verifyPositiveTTL, .duration(atLeast: .seconds(1))),
                ConfigKey("verify_negative_ttl", \.verifyNegativeTTL, .duration(atLeast: .seconds(1))),
                ConfigKey("verify_unknown_when_down", \.verifyUnknownWhenDown, .choice),
                ConfigKey("verify_rate", \.verifyRate, .integer(atLeast: 1)),
            ],
            check: { relay, configuration, context throws(ConfigError) in
                if relay.verify && !configuration.primary.forwardsMail {
                    throw context.error("verify", "needs a primary to ask; set [primary] hosts, or verify = false")
                }
                guard let path = relay.recipients else { return }
                let text: String
                do throws(ValueError) {
                    text = try TextFile.contents(of: path)
                } catch {
                    throw context.error("recipients", "\(path): cannot read file: \(error.problem)")
                }
                let table = try RecipientTable.parse(text: text, file: path)
                guard table.count > 0 else {
                    throw context.error("recipients", "\(path): lists no address; add one per line, or remove the key to accept any address in the relay domains")
                }
            })
    }

    /// A relay domain needs two labels: a bare ".org" would relay for a whole top-level
    /// domain, and a single-label name is no domain an MX serves. `use` says what the
    /// domain is for ("relay for", "route").
    static func relayDomain(_ text: String, use: String = "relay for") throws(ValueError) -> String {
        let name = try DomainName.validate(text, allowsWildcard: true)
        let isParent = name.utf8.first == UInt8(ascii: ".")
        let body = isParent ? name.dropFirst() : Substring(name)
        guard body.utf8.contains(UInt8(ascii: ".")) else {
            throw ValueError(isParent
                ? "\(quoted(text)) would \(use) every domain under \(body); name your own domain, e.g. \".example\(name)\""
                : "\(quoted(text)): a relay domain has at least two labels, e.g. \"example.org\"")
        }
        return name
    }
}
