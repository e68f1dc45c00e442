import SpoolContract
import MailNames
import SMTPProtocol

/// Addresses in report fields (RFC 3464 §2.3.1, RFC 6533 §3): `rfc822` for ASCII ones,
/// `utf-8` for internationalised ones, raw in a `message/global-delivery-status` and as
/// `utf-8-addr-xtext` (`\x{HEX}`) in a plain `message/delivery-status`.
extension DSNBuilder {
    /// True when the recipient's address or its ORCPT holds non-ASCII text.
    static func needsUTF8(_ recipient: StoredRecipient) -> Bool {
        if !isASCII(recipient.address) { return true }
        guard let original = recipient.recipient.orcpt, let (_, value) = splitOriginal(original) else { return false }
        return !isASCII(value)
    }

    /// `rfc822; addr` or `utf-8; addr`, the address encoded as the report part allows.
    static func typedAddress(_ address: String, global: Bool) -> String {
        if isASCII(address) { return "rfc822; " + ascii(address) }
        return "utf-8; " + (global ? printable(address) : utf8AddressXText(address))
    }

    /// The Original-Recipient field from ORCPT (`type;xtext`), or nil when it is malformed.
    static func originalRecipient(_ orcpt: String, global: Bool) -> String? {
        guard let (type, value) = splitOriginal(orcpt) else { return nil }
        if isASCII(value) { return "\(ascii(type));\(ascii(value))" }
        return "utf-8;" + (global ? printable(value) : utf8AddressXText(value))
    }

    /// The ORCPT's type and its address, xtext-decoded and, for the `utf-8` type, with its
    /// `\x{HEX}` escapes (RFC 6533 §3) decoded too.
    private static func splitOriginal(_ orcpt: String) -> (type: String, value: String)? {
        let scalars = orcpt.unicodeScalars
        guard let semicolon = scalars.firstIndex(of: ";") else { return nil }
        let type = String(String.UnicodeScalarView(scalars[..<semicolon]))
        var value = XText.decode(Substring(scalars[scalars.index(after: semicolon)...]))
        if MailScalars.same(MailScalars.asciiLowercased(type), "utf-8") { value = decodeUTF8AddressXText(value) }
        return (type, value)
    }

    /// Anything but a control character, as UTF-8 text may carry in the global types.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 32 || (0x7f...0x9f).contains($0.value) ? "?" : $0 }))
    }

    /// RFC 6533 §3 `utf-8-addr-xtext`: printable ASCII except `\`, `+` and `=` stays; every
    /// other scalar is `\x{HEX}`.
    static func utf8AddressXText(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value > 32, scalar.value < 127, scalar != "\\", scalar != "+", scalar != "=" {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\x{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    /// Decodes `\x{HEX}`; anything that is not a valid escape stays as written.
    static func decodeUTF8AddressXText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "\\", index + 3 < scalars.count, scalars[index + 1] == "x", scalars[index + 2] == "{",
               let close = scalars[(index + 3)...].firstIndex(of: "}"), close - index - 3 <= 6,
               let value = UInt32(String(String.UnicodeScalarView(scalars[(index + 3)..<close])), radix: 16),
               let scalar = Unicode.Scalar(value) {
                out.append(scalar)
                index = close + 1
            } else {
                out.append(scalars[index])
                index += 1
            }
        }
        return String(out)
    }

    private static func isASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 }
    }
}
