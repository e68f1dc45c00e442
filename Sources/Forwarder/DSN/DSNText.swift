#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SMTPProtocol

/// The text-shaping rules a DSN must follow: 7-bit fields, CRLF, lines of at most 998 octets.
extension DSNBuilder {
    /// Longest line written in the generated parts; RFC 5322 §2.1.1 recommends 78.
    static let foldWidth = 78

    /// The header section of a message: everything before the first empty line. When the
    /// prefix holds no empty line, up to its last complete line.
    static func headerSection(of message: [UInt8]) -> [UInt8] {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        if message.count >= 4 {
            for index in 0...(message.count - 4) where message[index..<index + 4].elementsEqual(separator) {
                return Array(message[..<(index + 2)])
            }
        }
        guard let lastLF = message.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return Array(message[...lastLF])
    }

    /// RFC 5322 §3.3 date-time in UTC.
    static func date(_ date: Date) -> String {
        RFC5322Date.format(secondsSince1970: Int(date.timeIntervalSince1970.rounded(.down)))
    }

    static func endsWithCRLF(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[bytes.count - 2] == UInt8(ascii: "\r") && bytes[bytes.count - 1] == UInt8(ascii: "\n")
    }

    /// A MIME boundary that does not occur in the returned content (RFC 2046 §5.1.1).
    static func boundary<R: RandomNumberGenerator>(for job: DeliveryJob, avoiding content: [UInt8], using random: inout R) -> String {
        while true {
            let candidate = "=_backstop_\(hex(random.next()))"
            if !contains(content, Array(candidate.utf8)) { return candidate }
        }
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Keeps printable ASCII; anything else becomes "?", as the report fields are 7-bit text.
    static func ascii(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? $0 : "?" }))
    }

    /// `host` from `host:port` or `[v6]:port`.
    static func hostPart(_ hostAndPort: String) -> String {
        if hostAndPort.hasPrefix("["), let close = hostAndPort.firstIndex(of: "]") {
            return String(hostAndPort[hostAndPort.index(after: hostAndPort.startIndex)..<close])
        }
        guard let colon = hostAndPort.lastIndex(of: ":") else { return hostAndPort }
        return String(hostAndPort[..<colon])
    }

    /// Folds a header field at spaces (RFC 5322 §2.2.3); a word too long to fold is cut so no
    /// line passes 998 octets.
    static func fold(_ field: String, continuation: String = "\t") -> [String] {
        var lines: [String] = []
        var current = ""
        for word in field.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty, current != continuation, current.count + 1 + word.count > foldWidth {
                lines.append(current)
                current = continuation
            } else if !current.isEmpty, current != continuation {
                current += " "
            }
            current += word
        }
        lines.append(current)
        return lines.flatMap { hardSplit($0, continuation: continuation) }
    }

    /// Wraps prose at spaces, for the human-readable part.
    static func wrap(_ text: String) -> [String] {
        fold(text, continuation: "    ")
    }

    private static func hardSplit(_ line: String, continuation: String) -> [String] {
        let limit = 998
        guard line.utf8.count > limit else { return [line] }
        var out: [String] = []
        var rest = Substring(line)
        while rest.utf8.count > limit {
            let cut = rest.index(rest.startIndex, offsetBy: limit - continuation.count)
            out.append(String(rest[..<cut]))
            rest = Substring(continuation) + rest[cut...]
        }
        out.append(String(rest))
        return out
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }
}
