/// The domain-name grammar shared by `hostname`, `[relay] domains`, listen hosts and the
/// recipients file: ASCII letters, digits and hyphens in dot-separated labels (RFC 1035
/// §2.3.1, RFC 5321 §4.1.2). Names are compared lowercased everywhere, so they are stored
/// lowercased.
enum DomainName {
    /// Checks `text` and returns it lowercased. With `allowsWildcard`, a leading "."
    /// is kept: it means "any subdomain of" in `[relay] domains`.
    static func validate(_ text: String, allowsWildcard: Bool = false) throws(ValueError) -> String {
        let name = text.lowercased()
        let isWildcard = allowsWildcard && name.hasPrefix(".")
        let body = isWildcard ? String(name.dropFirst()) : name
        guard !body.isEmpty else {
            throw ValueError("empty domain; write a name such as \"example.org\"")
        }
        if body.hasSuffix(".") {
            throw ValueError("\(quoted(text)): remove the trailing dot (write \(quoted(String(name.dropLast()))))")
        }
        if body.hasPrefix(".") {
            throw ValueError("\(quoted(text)): starts with \".\"")
        }
        guard body.allSatisfy(\.isASCII) else {
            throw ValueError("\(quoted(text)): write an internationalized name in its ASCII form (xn--...)")
        }
        guard body.utf8.count <= 253 else {
            throw ValueError("\(quoted(text)): longer than 253 characters")
        }
        let labels = body.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            try validate(label: label, in: text)
        }
        if let last = labels.last, last.allSatisfy(\.isNumber) {
            throw ValueError("\(quoted(text)) looks like an IP address; write a domain name")
        }
        return name
    }

    private static func validate(label: Substring, in text: String) throws(ValueError) {
        guard !label.isEmpty else {
            throw ValueError("\(quoted(text)): empty label between dots")
        }
        guard label.utf8.count <= 63 else {
            throw ValueError("\(quoted(text)): label \(quoted(String(label))) is longer than 63 characters")
        }
        if let bad = label.first(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
            throw ValueError("\(quoted(text)): \(quoted(String(bad))) is not allowed in a domain name (letters, digits, \"-\" and \".\" only)")
        }
        if label.hasPrefix("-") || label.hasSuffix("-") {
            throw ValueError("\(quoted(text)): a label cannot start or end with \"-\"")
        }
    }
}
