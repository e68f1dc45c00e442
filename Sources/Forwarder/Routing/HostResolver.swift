import BackstopDefaults
import MailDNS
import MailNames
import SMTPProtocol

/// Finds the hosts that take mail for a domain, for routes whose hosts are not configured but
/// looked up per message (DSNs without `[bounce] relay` go to the sender domain's MX).
public protocol HostResolver: Sendable {
    func mailHosts(for domain: String) async -> MailHostLookup
}

/// Where mail for a domain goes.
public enum MailHostLookup: Hashable, Sendable {
    /// Try these in order; the first that answers takes the message.
    case hosts([PrimaryHost])
    /// Nowhere: permanently (class 5: a null MX, a domain that does not exist) or for now
    /// (class 4: the DNS could not be asked). The diagnosis goes into the spool and the log.
    case unroutable(Diagnosis)
}

/// Mail routing by DNS (RFC 5321 §5.1): the domain's MX records by preference, equal
/// preferences in random order to spread the load; without MX records the domain itself when
/// it has an address record (the implicit MX); none at all for a null MX (RFC 7505).
///
/// Every host comes with the address to connect to, looked up here and checked to be global
/// (`AddressReach`): the sender's DNS, or an address literal it wrote, chooses where a DSN goes,
/// so an internal address is refused (5.4.4, logged) rather than connected to.
public struct MXResolver: HostResolver {
    private let dns: any DNSQuerier
    private let port: Int
    private let localNames: Set<String>
    private let admitsNonGlobalAddresses: Bool

    /// MX hosts tried per domain, and addresses in all (Postfix's `smtp_mx_address_limit` is 5):
    /// each costs DNS lookups that the sender's domain chooses.
    static let maxExchangers = 5
    static let maxAddresses = 10

    /// - Parameters:
    ///   - port: 25 in service; tests point it at a fake server.
    ///   - localNames: this host's names. An MX list that names us is cut there, as RFC 5321
    ///     §5.1 requires, so a DSN never loops back to Backstop.
    ///   - admitsNonGlobalAddresses: tests only, for a fake MX on loopback.
    public init(dns: any DNSQuerier, port: Int = BackstopDefaults.Primary.port, localNames: Set<String> = [],
                admitsNonGlobalAddresses: Bool = false) {
        self.dns = dns
        self.port = port
        self.localNames = Set(localNames.map(Self.canonical))
        self.admitsNonGlobalAddresses = admitsNonGlobalAddresses
    }

    public func mailHosts(for domain: String) async -> MailHostLookup {
        if let literal = Self.addressLiteral(domain) {
            guard let address = IPAddress(parsing: literal) else {
                return .unroutable(Self.problem(5, 1, 2, "the address literal \(domain) is not an IP address"))
            }
            return hosts([(literal, [address])], domain: domain, failure: nil)
        }
        let domain = Self.canonical(domain)
        switch await dns.query(domain, type: .mx) {
        case .noSuchDomain:
            return .unroutable(Self.problem(5, 1, 2, "the domain \(domain) does not exist (NXDOMAIN)"))
        case .noRecords:
            return await implicitMX(domain)
        case .failed(let why):
            return .unroutable(Self.problem(4, 4, 3, why))
        case .message(let bytes):
            let answer: DNSAnswer
            do {
                answer = try DNSAnswer(parsing: bytes)
            } catch {
                return .unroutable(Self.problem(4, 4, 3, "the MX answer for \(domain) is malformed"))
            }
            let exchangers = answer.mailExchangers
            // Only a CNAME on the way, say: no MX records, as if NODATA.
            if exchangers.isEmpty { return await implicitMX(domain) }
            switch route(domain, exchangers) {
            case .unroutable(let diagnosis):
                return .unroutable(diagnosis)
            case .exchangers(let names):
                var found: [(String, [IPAddress])] = []
                var failure: String?
                for name in names.prefix(Self.maxExchangers) {
                    let (addresses, why) = await self.addresses(of: name)
                    found.append((name, addresses))
                    failure = failure ?? why
                }
                return hosts(found, domain: domain, failure: failure)
            }
        }
    }

    /// The exchangers' names in the order to try them, after the null-MX and "ourselves" rules.
    enum Exchangers: Hashable {
        case exchangers([String])
        case unroutable(Diagnosis)
    }

