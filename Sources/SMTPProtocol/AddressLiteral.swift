/// The inside of an RFC 5321 §4.1.3 address literal: IPv4, `IPv6:` or a general literal.
enum AddressLiteral {
    /// `"`, `<` and `>`: dcontent allows them, a path cannot carry them.
    static let pathDelimiters: Set<UInt8> = [0x22, 0x3C, 0x3E]

    static func isValid(_ inside: Substring) -> Bool {
        let bytes = Array(inside.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return isIPv4(bytes[...]) }
        let tag = bytes[..<colon]
        let content = bytes[(colon + 1)...]
        if ASCII.uppercased(String(decoding: tag, as: UTF8.self)) == "IPV6" { return isIPv6(content) }
        // General-address-literal: Standardized-tag ":" 1*dcontent, less `"`, "<" and ">": a
        // path would end at the ">" (or read on into a quoted string), so such a mailbox could
        // not be written back inside "<…>". No registered tag needs them.
        return isLdhString(tag) && !content.isEmpty
            && content.allSatisfy { ((33...90).contains($0) || (94...126).contains($0)) && !Self.pathDelimiters.contains($0) }
    }

    /// `Snum 3("." Snum)`, each Snum 1 to 3 digits with a value up to 255.
    static func isIPv4(_ bytes: ArraySlice<UInt8>) -> Bool {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy(ASCII.isDigit)
                && part.reduce(0) { $0 * 10 + Int($1 - 0x30) } <= 255
        }
    }

    /// IPv6-full, IPv6-comp, IPv6v4-full or IPv6v4-comp. As in RFC 5321, `::` stands for at
    /// least two groups, so a compressed form has at most six (or four, before IPv4) explicit ones.
    static func isIPv6(_ bytes: ArraySlice<UInt8>) -> Bool {
        var hex = bytes
        var groups = 8
        if bytes.contains(UInt8(ascii: ".")) {
            guard let lastColon = bytes.lastIndex(of: UInt8(ascii: ":")),
                  isIPv4(bytes[(lastColon + 1)...]) else { return false }
            let beforeColon = bytes[..<lastColon]
            // Keep a `::` that directly precedes the IPv4 part; drop a single separating colon.
            hex = beforeColon.last == UInt8(ascii: ":") ? bytes[...lastColon] : beforeColon
            groups = 6
        }
        if let doubleColon = firstDoubleColon(hex) {
            let left = hex[..<doubleColon]
            let right = hex[(doubleColon + 2)...]
            guard firstDoubleColon(right) == nil,
                  let leftCount = hexGroups(left), let rightCount = hexGroups(right) else { return false }
            return leftCount + rightCount <= groups - 2
        }
        return hexGroups(hex) == groups
    }

    private static func firstDoubleColon(_ bytes: ArraySlice<UInt8>) -> Int? {
        bytes.indices.first { $0 + 1 < bytes.endIndex && bytes[$0] == UInt8(ascii: ":") && bytes[$0 + 1] == UInt8(ascii: ":") }
    }

    /// The number of `IPv6-hex` groups separated by single colons; 0 for nothing; nil if malformed.
    private static func hexGroups(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return 0 }
        let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(isHexDigit) }) else { return nil }
        return parts.count
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// `Ldh-str`: letters, digits and hyphens, not ending in a hyphen (and not starting with one).
    private static func isLdhString(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        func isLetDig(_ byte: UInt8) -> Bool {
            ASCII.isDigit(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
        return isLetDig(first) && isLetDig(last) && bytes.allSatisfy { isLetDig($0) || $0 == UInt8(ascii: "-") }
    }
}
