/// Splitting an address as stored (`local@domain`, as the client wrote it) by its scalars.
public enum AddressText {
    /// The position of the last `@` scalar: the one before the domain, since a domain never
    /// holds one while a quoted local part may.
    public static func lastAt(in address: String) -> String.Index? {
        address.unicodeScalars.lastIndex(of: "@")
    }

    /// The local part as written (quotes kept); the whole text when there is no `@`.
    public static func localPart(of address: String) -> Substring {
        guard let at = lastAt(in: address) else { return address[...] }
        return address[..<at]
    }

    /// The domain as written; empty when there is no `@`.
    public static func domainPart(of address: String) -> Substring {
        guard let at = lastAt(in: address) else { return "" }
        return address[address.unicodeScalars.index(after: at)...]
    }

    /// The domain in the form every comparison uses (`MailDomain.ascii`): A-labels, ASCII
    /// lowercased. A domain that is no valid name (an address literal, or text that never
    /// passed the parser) is ASCII-lowercased as it is, so it still compares by its bytes.
    public static func comparableDomain(of address: String) -> String {
        let domain = domainPart(of: address)
        return MailDomain(domain)?.ascii ?? MailScalars.asciiLowercased(domain)
    }

    /// The address as a lookup key: local part unquoted and lowercased for matching (see
    /// `MailScalars.lowercasedForMatching`), domain in its comparable form.
    public static func matchingKey(_ address: String) -> String {
        let local = unquoted(localPart(of: address))
        return MailScalars.lowercasedForMatching(local) + "@" + comparableDomain(of: address)
    }

    /// A quoted local part without its quotes and backslashes (`"a\"b"` is `a"b`); an
    /// unquoted one unchanged.
    public static func unquoted<Text: StringProtocol>(_ local: Text) -> String {
        let scalars = Array(local.unicodeScalars)
        guard scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" else { return String(local) }
        var out = String.UnicodeScalarView()
        var escaped = false
        for scalar in scalars.dropFirst().dropLast() {
            if !escaped, scalar == "\\" { escaped = true; continue }
            escaped = false
            out.append(scalar)
        }
        return String(out)
    }
}
