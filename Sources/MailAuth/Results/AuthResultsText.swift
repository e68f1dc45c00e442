/// Writing sender-controlled text into Authentication-Results and the ARC fields.
enum AuthResultsText {
    /// RFC 2045 tspecials, which a token may not hold.
    private static let specials = Array("()<>@,;:\\\"/[]?=".utf8)
    /// Longest value or comment written; longer text is cut.
    static let maxLength = 512

    /// `text` as an RFC 2045 token if it is one, else as a quoted-string (RFC 5322 §3.2.4).
    /// Control characters (CR and LF among them) are dropped: they could end the field.
    static func value(_ text: String) -> String {
        let bytes = clean(text)
        // RFC 8601 §2.3 lets pvalue be an addr-spec or a domain, so "@" may stand unquoted there.
        let isToken = !bytes.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 != 0x7F && ($0 == UInt8(ascii: "@") || !specials.contains($0)) }
        if isToken { return String(decoding: bytes, as: UTF8.self) }
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
            quoted.append(byte)
        }
        quoted.append(UInt8(ascii: "\""))
        return String(decoding: quoted, as: UTF8.self)
    }

    /// `text` as a comment: parentheses and backslashes escaped, controls dropped.
    static func comment(_ text: String) -> String {
        var output: [UInt8] = [UInt8(ascii: "(")]
        for byte in clean(text) {
            if byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: "\\") { output.append(UInt8(ascii: "\\")) }
            output.append(byte)
        }
        output.append(UInt8(ascii: ")"))
        return String(decoding: output, as: UTF8.self)
    }

    private static func clean(_ text: String) -> [UInt8] {
        // Bytes of valid UTF-8 at or above 0x80 stay (RFC 6532 headers); C0 controls and DEL go.
        var bytes = Array(text.utf8.filter { $0 >= 0x20 && $0 != 0x7F })
        if bytes.count > maxLength {
            bytes = Array(bytes.prefix(maxLength))
            // Never cut a UTF-8 sequence in half.
            while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
            if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
        }
        return bytes
    }
}
