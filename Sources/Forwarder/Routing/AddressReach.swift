import MailDNS

/// Whether an address is reachable on the public internet, after the IANA special-purpose
/// address registries (RFC 6890 and successors). A DSN routed by the sender's DNS or address
/// literal goes only to a global address: a forged sender must not make Backstop open
/// connections into its own network (loopback, RFC 1918, link-local, unique-local…).
public enum AddressReach: Hashable, Sendable {
    case global
    /// Not globally reachable; the text says what kind of address it is, for the log and DSN.
    case nonGlobal(String)

    public init(_ address: IPAddress) {
        self = address.isIPv4 ? Self.v4(address.octets) : Self.v6(address.octets)
    }

    public var isGlobal: Bool { self == .global }

    private static func v4(_ a: [UInt8]) -> AddressReach {
        func within(_ prefix: [UInt8], _ bits: Int) -> Bool { matches(a, prefix, bits) }
        let ranges: [([UInt8], Int, String)] = [
            ([0, 0, 0, 0], 8, "unspecified (\"this network\", RFC 1122)"),
            ([10, 0, 0, 0], 8, "private (RFC 1918)"),
            ([100, 64, 0, 0], 10, "shared address space (RFC 6598)"),
            ([127, 0, 0, 0], 8, "loopback"),
            ([169, 254, 0, 0], 16, "link-local (RFC 3927)"),
            ([172, 16, 0, 0], 12, "private (RFC 1918)"),
            ([192, 0, 0, 0], 24, "IETF protocol assignments (RFC 6890)"),
            ([192, 0, 2, 0], 24, "documentation (RFC 5737)"),
            ([192, 88, 99, 0], 24, "6to4 relay anycast (deprecated, RFC 7526)"),
            ([192, 168, 0, 0], 16, "private (RFC 1918)"),
            ([198, 18, 0, 0], 15, "benchmarking (RFC 2544)"),
            ([198, 51, 100, 0], 24, "documentation (RFC 5737)"),
            ([203, 0, 113, 0], 24, "documentation (RFC 5737)"),
            ([224, 0, 0, 0], 4, "multicast"),
            ([240, 0, 0, 0], 4, "reserved (RFC 1112), or broadcast"),
        ]
        for (prefix, bits, kind) in ranges where within(prefix, bits) { return .nonGlobal(kind) }
        return .global
    }

    private static func v6(_ a: [UInt8]) -> AddressReach {
        func within(_ prefix: [UInt8], _ bits: Int) -> Bool { matches(a, prefix, bits) }
        if a.allSatisfy({ $0 == 0 }) { return .nonGlobal("unspecified") }
        if a.dropLast().allSatisfy({ $0 == 0 }), a[15] == 1 { return .nonGlobal("loopback") }
        // Addresses that carry an IPv4 address are judged by it: ::ffff:10.0.0.5 is 10.0.0.5.
        if within([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96) { return v4(Array(a[12...])) }
        if within([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96) { return v4(Array(a[12...])) }
        if within([0x20, 0x02], 16) { return v4(Array(a[2..<6])) }
        let ranges: [([UInt8], Int, String)] = [
            ([0, 0x64, 0xff, 0x9b, 0, 1], 48, "local-use IPv4/IPv6 translation (RFC 8215)"),
            ([1, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only (RFC 6666)"),
            ([0x20, 0x01, 0x0d, 0xb8], 32, "documentation (RFC 3849)"),
            ([0x20, 0x01, 0x00, 0x00], 23, "IETF protocol assignments (RFC 2928)"),
            ([0x3f, 0xff, 0x00], 20, "documentation (RFC 9637)"),
            ([0xfc, 0x00], 7, "unique-local (RFC 4193)"),
            ([0xfe, 0x80], 10, "link-local"),
            ([0xfe, 0xc0], 10, "site-local (deprecated, RFC 3879)"),
            ([0xff, 0x00], 8, "multicast"),
        ]
        for (prefix, bits, kind) in ranges where within(prefix, bits) { return .nonGlobal(kind) }
        // Only 2000::/3 is allocated as global unicast; the rest (e.g. ::/96) is not routed.
        return within([0x20], 3) ? .global : .nonGlobal("outside the global unicast range 2000::/3")
    }

    /// True when the first `bits` bits of `address` equal those of `prefix`.
    private static func matches(_ address: [UInt8], _ prefix: [UInt8], _ bits: Int) -> Bool {
        var remaining = bits
        for (index, byte) in prefix.enumerated() where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
            if address[index] & mask != byte & mask { return false }
            remaining -= take
        }
        return true
    }
}
