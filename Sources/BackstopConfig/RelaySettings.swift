/// `[relay]`: which mail Backstop accepts. Anything outside these domains is refused at
/// RCPT, so Backstop is never an open relay.
public struct RelaySettings: Equatable, Sendable {
    /// Lowercased domains; `.example.org` means any subdomain of example.org (not
    /// example.org itself).
    public var domains: [String]
    /// Path of a recipients file (see `RecipientTable`); when set, only the addresses it
    /// lists are accepted, so that mail for unknown users is refused instead of bounced
    /// later by the primary.
    public var recipients: String?

    /// Whether mail for `domain` is relayed.
    public func isRelayDomain(_ domain: String) -> Bool {
        let domain = domain.lowercased()
        return domains.contains { entry in
            entry.hasPrefix(".") ? domain.hasSuffix(entry) : domain == entry
        }
    }
}

extension RelaySettings {
    static var section: ConfigSection<RelaySettings> {
        ConfigSection(
            name: "relay",
            keys: [
                ConfigKey("domains", \.domains, .list(
                    example: "example.org", item: relayDomain, render: { $0 })),
                ConfigKey("recipients", \.recipients, .path),
            ],
            check: { relay, context throws(ConfigError) in
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
    /// domain, and a single-label name is no domain an MX serves.
    private static func relayDomain(_ text: String) throws(ValueError) -> String {
        let name = try DomainName.validate(text, allowsWildcard: true)
        let body = name.hasPrefix(".") ? name.dropFirst() : Substring(name)
        guard body.contains(".") else {
            throw ValueError(name.hasPrefix(".")
                ? "\(quoted(text)) would relay for every domain under \(body); name your own domain, e.g. \".example\(name)\""
                : "\(quoted(text)): a relay domain has at least two labels, e.g. \"example.org\"")
        }
        return name
    }
}