    /// Orders the exchangers and applies the null-MX and the "ourselves" rules.
    func route(_ domain: String, _ exchangers: [(preference: Int, exchange: String)]) -> Exchangers {
        if exchangers.contains(where: { Self.canonical($0.exchange).isEmpty }) {
            return .unroutable(Self.problem(5, 1, 10, "the domain \(domain) accepts no mail (null MX, RFC 7505)"))
        }
        var ordered = Dictionary(grouping: exchangers, by: \.preference).sorted { $0.key < $1.key }
            .flatMap { $0.value.shuffled() }
        if let ours = ordered.first(where: { localNames.contains(Self.canonical($0.exchange)) }) {
            ordered = ordered.filter { $0.preference < ours.preference }
            if ordered.isEmpty {
                return .unroutable(Self.problem(5, 4, 6, "mail for \(domain) loops back to this host, its best MX"))
            }
        }
        var seen = Set<String>()
        return .exchangers(ordered.map { Self.canonical($0.exchange) }.filter { seen.insert($0).inserted })
    }

    /// No MX records: the domain is its own mail host if it has an address (RFC 5321 §5.1).
    private func implicitMX(_ domain: String) async -> MailHostLookup {
        let (addresses, failure) = await self.addresses(of: domain)
        if addresses.isEmpty, failure == nil {
            return .unroutable(Self.problem(5, 1, 2, "the domain \(domain) has no MX and no address record"))
        }
        return hosts([(domain, addresses)], domain: domain, failure: failure)
    }

    /// The hosts to try, one per global address in order; without any, why not: a temporary
    /// DNS failure defers, addresses that are all internal fail the DSN.
    private func hosts(_ found: [(name: String, addresses: [IPAddress])], domain: String, failure: String?) -> MailHostLookup {
        var hosts: [PrimaryHost] = []
        var refused: [String] = []
        for (name, addresses) in found {
            for address in addresses {
                let reach = AddressReach(address)
                if case .nonGlobal(let kind) = reach, !admitsNonGlobalAddresses {
                    refused.append("\(address) (\(kind))")
                } else if hosts.count < Self.maxAddresses {
                    hosts.append(PrimaryHost(name: name, port: port, address: address))
                }
            }
        }
        if !hosts.isEmpty { return .hosts(hosts) }
        if let failure { return .unroutable(Self.problem(4, 4, 3, failure)) }
        if !refused.isEmpty {
            return .unroutable(Self.problem(5, 4, 4, "mail for \(domain) would go to a non-global address, which Backstop never delivers to: "
                + refused.prefix(4).joined(separator: ", ")))
        }
        return .unroutable(Self.problem(5, 4, 4, "no mail host of \(domain) has an address record"))
    }

    /// The A and AAAA addresses of `name` (an exchange written as an IP address is that
    /// address), and the temporary failure of a lookup, if any.
    private func addresses(of name: String) async -> ([IPAddress], String?) {
        if let literal = IPAddress(parsing: name) { return ([literal], nil) }
        var addresses: [IPAddress] = []
        var failure: String?
        for type in [DNSRecordType.a, .aaaa] {
            switch await dns.query(name, type: type) {
            case .message(let bytes):
                guard let answer = try? DNSAnswer(parsing: bytes) else {
                    failure = "the \(type) answer for \(name) is malformed"
                    continue
                }
                addresses += answer.addresses
            case .noSuchDomain, .noRecords:
                continue
            case .failed(let why):
                failure = why
            }
        }
        return (addresses, failure)
    }

    /// `[192.0.2.1]` or `[IPv6:2001:db8::1]` is the host itself (RFC 5321 §4.1.3). Judged on
    /// scalars: a combining mark must not hide a bracket (it then goes to DNS, and fails there).
    private static func addressLiteral(_ domain: String) -> String? {
        guard domain.unicodeScalars.first == "[", domain.unicodeScalars.last == "]" else { return nil }
        let inner = MailScalars.asciiLowercased(Substring(domain.unicodeScalars.dropFirst().dropLast()))
        return String(inner.utf8.starts(with: "ipv6:".utf8) ? inner.dropFirst(5) : inner[...])
    }

    /// The name as DNS is asked for it: A-labels (an internationalized sender domain has no
    /// record under its UTF-8 spelling), ASCII lowercased, without a trailing dot.
    private static func canonical(_ name: String) -> String {
        let bare = name.unicodeScalars.last == "." ? String(Substring(name.unicodeScalars.dropLast())) : name
        return MailDomain(bare)?.ascii ?? MailScalars.asciiLowercased(bare)
    }

    private static func problem(_ klass: Int, _ subject: Int, _ detail: Int, _ summary: String) -> Diagnosis {
        Diagnosis(status: EnhancedStatusCode(klass, subject, detail), reply: nil, remoteHost: nil, summary: summary)
    }
}
