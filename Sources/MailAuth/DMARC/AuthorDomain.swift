import MailNames

/// The RFC5322.From domain DMARC evaluates (RFC 7489 §6.6.1). A message with no From, several
/// From fields, or a From with several addresses has no single author domain: nil.
public enum AuthorDomain {
    /// From values longer than this are not looked at (RFC 5322 §2.1.1 caps a line at 998).
    public static let maxValueLength = 4_096

    public static func of(_ header: HeaderBlock) -> String? {
        let fields = header.fields.filter { $0.hasName("From") }
        guard fields.count == 1, fields[0].value.count <= maxValueLength else { return nil }
        return of(value: Array(fields[0].value))
    }

    /// The domain of the one address in a From value: inside the angle brackets if there are
    /// any, else the bare addr-spec; quoted strings and comments are skipped, not read.
    static func of(value: [UInt8]) -> String? {
        var plain: [UInt8] = []
        var inQuote = false, commentDepth = 0, escaped = false
        for byte in value {
            if escaped { escaped = false; continue }
            if byte == UInt8(ascii: "\\"), inQuote || commentDepth > 0 { escaped = true; continue }
            if inQuote { if byte == UInt8(ascii: "\"") { inQuote = false }; continue }
            if byte == UInt8(ascii: "(") { commentDepth += 1; continue }
            if commentDepth > 0 { if byte == UInt8(ascii: ")") { commentDepth -= 1 }; continue }
            if byte == UInt8(ascii: "\"") { inQuote = true; plain.append(UInt8(ascii: "x")); continue }
            plain.append(byte)
        }
        guard !inQuote, commentDepth == 0 else { return nil }
        // A comma outside quotes and comments separates addresses: more than one author.
        guard !plain.contains(UInt8(ascii: ",")), !plain.contains(UInt8(ascii: ";")) else { return nil }
        var address = plain[...]
        if let open = plain.firstIndex(of: UInt8(ascii: "<")) {
            guard let close = plain[open...].firstIndex(of: UInt8(ascii: ">")),
                  !plain[(close + 1)...].contains(UInt8(ascii: "<")) else { return nil }
            address = plain[(open + 1)..<close]
        }
        address = ASCII.trimmed(address)
        guard let at = address.lastIndex(of: UInt8(ascii: "@")) else { return nil }
        let domain = ASCII.trimmed(address[(at + 1)...])
        guard !domain.contains(where: ASCII.isWhitespace) else { return nil }
        return MailDomain(String(decoding: domain, as: UTF8.self))?.ascii
    }
}
