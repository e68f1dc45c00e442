/// A domain name in the one form Backstop compares it in: every label as its A-label (IDNA
/// 2008, RFC 5890 §2.3.2.1: `xn--` and Punycode) and ASCII letters lowercased. So
/// `Bücher.example`, `bücher.example` and `XN--BCHER-KVA.example` are one domain, and equality
/// is byte equality of `ascii`, never Swift's canonical equivalence of strings.
public struct MailDomain: Hashable, Sendable, CustomStringConvertible {
    /// The A-label form, lowercased; ASCII only.
    public let ascii: String

    /// RFC 5321 §4.5.3.1.2 allows 255 octets for a domain; a DNS label holds 63.
    public static let maxLength = 255
    public static let maxLabelLength = 63

    /// Nil when `text` is no domain name: an empty label, a trailing dot, a character no
    /// label may hold (controls, format characters, spaces, punctuation and symbols outside
    /// ASCII `-`), a label that starts with a combining mark, an `xn--` label that is no valid
    /// Punycode of such a label, or a name or label past its length limit.
    public init?<Text: StringProtocol>(_ text: Text) {
        guard !text.isEmpty, text.utf8.count <= Self.maxLength * 4 else { return nil }
        var labels: [String] = []
        for label in text.unicodeScalars.split(separator: ".", omittingEmptySubsequences: false) {
            guard let ascii = Self.aLabel(Array(label)) else { return nil }
            labels.append(ascii)
        }
        let ascii = labels.joined(separator: ".")
        guard ascii.utf8.count <= Self.maxLength else { return nil }
        self.ascii = ascii
    }

    public var description: String { ascii }

    public static func == (lhs: MailDomain, rhs: MailDomain) -> Bool { lhs.ascii.utf8.elementsEqual(rhs.ascii.utf8) }

    public func hash(into hasher: inout Hasher) {
        for byte in ascii.utf8 { hasher.combine(byte) }
    }

    /// Whether this domain lies strictly below `parent` (`a.example.org` below `example.org`).
    public func isSubdomain(of parent: MailDomain) -> Bool {
        let own = Array(ascii.utf8), suffix = Array(("." + parent.ascii).utf8)
        return own.count > suffix.count && own.suffix(suffix.count).elementsEqual(suffix)
    }

    /// Whether this domain is named by `pattern`: the domain itself, or, for `.example.org`,
    /// any subdomain of example.org. A pattern that is no domain names nothing.
    public func matches(pattern: String) -> Bool {
        if pattern.unicodeScalars.first == ".", let parent = MailDomain(Substring(pattern.unicodeScalars.dropFirst())) {
            return isSubdomain(of: parent)
        }
        return MailDomain(pattern).map { $0 == self } ?? false
    }

    /// `pattern` in comparable form, its leading "." kept; nil when it is no domain.
    public static func pattern(_ text: String) -> String? {
        if text.unicodeScalars.first == "." {
            return MailDomain(Substring(text.unicodeScalars.dropFirst())).map { "." + $0.ascii }
        }
        return MailDomain(text)?.ascii
    }

    // MARK: - Labels

    /// The comparable form of one label.
    private static func aLabel(_ scalars: [Unicode.Scalar]) -> String? {
        guard !scalars.isEmpty else { return nil }
        if scalars.allSatisfy(\.isASCII) {
            let label = MailScalars.asciiLowercased(String(String.UnicodeScalarView(scalars)))
            guard isLDHLabel(label) else { return nil }
            guard label.utf8.starts(with: "xn--".utf8) else { return label }
            // An A-label must be the encoding of a valid U-label; re-encoding the decoded,
            // lowercased label gives its one canonical spelling.
            guard let decoded = Punycode.decode(label.dropFirst(4)) else { return nil }
            return encodedULabel(decoded)
        }
        return encodedULabel(scalars)
    }

    private static func encodedULabel(_ scalars: [Unicode.Scalar]) -> String? {
        let lower = Array(MailScalars.lowercasedForMatching(String(String.UnicodeScalarView(scalars))).unicodeScalars)
        guard isULabel(lower), let encoded = Punycode.encode(lower) else { return nil }
        let label = "xn--" + encoded
        return label.utf8.count <= maxLabelLength ? label : nil
    }

    /// Letters, digits and hyphens, not at either end, 63 octets at most (RFC 1035 §2.3.1).
    private static func isLDHLabel(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLabelLength,
              bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }
    }

    /// A U-label (RFC 5891 §5.4, without the tables): some non-ASCII; ASCII only letters,
    /// digits and inner hyphens, never `--` in the third and fourth place; otherwise only
    /// letters, marks and digits, and no mark first.
    private static func isULabel(_ scalars: [Unicode.Scalar]) -> Bool {
        guard let first = scalars.first, let last = scalars.last, scalars.contains(where: { !$0.isASCII }),
              first != "-", last != "-", !isMark(first) else { return false }
        if scalars.count >= 4, scalars[2] == "-", scalars[3] == "-" { return false }
        return scalars.allSatisfy { scalar in
            if scalar.isASCII { return isLetterOrDigit(UInt8(scalar.value)) || scalar == "-" }
            switch scalar.properties.generalCategory {
            case .lowercaseLetter, .uppercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
                return true
            default:
                return false
            }
        }
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
