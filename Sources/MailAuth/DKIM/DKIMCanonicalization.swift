/// The two canonicalization algorithms of RFC 6376 §3.4, for header and body separately.
public enum DKIMCanonicalization: String, Sendable {
    case simple, relaxed

    /// `c=`: "header/body", or one name for the header with body simple (§3.5).
    static func parse(_ text: String?) -> (header: DKIMCanonicalization, body: DKIMCanonicalization)? {
        guard let text else { return (.simple, .simple) }
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count <= 2, let header = DKIMCanonicalization(rawValue: String(decoding: parts[0], as: UTF8.self)) else { return nil }
        guard parts.count == 2 else { return (header, .simple) }
        guard let body = DKIMCanonicalization(rawValue: String(decoding: parts[1], as: UTF8.self)) else { return nil }
        return (header, body)
    }

    /// A header field in this canonical form, with its CRLF (§3.4.1, §3.4.2).
    func canonicalize(_ field: HeaderField) -> [UInt8] {
        switch self {
        case .simple:
            return field.raw
        case .relaxed:
            var output = ASCII.lowercased(field.raw[..<field.nameLength])
            output.append(UInt8(ascii: ":"))
            output += Self.relaxedValue(field.value)
            output += [0x0D, 0x0A]
            return output
        }
    }

    /// Unfolds, turns WSP runs into one SP, and drops WSP at both ends.
    static func relaxedValue(_ value: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var pendingSpace = false
        for byte in value {
            switch byte {
            case 0x0D, 0x0A: continue
            case 0x20, 0x09: pendingSpace = true
            default:
                if pendingSpace, !output.isEmpty { output.append(0x20) }
                pendingSpace = false
                output.append(byte)
            }
        }
        return output
    }
}
