import MailNames

/// Parses RFC 5321 paths (§4.1.2) with the RFC 6531 extension for internationalized addresses.
///
/// Source routes (`<@a,@b:user@c>`) are accepted and dropped, as RFC 5321 §3.6.1 and
/// appendix C require; the mailbox alone decides where the mail goes.
public enum PathParser {
    /// RFC 5321 §4.5.3.1 size limits, in octets.
    public static let maxLocalPartLength = 64
    public static let maxDomainLength = 255
    public static let maxPathLength = 256

    public enum Failure: Error, Hashable, Sendable {
        case missingAngleBrackets
        case badSyntax(String)
        case tooLong(String)
        /// Non-ASCII in an address of a transaction that did not ask for SMTPUTF8.
        case needsSMTPUTF8
        /// Valid UTF-8 that no mailbox name may hold (see `MailScalars.isRefusedInLocalPart`).
        case disallowedCharacter(String)
    }

    /// Parses `<>` or `<[route:]mailbox>` at the start of `text`; returns the path and the rest.
    public static func parseReversePath(_ text: Substring, allowUTF8: Bool) throws(Failure) -> (ReversePath, Substring) {
        if text.utf8.starts(with: "<>".utf8) { return (.null, Substring(text.unicodeScalars.dropFirst(2))) }
        let (mailbox, rest) = try parsePath(text, allowUTF8: allowUTF8)
        return (.mailbox(mailbox), rest)
    }

    /// Parses a forward-path `<[route:]mailbox>`; returns the mailbox and the rest of the text.
    public static func parsePath(_ text: Substring, allowUTF8: Bool) throws(Failure) -> (Mailbox, Substring) {
        guard text.unicodeScalars.first == "<" else { throw .missingAngleBrackets }
        let close = try closingBracket(in: text)
        let inner = text[text.unicodeScalars.index(after: text.startIndex)..<close]
        if inner.utf8.count + 2 > maxPathLength { throw .tooLong("path longer than \(maxPathLength) octets") }
        var body = inner
        if body.unicodeScalars.first == "@" {
            guard let colon = endOfRoute(body) else { throw .badSyntax("source route without ':'") }
            try validateRoute(body[..<colon], allowUTF8: allowUTF8)
            body = body[body.unicodeScalars.index(after: colon)...]
        }
        let mailbox = try parseMailbox(body, allowUTF8: allowUTF8)
        return (mailbox, text[text.unicodeScalars.index(after: close)...])
    }

    /// Parses a bare mailbox `local@domain` (no brackets).
    public static func parseMailbox(_ text: Substring, allowUTF8: Bool) throws(Failure) -> Mailbox {
        guard !text.isEmpty else { throw .badSyntax("empty address") }
        let isQuoted = text.unicodeScalars.first == "\""
        let scalars = text.unicodeScalars
        let localEnd: Substring.Index
        if isQuoted {
            localEnd = try endOfQuotedString(text, allowUTF8: allowUTF8)
        } else {
            guard let at = scalars.firstIndex(of: "@") else { throw .badSyntax("address has no domain") }
            localEnd = at
        }
        let localPart = text[..<localEnd]
        guard localEnd < scalars.endIndex, scalars[localEnd] == "@" else { throw .badSyntax("address has no domain") }
        let domainText = text[scalars.index(after: localEnd)...]
        if !isQuoted { try validateDotString(localPart, allowUTF8: allowUTF8) }
        if localPart.utf8.count > maxLocalPartLength { throw .tooLong("local part longer than \(maxLocalPartLength) octets") }
        let domain = try parseDomainOrLiteral(domainText, allowUTF8: allowUTF8)
        let international = text.unicodeScalars.contains { !$0.isASCII }
        return Mailbox(text: String(text), localPart: String(localPart), isQuoted: isQuoted,
                       domain: domain, isInternationalized: international)
    }

    /// Validates a domain name (RFC 5321 `Domain`), returning it in the form every comparison
    /// uses: A-labels for internationalized labels, ASCII lowercased (`MailDomain`).
    public static func parseDomain(_ text: Substring, allowUTF8: Bool) throws(Failure) -> String {
        guard !text.isEmpty else { throw .badSyntax("empty domain") }
        if text.utf8.count > maxDomainLength { throw .tooLong("domain longer than \(maxDomainLength) octets") }
        if text.unicodeScalars.last == "." { throw .badSyntax("domain ends with a dot") }
        for label in text.unicodeScalars.split(separator: ".", omittingEmptySubsequences: false).map(Substring.init) {
            guard !label.isEmpty else { throw .badSyntax("empty label in domain") }
            guard label.utf8.count <= 63 else { throw .tooLong("domain label longer than 63 octets") }
            guard label.unicodeScalars.first != "-", label.unicodeScalars.last != "-" else { throw .badSyntax("domain label starts or ends with '-'") }
            for scalar in label.unicodeScalars {
                if scalar.isASCII {
                    guard isLetDig(scalar) || scalar == "-" else { throw .badSyntax("invalid character in domain") }
                } else if !allowUTF8 {
                    throw .needsSMTPUTF8
                }
            }
        }
        guard let domain = MailDomain(text) else {
            throw .badSyntax("domain label is no valid internationalized name (IDNA 2008)")
        }
        return domain.ascii
    }

