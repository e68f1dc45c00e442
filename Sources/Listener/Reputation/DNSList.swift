import MailDNS

/// One DNS list (RFC 5782) a connecting client is looked up in: a block list with a positive
/// weight or an allow list with a negative one.
public struct DNSList: Hashable, Sendable {
    /// Lowercased, without a trailing dot.
    public var zone: String
    public var weight: Double
    /// The answers that count; empty: any in 127.0.0.0/8 but 127.255.255.0/24, which lists
    /// use to say the query itself was refused (an open resolver, over quota).
    public var match: Set<IPAddress>

    public init(zone: String, weight: Double, match: Set<IPAddress>) {
        self.zone = zone
        self.weight = weight
        self.match = match
    }

    /// The name to ask for `client`: its octets reversed for IPv4, its nibbles reversed for
    /// IPv6 (RFC 5782 §2.1, §2.4), then the zone. An IPv4-mapped IPv6 address is its IPv4.
    public func queryName(for client: IPAddress) -> String {
        let octets = Self.unmapped(client.octets)
        let labels: [String] = if octets.count == 4 {
            octets.reversed().map { String($0) }
        } else {
            octets.reversed().flatMap { [String($0 & 0x0F, radix: 16), String($0 >> 4, radix: 16)] }
        }
        return (labels + [zone]).joined(separator: ".")
    }

    /// Whether an answer address says "listed".
    public func counts(_ answer: IPAddress) -> Bool {
        if !match.isEmpty { return match.contains(answer) }
        let octets = answer.octets
        return octets.count == 4 && octets[0] == 127 && !(octets[1] == 255 && octets[2] == 255)
    }

    /// `::ffff:a.b.c.d` is the IPv4 client `a.b.c.d`, as a dual-stack listener sees it.
    static func unmapped(_ octets: [UInt8]) -> [UInt8] {
        guard octets.count == 16, octets[0..<10].allSatisfy({ $0 == 0 }), octets[10] == 0xFF, octets[11] == 0xFF else {
            return octets
        }
        return Array(octets[12...])
    }
}
