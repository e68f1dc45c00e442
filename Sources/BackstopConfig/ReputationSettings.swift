import BackstopDefaults

/// `[reputation]`: the DNS lists a connecting client is looked up in, and the greeting delay
/// during which the lookups run and a client that talks first gives itself away.
public struct ReputationSettings: Equatable, Sendable {
    /// A client whose summed weights reach this is refused at its first MAIL or RCPT.
    public var rejectScore: Double
    /// How long Backstop waits before its 220; 0 greets at once.
    public var pregreet: Duration
    /// Block lists (`[[reputation.dnsbl]]`): positive weights.
    public var dnsbl: [DNSListSettings]
    /// Allow lists (`[[reputation.dnswl]]`): negative weights.
    public var dnswl: [DNSListSettings]

    /// Whether any list is configured: without one no lookup is made.
    public var checksLists: Bool { !dnsbl.isEmpty || !dnswl.isEmpty }
}

/// One DNS list (RFC 5782): a client is listed when `<reversed address>.<zone>` has an A
/// record, among `match` when that is given.
public struct DNSListSettings: Hashable, Sendable {
    /// The list's zone, e.g. "zen.spamhaus.org"; lowercased.
    public var zone: String
    /// Added to the client's score when it is listed.
    public var weight: Double
    /// The returned addresses that count (e.g. "127.0.0.2"); empty: any address.
    public var match: [String]

    public init(zone: String, weight: Double, match: [String]) {
        self.zone = zone
        self.weight = weight
        self.match = match
    }
}

extension ValueSyntax where Value == Double {
    /// A number, integer or not, such as a list's weight.
    static var number: Self {
        Self(
            read: { value throws(ValueError) in
                if let number = value.double, number.isFinite { return number }
                if let number = value.int { return Double(number) }
                throw ValueError("expected a number such as 1 or 0.5, \(value.found)")
            },
            render: { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0) })
    }
}

extension ReputationSettings {
    static var section: ConfigSection<ReputationSettings> {
        ConfigSection(
            name: "reputation",
            keys: [
                ConfigKey("reject_score", \.rejectScore, .number),
                ConfigKey("pregreet", \.pregreet, .duration(atLeast: .zero)),
                ConfigKey("dnsbl", \.dnsbl, DNSListSettings.tables("reputation.dnsbl", weight: BackstopDefaults.Reputation.dnsblWeight)),
                ConfigKey("dnswl", \.dnswl, DNSListSettings.tables("reputation.dnswl", weight: BackstopDefaults.Reputation.dnswlWeight)),
            ],
            check: { reputation, _, context throws(ConfigError) in
                guard reputation.rejectScore > 0 else {
                    throw context.error("reject_score", "must be above 0 (found \(reputation.rejectScore)); a client with no listing scores 0 and would be refused")
                }
                for (index, list) in reputation.dnsbl.enumerated() where list.weight <= 0 {
                    throw context.error("dnsbl", "item \(index + 1) (zone \(quoted(list.zone))): weight \(list.weight) is not positive; a block list adds to the score, an allow list goes under [[reputation.dnswl]]")
                }
                for (index, list) in reputation.dnswl.enumerated() where list.weight >= 0 {
                    throw context.error("dnswl", "item \(index + 1) (zone \(quoted(list.zone))): weight \(list.weight) is not negative; an allow list lowers the score, a block list goes under [[reputation.dnsbl]]")
                }
                if reputation.pregreet > .seconds(30) {
                    throw context.error("pregreet", "\(quoted(DurationSyntax.render(reputation.pregreet))) is longer than 30s; senders give up waiting for the greeting after about that")
                }
            })
    }
}

extension DNSListSettings {
    static func tables(_ header: String, weight: Double) -> TableList<DNSListSettings> {
        TableList(
            header: header,
            blank: DNSListSettings(zone: "", weight: weight, match: []),
            keys: [
                ConfigKey("zone", \.zone, .hostname),
                ConfigKey("weight", \.weight, .number),
                ConfigKey("match", \.match, .list(example: "127.0.0.2", allowsEmpty: true, item: { text throws(ValueError) in
                    guard HostPortSyntax.isIPv4Literal(text) else {
                        throw ValueError("\(quoted(text)) is not an IPv4 address; a list answers with addresses such as \"127.0.0.2\"")
                    }
                    return text
                }, render: { $0 })),
            ],
            required: ["zone"])
    }
}
