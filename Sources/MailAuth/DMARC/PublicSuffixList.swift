import MailNames

/// The Public Suffix List (publicsuffix.org) for DMARC's organisational domain (RFC 7489
/// §3.2). Rules are kept in A-label form; lookups compare lowercased ASCII labels only.
public struct PublicSuffixList: Sendable {
    /// Debian's `publicsuffix` package puts the list here.
    public static let debianPath = "/usr/share/publicsuffix/public_suffix_list.dat"
    /// The list is about 250 KB; a file far larger than that is not the list.
    public static let maxFileBytes = 8 << 20
    public static let maxRules = 100_000

    /// Rules as label sequences, the rightmost label first ("*" a wildcard label).
    private var rules: Set<[String]> = []
    private var exceptions: Set<[String]> = []

    /// Parses the list's text format: one rule a line, `//` comments, `*.` wildcards, `!` exceptions.
    public init(text: some Collection<UInt8>) throws(MailAuthError) {
        guard text.count <= Self.maxFileBytes else { throw .publicSuffixList("larger than \(Self.maxFileBytes) bytes") }
        for line in Array(text).split(separator: 0x0A) {
            // A rule is the first whitespace-free run of the line.
            let rule = line.prefix { !ASCII.isWhitespace($0) }
            guard !rule.isEmpty, !rule.starts(with: "//".utf8) else { continue }
            guard rules.count + exceptions.count < Self.maxRules else { break }
            let isException = rule.first == UInt8(ascii: "!")
            let body = isException ? rule.dropFirst() : rule
            guard let labels = Self.labels(of: body) else { continue }
            if isException { exceptions.insert(labels) } else { rules.insert(labels) }
        }
    }

    /// Reads the list from a file (Debian's path unless given).
    public init(contentsOfFile path: String) throws(MailAuthError) {
        guard let bytes = FileBytes.read(path, limit: Self.maxFileBytes) else { throw .publicSuffixList("cannot read \(path)") }
        try self.init(text: bytes)
    }

    /// The public suffix of `domain` (A-label form): the longest matching rule, exceptions
    /// first, "*" when nothing matches.
    public func publicSuffix(of domain: String) -> String {
        let labels = Array(domain.utf8.split(separator: UInt8(ascii: ".")).map { ASCII.lowercasedString($0) }.reversed())
        var matched = 1
        for length in stride(from: labels.count, through: 1, by: -1) {
            let candidate = Array(labels.prefix(length))
            if exceptions.contains(candidate) { matched = length - 1; break }
            var wildcard = candidate
            wildcard[length - 1] = "*"
            if rules.contains(candidate) || rules.contains(wildcard) { matched = length; break }
        }
        return labels.prefix(matched).reversed().joined(separator: ".")
    }

    /// The organisational domain (RFC 7489 §3.2): the public suffix and one label more; a
    /// domain that is itself a public suffix is its own organisational domain.
    public func organizationalDomain(of domain: String) -> String {
        let labels = Array(domain.utf8.split(separator: UInt8(ascii: ".")).map { ASCII.lowercasedString($0) })
        let suffixCount = publicSuffix(of: domain).utf8.split(separator: UInt8(ascii: ".")).count
        guard labels.count > suffixCount else { return labels.joined(separator: ".") }
        return labels.suffix(suffixCount + 1).joined(separator: ".")
    }

    private static func labels(of rule: ArraySlice<UInt8>) -> [String]? {
        var result: [String] = []
        for label in rule.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).reversed() {
            if label.elementsEqual("*".utf8) { result.append("*"); continue }
            guard let domain = MailDomain(String(decoding: label, as: UTF8.self)) else { return nil }
            result.append(domain.ascii)
        }
        return result.isEmpty ? nil : result
    }
}
