/// A macro-string of RFC 7208 §7.1: literal bytes and `%{…}` expansions, parsed once when
/// the record is, so a bad macro anywhere is a permerror before evaluation.
struct SPFMacroString: Sendable {
    enum Piece: Sendable {
        case literal([UInt8])
        case macro(SPFMacro)
    }

    var pieces: [Piece] = []

    /// A macro-string in a domain-spec: no c, r or t letters (§7.2), and it must end in
    /// "." toplabel or a macro (the domain-end of §12).
    init(domainSpec bytes: [UInt8]) throws(SPFAbort) {
        try self.init(parsing: bytes, explanationLetters: false)
        try checkDomainEnd()
    }

    init(parsing bytes: [UInt8], explanationLetters: Bool) throws(SPFAbort) {
        var literal: [UInt8] = []
        var index = 0
        func flush() { if !literal.isEmpty { pieces.append(.literal(literal)); literal = [] } }
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                // macro-literal = %x21-24 / %x26-7E; the space only inside explanation text.
                guard (0x21...0x7E).contains(byte) || (explanationLetters && byte == 0x20) else {
                    throw .permerror("byte \(byte) in macro-string")
                }
                literal.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { throw .permerror("lone % in macro-string") }
            switch bytes[index + 1] {
            case UInt8(ascii: "%"): literal.append(UInt8(ascii: "%")); index += 2
            case UInt8(ascii: "_"): literal.append(0x20); index += 2
            case UInt8(ascii: "-"): literal += Array("%20".utf8); index += 2
            case UInt8(ascii: "{"):
                guard let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")) else { throw .permerror("unclosed %{") }
                flush()
                pieces.append(.macro(try SPFMacro(parsing: bytes[(index + 2)..<close], explanationLetters: explanationLetters)))
                index = close + 1
            default:
                throw .permerror("bad % escape in macro-string")
            }
        }
        flush()
    }

    private func checkDomainEnd() throws(SPFAbort) {
        guard case .literal(let tail)? = pieces.last else {
            if pieces.isEmpty { throw .permerror("empty domain-spec") }
            return
        }
        var text = tail[...]
        if text.last == UInt8(ascii: ".") { text = text.dropLast() }
        guard let dot = text.lastIndex(of: UInt8(ascii: ".")) else {
            // "%{d}" then a bare label would need a dot between them: no "." toplabel here.
            throw .permerror("domain-spec lacks a top-level label")
        }
        let top = text[(dot + 1)...]
        guard Self.isTopLabel(top) else { throw .permerror("bad top-level label") }
    }

    /// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ).
    private static func isTopLabel(_ label: ArraySlice<UInt8>) -> Bool {
        guard let first = label.first, let last = label.last,
              label.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return false }
        if label.contains(UInt8(ascii: "-")) { return ASCII.isAlphanumeric(first) && ASCII.isAlphanumeric(last) }
        return label.contains(where: ASCII.isAlpha)
    }
}
