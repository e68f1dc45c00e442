/// An RFC 5321 mailbox (`Local-part "@" Domain`), as parsed from a MAIL or RCPT path.
///
/// `text` is the address exactly as the client wrote it (quotes and case kept): that is what
/// Backstop stores and forwards. The other fields are for policy decisions.
public struct Mailbox: Hashable, Sendable, CustomStringConvertible {
    public enum Domain: Hashable, Sendable {
        /// A domain name, lowercased, without a trailing dot.
        case name(String)
        /// An address literal such as `[192.0.2.1]` or `[IPv6:…]`, as written.
        case literal(String)
    }

    /// The address as written, without angle brackets or source route.
    public let text: String
    /// The local part as written (with quotes, if it was quoted).
    public let localPart: String
    public let isQuoted: Bool
    public let domain: Domain
    /// True when the local part or domain has non-ASCII characters (needs SMTPUTF8).
    public let isInternationalized: Bool

    public var description: String { text }

    /// The address with only the domain lowercased: local parts may be case-sensitive
    /// (RFC 5321 §2.4), so two recipients differing in local-part case are distinct.
    public var canonical: String {
        switch domain {
        case .name(let name): return "\(localPart)@\(name)"
        case .literal(let literal): return "\(localPart)@\(literal.lowercased())"
        }
    }

    /// The local part with quoting removed (`"a\"b"` becomes `a"b`).
    public var unquotedLocalPart: String {
        guard isQuoted else { return localPart }
        var out = ""
        var escaped = false
        for ch in localPart.dropFirst().dropLast() {
            if !escaped, ch == "\\" { escaped = true; continue }
            escaped = false
            out.append(ch)
        }
        return out
    }

    /// The address with local part and domain lowercased, for matching against configured
    /// addresses, which cannot know the primary's case rules.
    public var normalized: String {
        switch domain {
        case .name(let name): return "\(localPart.lowercased())@\(name)"
        case .literal(let literal): return "\(localPart.lowercased())@\(literal.lowercased())"
        }
    }

    init(text: String, localPart: String, isQuoted: Bool, domain: Domain, isInternationalized: Bool) {
        self.text = text
        self.localPart = localPart
        self.isQuoted = isQuoted
        self.domain = domain
        self.isInternationalized = isInternationalized
    }
}

/// The reverse-path of MAIL FROM: a mailbox, or the null path `<>` used by bounces.
public enum ReversePath: Hashable, Sendable, CustomStringConvertible {
    case null
    case mailbox(Mailbox)

    /// The address as stored in the spool: empty for the null path.
    public var address: String {
        switch self {
        case .null: return ""
        case .mailbox(let mailbox): return mailbox.text
        }
    }

    public var description: String { "<\(address)>" }
}