    // MARK: - Pieces

    /// The `>` that closes the path; a `>` inside a quoted local part does not count.
    private static func closingBracket(in text: Substring) throws(Failure) -> Substring.Index {
        let scalars = text.unicodeScalars
        var inQuotes = false
        var escaped = false
        var index = scalars.index(after: scalars.startIndex)
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if escaped {
                escaped = false
            } else if inQuotes, scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                inQuotes.toggle()
            } else if scalar == ">", !inQuotes {
                return index
            }
            index = scalars.index(after: index)
        }
        if inQuotes { throw .badSyntax("unterminated quoted local part") }
        throw .missingAngleBrackets
    }

    /// The `:` that ends a source route; colons inside an address literal (`[IPv6:…]`) do not.
    private static func endOfRoute(_ body: Substring) -> Substring.Index? {
        var inLiteral = false
        for index in body.unicodeScalars.indices {
            switch body.unicodeScalars[index] {
            case "[": inLiteral = true
            case "]": inLiteral = false
            case ":" where !inLiteral: return index
            default: break
            }
        }
        return nil
    }

    private static func validateRoute(_ route: Substring, allowUTF8: Bool) throws(Failure) {
        for hop in route.unicodeScalars.split(separator: ",", omittingEmptySubsequences: false).map(Substring.init) {
            guard hop.unicodeScalars.first == "@" else { throw .badSyntax("bad source route") }
            _ = try parseDomainOrLiteral(Substring(hop.unicodeScalars.dropFirst()), allowUTF8: allowUTF8)
        }
    }

    private static func parseDomainOrLiteral(_ text: Substring, allowUTF8: Bool) throws(Failure) -> Mailbox.Domain {
        let scalars = text.unicodeScalars
        if scalars.first == "[" {
            // A "domain name or number" (RFC 5321 §4.5.3.1.2): the limit holds for literals too.
            if text.utf8.count > maxDomainLength { throw .tooLong("address literal longer than \(maxDomainLength) octets") }
            guard scalars.last == "]", text.utf8.count > 2, AddressLiteral.isValid(Substring(scalars.dropFirst().dropLast())) else {
                throw .badSyntax("bad address literal")
            }
            return .literal(String(text))
        }
        return .name(try parseDomain(text, allowUTF8: allowUTF8))
    }

    private static func validateDotString(_ text: Substring, allowUTF8: Bool) throws(Failure) {
        guard !text.isEmpty else { throw .badSyntax("empty local part") }
        for atom in text.unicodeScalars.split(separator: ".", omittingEmptySubsequences: false).map(Substring.init) {
            guard !atom.isEmpty else { throw .badSyntax("empty atom in local part") }
            for scalar in atom.unicodeScalars {
                if scalar.isASCII {
                    guard isAText(scalar) else {
                        throw .badSyntax("invalid character '\(ASCII.quotable(String(scalar)))' in local part")
                    }
                } else if !allowUTF8 {
                    throw .needsSMTPUTF8
                } else {
                    try refuseDisallowed(scalar)
                }
            }
        }
    }

    private static func refuseDisallowed(_ scalar: Unicode.Scalar) throws(Failure) {
        guard MailScalars.isRefusedInLocalPart(scalar) else { return }
        let code = String(scalar.value, radix: 16, uppercase: true)
        throw .disallowedCharacter("U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code) is not allowed in a local part")
    }

    /// Returns the index just after the closing quote of a quoted local part.
    private static func endOfQuotedString(_ text: Substring, allowUTF8: Bool) throws(Failure) -> Substring.Index {
        let scalars = text.unicodeScalars
        var index = scalars.index(after: scalars.startIndex)
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == "\"" { return scalars.index(after: index) }
            if scalar == "\\" {
                index = scalars.index(after: index)
                guard index < scalars.endIndex else { break }
                let escaped = scalars[index]
                guard escaped.isASCII, escaped.value >= 32, escaped.value <= 126 else {
                    throw .badSyntax("bad quoted pair in local part")
                }
            } else if scalar.isASCII {
                guard scalar.value >= 32, scalar.value <= 126 else { throw .badSyntax("control character in local part") }
            } else if !allowUTF8 {
                throw .needsSMTPUTF8
            } else {
                try refuseDisallowed(scalar)
            }
            index = scalars.index(after: index)
        }
        throw .badSyntax("unterminated quoted local part")
    }

    static func isLetDig(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    /// RFC 5322 atext.
    static func isAText(_ s: Unicode.Scalar) -> Bool {
        isLetDig(s) || "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(s)
    }
}
