/// Which Unicode scalars may stand in the parts of an address Backstop decides on.
///
/// Decisions look at scalars, never at Swift `Character`s: a grapheme can glue an ASCII `%`,
/// `!`, `@` or `.` to the scalar before it (a Prepend scalar such as U+0600) or after it (a
/// combining mark), and would then hide it from a `Character` comparison.
public enum MailScalars {
    /// Grapheme_Cluster_Break=Prepend (UAX #29) from the Unicode 16 data, plus U+11A3A, which
    /// older versions listed. Such a scalar joins the next one into a single grapheme.
    static let prependRanges: [ClosedRange<UInt32>] = [
        0x0600...0x0605, 0x06DD...0x06DD, 0x070F...0x070F, 0x0890...0x0891, 0x08E2...0x08E2,
        0x0D4E...0x0D4E, 0x110BD...0x110BD, 0x110CD...0x110CD, 0x111C2...0x111C3, 0x113D1...0x113D1,
        0x1193F...0x1193F, 0x11941...0x11941, 0x11A3A...0x11A3A, 0x11A84...0x11A89, 0x11D46...0x11D46,
        0x11F02...0x11F02,
    ]

    public static func isPrepend(_ scalar: Unicode.Scalar) -> Bool {
        prependRanges.contains { $0.contains(scalar.value) }
    }

    /// Scalars refused in a local part: controls (Cc), format characters (Cf: bidi overrides,
    /// zero-width joiners, the Arabic number signs), Prepend scalars, surrogates, private use
    /// and unassigned code points. None belongs in a mailbox name, and each can make the
    /// address read differently to a person, a terminal or another mail system.
    public static func isRefusedInLocalPart(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return isPrepend(scalar)
        }
    }

    /// Compatibility forms of the routing characters `%`, `!` and `@` (fullwidth, small,
    /// vertical, `‼`): a host that applies NFKC (as IDNA's UTS #46 mapping does) turns them
    /// into the real ones, so relay policy treats them as the real ones.
    public static let routingLookalikes: Set<UInt32> = [
        0x203C, 0x2048, 0x2049, 0xFE15, 0xFE57, 0xFE6A, 0xFE6B, 0xFF01, 0xFF05, 0xFF20,
    ]

    /// `%`, `!`, `@`, or a compatibility form of one of them.
    public static func isRoutingCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "%" || scalar == "!" || scalar == "@" || routingLookalikes.contains(scalar.value)
    }

    /// `text` lowercased for matching, scalar by scalar: ASCII letters always; a non-ASCII
    /// scalar only when its lowercase form is one non-ASCII scalar. So `É` matches `é`, but
    /// the Kelvin sign never becomes `k`, nor `İ` an `i` with a dot: a non-ASCII address
    /// cannot pass for an ASCII one that the recipients file or a cache lists.
    public static func lowercasedForMatching<Text: StringProtocol>(_ text: Text) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                out.append((0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 0x20)! : scalar)
                continue
            }
            let lower = scalar.properties.lowercaseMapping.unicodeScalars
            if lower.count == 1, let only = lower.first, !only.isASCII { out.append(only) } else { out.append(scalar) }
        }
        return String(out)
    }

    /// ASCII letters lowercased, every other byte kept.
    public static func asciiLowercased<Text: StringProtocol>(_ text: Text) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// Whether two texts are the same scalars: what a security decision means by "equal"
    /// (Swift's `==` on strings ignores differences of canonical equivalence).
    public static func same<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }
}
