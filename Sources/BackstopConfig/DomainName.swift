import Foundation
import MailNames

/// The domain-name grammar shared by `hostname`, `[relay] domains`, listen hosts and the
/// recipients file: dot-separated labels of ASCII letters, digits and hyphens (RFC 1035
/// §2.3.1, RFC 5321 §4.1.2), or internationalized labels (IDNA 2008) in either form. Names are
/// compared in one form everywhere, so they are stored in it: A-labels, ASCII lowercased
/// (`MailDomain`); `bücher.example` is stored as `xn--bcher-kva.example`.
enum DomainName {
    /// Checks `text` and returns it in comparable form. With `allowsWildcard`, a leading "."
    /// is kept: it means "any subdomain of" in `[relay] domains`.
    static func validate(_ text: String, allowsWildcard: Bool = false) throws(ValueError) -> String {
        let isWildcard = allowsWildcard && text.unicodeScalars.first == "."
        let written = isWildcard ? String(Substring(text.unicodeScalars.dropFirst())) : text
        guard !written.isEmpty else {
            throw ValueError("empty domain; write a name such as \"example.org\"")
        }
        if written.unicodeScalars.last == "." {
            throw ValueError("\(quoted(text)): remove the trailing dot (write \(quoted(String(Substring(text.unicodeScalars.dropLast())))))")
        }
        if written.unicodeScalars.first == "." {
            throw ValueError("\(quoted(text)): starts with \".\"")
        }
        let body = try asciiForm(written, in: text)
        guard body.utf8.count <= 253 else {
            throw ValueError("\(quoted(text)): longer than 253 characters")
        }
        let labels = Array(body.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for label in labels {
            try validate(label: label, in: text)
        }
        if let last = labels.last, last.allSatisfy({ (0x30...0x39).contains($0) }) {
            throw ValueError("\(quoted(text)) looks like an IP address; write a domain name")
        }
        return isWildcard ? "." + body : body
    }

    /// ASCII names lowercased; internationalized ones (in NFC, as IDNA 2008 requires) as
    /// A-labels.
    private static func asciiForm(_ name: String, in text: String) throws(ValueError) -> String {
        if name.unicodeScalars.allSatisfy(\.isASCII) {
            // A-labels are checked too: one that is no valid Punycode names nothing.
            if name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).contains(where: {
                MailScalars.asciiLowercased(String(decoding: $0, as: UTF8.self)).utf8.starts(with: "xn--".utf8)
            }), MailDomain(name) == nil {
                throw ValueError("\(quoted(text)): an \"xn--\" label is not valid Punycode of an internationalized label")
            }
            return MailScalars.asciiLowercased(name)
        }
        guard let domain = MailDomain(name.precomposedStringWithCanonicalMapping) else {
            throw ValueError("\(quoted(text)): not a valid internationalized domain name (letters, marks, digits and inner \"-\" in each label; no spaces, symbols, controls or format characters)")
        }
        return domain.ascii
    }

    private static func validate(label: ArraySlice<UInt8>, in text: String) throws(ValueError) {
        let shown = String(decoding: label, as: UTF8.self)
        guard !label.isEmpty else {
            throw ValueError("\(quoted(text)): empty label between dots")
        }
        guard label.count <= 63 else {
            throw ValueError("\(quoted(text)): label \(quoted(shown)) is longer than 63 characters")
        }
        if let bad = label.first(where: { !(isLetterOrDigit($0) || $0 == UInt8(ascii: "-")) }) {
            throw ValueError("\(quoted(text)): \(quoted(String(UnicodeScalar(bad)))) is not allowed in a domain name (letters, digits, \"-\" and \".\" only)")
        }
        if label.first == UInt8(ascii: "-") || label.last == UInt8(ascii: "-") {
            throw ValueError("\(quoted(text)): a label cannot start or end with \"-\"")
        }
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
