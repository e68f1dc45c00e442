import MailCore

/// Parses the ESMTP parameters that follow a MAIL or RCPT path (RFC 5321 §4.1.2 `esmtp-param`).
///
/// Only extensions Backstop advertises are understood: SIZE (RFC 1870), BODY (RFC 6152),
/// SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461). Anything else is `555 5.5.4`.
public enum MailParameterParser {
    /// RFC 3461 §4.4: ENVID is at most 100 characters.
    static let maxEnvelopeIDLength = 100
    /// RFC 3461 §4.2: ORCPT is at most 500 characters.
    static let maxOriginalRecipientLength = 500

    public static func parseMail(_ text: Substring) -> Result<MailParameters, SMTPReply> {
        var parameters = MailParameters()
        var seen = Set<String>()
        for word in text.unicodeScalars.split(separator: " ").map(Substring.init) {
            let (keyword, value) = split(word)
            guard seen.insert(keyword).inserted else { return .failure(duplicate(keyword)) }
            // A parameter we know with a missing or unexpected value is a syntax error (501);
            // only a parameter we do not know is 555.
            switch keyword {
            case "SIZE":
                guard let value, ASCII.isDigits(value) else { return .failure(bad(keyword)) }
                // A size too large for Int is certainly too large for us.
                parameters.size = Int(value) ?? Int.max
            case "BODY":
                guard let value else { return .failure(bad(keyword)) }
                guard let body = BodyType(rawValue: ASCII.uppercased(value)) else {
                    return .failure(SMTPReply(555, .init(5, 5, 4), "Unsupported BODY type \(ASCII.quotable(value))"))
                }
                parameters.body = body
            case "SMTPUTF8":
                guard value == nil else { return .failure(bad(keyword)) }
                parameters.smtpUTF8 = true
            case "RET":
                guard let value, let ret = DSNReturn(rawValue: ASCII.uppercased(value)) else {
                    return .failure(bad(keyword))
                }
                parameters.ret = ret
            case "ENVID":
                guard let value, value.utf8.count <= maxEnvelopeIDLength, XText.isValid(value) else {
                    return .failure(bad(keyword))
                }
                parameters.envelopeID = String(value)
            default:
                return .failure(unsupported(keyword))
            }
        }
        return .success(parameters)
    }

    public static func parseRecipient(_ text: Substring) -> Result<RecipientParameters, SMTPReply> {
        var parameters = RecipientParameters()
        var seen = Set<String>()
        for word in text.unicodeScalars.split(separator: " ").map(Substring.init) {
            let (keyword, value) = split(word)
            guard seen.insert(keyword).inserted else { return .failure(duplicate(keyword)) }
            switch keyword {
            case "NOTIFY":
                guard let value, let notify = DSNNotifyRequest(rfc3461: value) else { return .failure(bad(keyword)) }
                parameters.notify = notify
            case "ORCPT":
                guard let value, isValidOriginalRecipient(value) else { return .failure(bad(keyword)) }
                parameters.originalRecipient = String(value)
            default:
                return .failure(unsupported(keyword))
            }
        }
        return .success(parameters)
    }

    /// RFC 3461 §4.2: `addr-type ";" xtext`, at most 500 characters, both parts non-empty.
    static func isValidOriginalRecipient(_ value: Substring) -> Bool {
        guard value.utf8.count <= maxOriginalRecipientLength,
              let semicolon = value.unicodeScalars.firstIndex(of: ";") else { return false }
        let addressType = value[..<semicolon]
        let address = value[value.unicodeScalars.index(after: semicolon)...]
        return !addressType.isEmpty && addressType.unicodeScalars.allSatisfy(PathParser.isAText)
            && !address.isEmpty && XText.isValid(address)
    }

    private static func split(_ word: Substring) -> (String, Substring?) {
        guard let equals = word.unicodeScalars.firstIndex(of: "=") else { return (ASCII.uppercased(word), nil) }
        return (ASCII.uppercased(word[..<equals]), word[word.unicodeScalars.index(after: equals)...])
    }

    private static func bad(_ keyword: String) -> SMTPReply {
        SMTPReply(501, .init(5, 5, 4), "Invalid value for parameter \(ASCII.quotable(keyword))")
    }

    private static func duplicate(_ keyword: String) -> SMTPReply {
        SMTPReply(501, .init(5, 5, 4), "Parameter \(ASCII.quotable(keyword)) given twice")
    }

    private static func unsupported(_ keyword: String) -> SMTPReply {
        SMTPReply(555, .init(5, 5, 4), "Unsupported parameter \(ASCII.quotable(keyword))")
    }
}

/// RFC 3461 §4 xtext: printable ASCII except `+` and `=`, with `+XX` hex escapes.
public enum XText {
    public static func isValid(_ text: Substring) -> Bool {
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            if byte == UInt8(ascii: "+") {
                guard let high = bytes.next(), let low = bytes.next(), isUpperHex(high), isUpperHex(low) else { return false }
            } else if byte < 33 || byte > 126 || byte == UInt8(ascii: "=") {
                return false
            }
        }
        return true
    }

    /// Decodes `+XX` escapes. Assumes `isValid(text)`.
    public static func decode(_ text: Substring) -> String {
        var out: [UInt8] = []
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            if byte == UInt8(ascii: "+"), let high = bytes.next(), let low = bytes.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                out.append(value)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes text as xtext, escaping `+`, `=`, controls and non-ASCII.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte < 33 || byte > 126 || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "=") {
                out += "+" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                out.append(Character(Unicode.Scalar(byte)))
            }
        }
        return out
    }

    private static func isUpperHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
