import MailNames

/// Names SPF queries: lowercased ASCII, each label 1…63 bytes, 253 bytes at most (RFC 7208
/// §4.3, §7.3). Non-ASCII names become A-labels; other printable ASCII stays (`_spf.example.com`,
/// and the spaces `%_` may put into a name).
enum SPFDomainName {
    static let maxLength = 253

    /// The query form of `text`, or nil when it is no usable DNS name.
    static func validated(_ text: String) -> String? {
        var bytes = Array(text.utf8)
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        guard !bytes.isEmpty, bytes.count <= maxLength * 4 else { return nil }
        if !bytes.allSatisfy({ $0 < 0x80 }) {
            guard let domain = MailDomain(String(decoding: bytes, as: UTF8.self)) else { return nil }
            bytes = Array(domain.ascii.utf8)
        }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard bytes.count <= maxLength,
              labels.allSatisfy({ !$0.isEmpty && $0.count <= MailDomain.maxLabelLength && $0.allSatisfy { (0x20...0x7E).contains($0) } })
        else { return nil }
        return ASCII.lowercasedString(bytes)
    }

    /// §7.3: an expansion longer than 253 bytes loses labels from the left until it fits.
    static func truncated(_ bytes: [UInt8]) -> [UInt8] {
        var result = bytes[...]
        if result.last == UInt8(ascii: ".") { result = result.dropLast() }
        while result.count > maxLength {
            guard let dot = result.firstIndex(of: UInt8(ascii: ".")) else { break }
            result = result[(dot + 1)...]
        }
        return Array(result)
    }

    /// Whether `name` is `domain` or below it, comparing ASCII case-insensitively.
    static func isSameOrBelow(_ name: String, _ domain: String) -> Bool {
        let own = ASCII.lowercased(name.utf8.reversed().drop { $0 == UInt8(ascii: ".") }.reversed())
        let parent = ASCII.lowercased(domain.utf8.reversed().drop { $0 == UInt8(ascii: ".") }.reversed())
        if own == parent { return true }
        return own.count > parent.count && own.suffix(parent.count) == parent[...] && own[own.count - parent.count - 1] == UInt8(ascii: ".")
    }
}
