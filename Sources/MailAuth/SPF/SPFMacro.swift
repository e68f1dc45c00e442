/// One `%{…}` expansion: letter, optional right-hand part count, optional reversal, delimiters.
struct SPFMacro: Sendable {
    var letter: UInt8
    /// An upper-case letter asks for URL escaping (§7.3).
    var escaped: Bool
    var keep: Int?
    var reversed: Bool
    var delimiters: [UInt8]

    init(parsing bytes: ArraySlice<UInt8>, explanationLetters: Bool) throws(SPFAbort) {
        guard let first = bytes.first else { throw .permerror("empty macro") }
        letter = ASCII.lowercased(first)
        escaped = letter != first
        let allowed = explanationLetters ? "slodiphvcrt" : "slodiphv"
        guard allowed.utf8.contains(letter) else { throw .permerror("macro letter not allowed here") }
        var rest = bytes.dropFirst()
        let digits = rest.prefix(while: ASCII.isDigit)
        rest = rest.dropFirst(digits.count)
        if digits.isEmpty {
            keep = nil
        } else {
            // §7.1: the count must be nonzero; more digits than three is an absurd count anyway.
            guard digits.count <= 3 else { throw .permerror("macro part count too large") }
            let value = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard value > 0 else { throw .permerror("macro part count 0") }
            keep = value
        }
        reversed = rest.first.map { ASCII.lowercased($0) == UInt8(ascii: "r") } ?? false
        if reversed { rest = rest.dropFirst() }
        guard rest.allSatisfy({ ".-+,/_=".utf8.contains($0) }) else { throw .permerror("bad macro delimiter") }
        delimiters = rest.isEmpty ? [UInt8(ascii: ".")] : Array(rest)
    }

    /// Splits, reverses, keeps the right-hand parts and joins with "." (§7.3).
    func transform(_ value: [UInt8]) -> [UInt8] {
        var parts = value.split(omittingEmptySubsequences: false) { delimiters.contains($0) }
        if reversed { parts.reverse() }
        if let keep, keep < parts.count { parts = Array(parts.suffix(keep)) }
        var result: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if index > 0 { result.append(UInt8(ascii: ".")) }
            result += part
        }
        if escaped { result = Self.urlEscaped(result) }
        return result
    }

    /// RFC 3986 percent-encoding of everything outside the unreserved set.
    private static func urlEscaped(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var result: [UInt8] = []
        for byte in bytes {
            if ASCII.isAlphanumeric(byte) || "-._~".utf8.contains(byte) {
                result.append(byte)
            } else {
                result += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return result
    }
}
