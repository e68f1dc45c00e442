/// An IPv4 or IPv6 address as its network-order bytes (4 or 16), with the text forms SPF
/// macros and reverse lookups need. IPv4-mapped IPv6 addresses stay IPv6 here; SPF's
/// `ip4` match decides about them itself.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted-quad IPv4 or RFC 4291 §2.2 IPv6 text (with `::` and a trailing dotted quad).
    public init?<Text: StringProtocol>(_ text: Text) {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty, scalars.count <= 45 else { return nil }
        if !scalars.contains(":") {
            guard let v4 = Self.parseIPv4(scalars[...]) else { return nil }
            bytes = v4
        } else {
            guard let v6 = Self.parseIPv6(scalars) else { return nil }
            bytes = v6
        }
    }

    /// The address as the IPv4 address it maps, for `::ffff:a.b.c.d`; nil otherwise.
    public var mappedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    /// Whether the first `prefix` bits equal those of `other` (same family only).
    public func matches(_ other: IPAddress, prefix: Int) -> Bool {
        guard bytes.count == other.bytes.count, prefix >= 0, prefix <= bytes.count * 8 else { return false }
        var remaining = prefix
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != other.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        // RFC 5952 §4: lowercase, the longest run (of two or more) of zero groups as "::".
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var bestStart = -1, bestLength = 1, runStart = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        return hex[..<bestStart].joined(separator: ":") + "::" + hex[(bestStart + bestLength)...].joined(separator: ":")
    }

    /// The name a PTR query asks for (RFC 1035 §3.5, RFC 3596 §2.5).
    public var reverseName: String {
        if isIPv4 { return bytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa" }
        return nibbles.reversed().map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
    }

    /// The address as 32 hex nibbles (IPv6) for SPF's `%{i}` (RFC 7208 §7.3).
    var nibbles: [UInt8] { bytes.flatMap { [$0 >> 4, $0 & 0x0F] } }

    private static func parseIPv4(_ scalars: ArraySlice<Unicode.Scalar>) -> [UInt8]? {
        let parts = scalars.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
            // A leading zero would be read as octal by some stacks: refuse the ambiguity.
            if part.count > 1, part.first == "0" { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1.value - 48) }
            guard value <= 255 else { return nil }
            result.append(UInt8(value))
        }
        return result
    }

    private static func parseIPv6(_ scalars: [Unicode.Scalar]) -> [UInt8]? {
        // Split at the one "::" if there is one; each side is groups separated by ":".
        var gap: Int? = nil
        for index in 0..<(scalars.count - 1) where scalars[index] == ":" && scalars[index + 1] == ":" {
            guard gap == nil else { return nil }
            gap = index
        }
        let left: ArraySlice<Unicode.Scalar>, right: ArraySlice<Unicode.Scalar>
        if let gap {
            left = scalars[..<gap]
            right = scalars[(gap + 2)...]
            if right.first == ":" { return nil }
        } else {
            left = scalars[...]
            right = []
        }
        guard let head = groups(left, lastMayBeIPv4: gap == nil),
              let tail = groups(right, lastMayBeIPv4: gap != nil) else { return nil }
        let total = head.count + tail.count
        let all: [UInt16]
        if gap != nil {
            guard total <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - total) + tail
        } else {
            guard total == 8 else { return nil }
            all = head
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    private static func groups(_ scalars: ArraySlice<Unicode.Scalar>, lastMayBeIPv4: Bool) -> [UInt16]? {
        guard !scalars.isEmpty else { return [] }
        let parts = scalars.split(separator: ":", omittingEmptySubsequences: false)
        var result: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if lastMayBeIPv4, index == parts.count - 1, part.contains(".") {
                guard let v4 = parseIPv4(part) else { return nil }
                result += [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                continue
            }
            guard !part.isEmpty, part.count <= 4, part.allSatisfy({ $0.properties.isASCIIHexDigit }),
                  let value = UInt16(String(String.UnicodeScalarView(part)), radix: 16) else { return nil }
            result.append(value)
        }
        return result
    }
}
