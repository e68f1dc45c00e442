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
public struct MXResolver: HostResolver {
    private let dns: any DNSQuerier
    private let port: Int
    private let localNames: Set<String>

    /// - Parameters:
    ///   - port: 25 in service; tests point it at a fake server.
    ///   - localNames: this host's names. An MX list that names us is cut there, as RFC 5321
    ///     §5.1 requires, so a DSN never loops back to Backstop.
    public init(dns: any DNSQuerier, port: Int = 25, localNames: Set<String> = []) {
        self.dns = dns
        self.port = port
        self.localNames = Set(localNames.map(Self.canonical))
    }

    public func mailHosts(for domain: String) async -> MailHostLookup {
        if let literal = Self.addressLiteral(domain) { return .hosts([PrimaryHost(name: literal, port: port)]) }
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
            return route(domain, exchangers)
        }
    }

    /// Orders the exchangers and applies the null-MX and the "ourselves" rules.
    func route(_ domain: String, _ exchangers: [(preference: Int, exchange: String)]) -> MailHostLookup {
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
        let hosts = ordered.map { Self.canonical($0.exchange) }.filter { seen.insert($0).inserted }
        return .hosts(hosts.map { PrimaryHost(name: $0, port: port) })
    }

    /// No MX records: the domain is its own mail host if it has an address (RFC 5321 §5.1).
    private func implicitMX(_ domain: String) async -> MailHostLookup {
        var failure: String?
        for type in [DNSRecordType.a, .aaaa] {
            switch await dns.query(domain, type: type) {
            case .message(let bytes):
                if (try? DNSAnswer(parsing: bytes))?.hasAddress == true {
                    return .hosts([PrimaryHost(name: domain, port: port)])
                }
            case .noSuchDomain, .noRecords:
                continue
            case .failed(let why):
                failure = why
            }
        }
        if let failure { return .unroutable(Self.problem(4, 4, 3, failure)) }
        return .unroutable(Self.problem(5, 1, 2, "the domain \(domain) has no MX and no address record"))
    }

    /// `[192.0.2.1]` or `[IPv6:2001:db8::1]` is the host itself (RFC 5321 §4.1.3).
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
