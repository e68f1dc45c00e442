import MailNames

/// An RFC 5321 mailbox (`Local-part "@" Domain`), as parsed from a MAIL or RCPT path.
///
/// `text` is the address exactly as the client wrote it (quotes and case kept): that is what
/// Backstop stores and forwards. The other fields are for policy decisions.
public struct Mailbox: Hashable, Sendable, CustomStringConvertible {
    public enum Domain: Hashable, Sendable {
        /// A domain name in comparable form (`MailDomain.ascii`): A-labels, ASCII lowercased.
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

    /// The address with only the domain in comparable form: local parts may be case-sensitive
    /// (RFC 5321 §2.4), so two recipients differing in local-part case are distinct. Compare
    /// it with `isSameRecipient`, by scalars.
    public var canonical: String {
        "\(localPart)@\(comparableDomain)"
    }

    /// Whether `other` names the same mailbox as written, scalar for scalar (`canonical`).
    public func isSameRecipient(as other: Mailbox) -> Bool {
        MailScalars.same(canonical, other.canonical)
    }

    /// The local part with quoting removed (`"a\"b"` becomes `a"b`), scalar by scalar.
    public var unquotedLocalPart: String {
        isQuoted ? AddressText.unquoted(localPart) : localPart
    }

    /// The address for matching against configured addresses, which cannot know the
    /// primary's quoting or case rules: local part unquoted and lowercased for matching
    /// (`MailScalars.lowercasedForMatching`), domain in comparable form.
    public var normalized: String {
        "\(MailScalars.lowercasedForMatching(unquotedLocalPart))@\(comparableDomain)"
    }

    private var comparableDomain: String {
        switch domain {
        case .name(let name): return name
        case .literal(let literal): return MailScalars.asciiLowercased(literal)
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
