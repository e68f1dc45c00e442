/// A parsed `v=spf1` record (RFC 7208 §4.6, §12). Parsing is on bytes; any syntax error
/// anywhere makes the whole record a permerror before anything is evaluated (§4.6).
struct SPFRecord: Sendable {
    var directives: [SPFDirective] = []
    var redirect: SPFMacroString?
    var explanation: SPFMacroString?

    /// Whether `bytes` is an SPF record at all: "v=spf1" followed by a space or the end (§4.5).
    static func isSPF(_ bytes: [UInt8]) -> Bool {
        let version = Array("v=spf1".utf8)
        guard bytes.count >= version.count,
              zip(bytes.prefix(version.count), version).allSatisfy({ ASCII.lowercased($0) == $1 }) else { return false }
        return bytes.count == version.count || bytes[version.count] == UInt8(ascii: " ")
    }

    init(parsing bytes: [UInt8]) throws(SPFAbort) {
        guard bytes.count <= SPFLimits.maxRecordLength else { throw .permerror("record longer than \(SPFLimits.maxRecordLength) bytes") }
        guard Self.isSPF(bytes) else { throw .permerror("not an SPF record") }
        for term in bytes.dropFirst(6).split(separator: UInt8(ascii: " ")) {
            try parse(term: Array(term))
        }
    }

    private mutating func parse(term: [UInt8]) throws(SPFAbort) {
        // A modifier is name "=" …, the name starting with a letter; a mechanism never holds "=" before ":" or "/".
        let nameEnd = term.firstIndex { !(ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")) }
        if let nameEnd, term[nameEnd] == UInt8(ascii: "="), nameEnd > 0, ASCII.isAlpha(term[0]) {
            try parseModifier(name: ASCII.lowercasedString(term[..<nameEnd]), value: Array(term[(nameEnd + 1)...]))
        } else {
            directives.append(try SPFDirective(parsing: term))
        }
    }

    private mutating func parseModifier(name: String, value: [UInt8]) throws(SPFAbort) {
        switch name {
        case "redirect":
            guard redirect == nil else { throw .permerror("two redirect modifiers") }
            redirect = try SPFMacroString(domainSpec: value)
        case "exp":
            guard explanation == nil else { throw .permerror("two exp modifiers") }
            explanation = try SPFMacroString(domainSpec: value)
        default:
            // §6: unknown modifiers are ignored, but must still be valid macro-strings.
            _ = try SPFMacroString(parsing: value, explanationLetters: false)
        }
    }
}
