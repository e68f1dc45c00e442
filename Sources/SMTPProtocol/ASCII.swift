/// ASCII-only text helpers for the grammars.
///
/// SMTP keywords are case-insensitive in ASCII only. Unicode case mapping would turn `maıl`
/// (dotless i) into `MAIL` and `ſize` (long s) into `SIZE`, so a filter in front of Backstop and
/// Backstop itself would read the same bytes as different commands.
enum ASCII {
    static func uppercased<Text: StringProtocol>(_ text: Text) -> String {
        String(decoding: text.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    static func isDigits<Text: StringProtocol>(_ text: Text) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isDigit)
    }

    /// Client text made fit to quote in a reply: printable ASCII only, and short, so a reply
    /// stays one line within the 512-octet limit and cannot carry terminal escapes.
    static func quotable<Text: StringProtocol>(_ text: Text, limit: Int = 40) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if out.utf8.count >= limit { return out + "..." }
            out.unicodeScalars.append(scalar.isASCII && scalar.value > 32 && scalar.value < 127 ? scalar : "?")
        }
        return out
    }
}
