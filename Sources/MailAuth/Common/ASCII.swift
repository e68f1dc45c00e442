/// Byte-level ASCII rules shared by every parser here: mail-authentication records and
/// headers are ASCII grammars, and comparing them as bytes keeps Unicode equivalence out.
enum ASCII {
    static func isAlpha(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isAlpha(byte) || isDigit(byte) }
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    static func lowercased(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte + 0x20 : byte }
    static func lowercased<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [UInt8] { bytes.map(lowercased) }
    /// Lowercased text with every non-ASCII byte as "?": identifiers compared as Swift strings
    /// are then pure ASCII, where `==` is byte equality (no Kelvin sign equal to "K").
    static func lowercasedString<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String { text(lowercased(bytes)) }

    /// `bytes` as text, every non-ASCII byte as "?" (see `lowercasedString`).
    static func text<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        String(decoding: bytes.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// Case-insensitive equality of ASCII bytes.
    static func equalsIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lowercased($0) == lowercased($1) }
    }

    /// `bytes` without leading and trailing spaces, tabs, CR and LF.
    static func trimmed<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        var slice = bytes[...]
        while let first = slice.first, isWhitespace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isWhitespace(last) { slice = slice.dropLast() }
        return slice
    }
}

extension String {
    /// Byte-wise, ASCII case-insensitive suffix test (never Unicode equivalence).
    func hasSuffixBytes(_ suffix: String) -> Bool {
        let own = Array(utf8), tail = Array(suffix.utf8)
        return own.count >= tail.count && ASCII.equalsIgnoringCase(own.suffix(tail.count), tail)
    }
}
