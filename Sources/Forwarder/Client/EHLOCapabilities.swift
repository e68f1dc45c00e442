import SMTPProtocol

/// The service extensions a primary announced in its EHLO reply, as far as the client uses them.
public struct EHLOCapabilities: Hashable, Sendable {
    public var pipelining = false
    /// nil when SIZE was not offered; 0 when offered without a limit (RFC 1870 §4).
    public var sizeLimit: Int?
    public var eightBitMIME = false
    public var smtpUTF8 = false
    public var dsn = false
    public var startTLS = false
    public var chunking = false
    public var enhancedStatusCodes = false

    public init() {}

    /// Reads the keyword lines of an EHLO reply (every line after the first, RFC 5321 §4.1.1.1).
    public init(ehloReply: SMTPReply) {
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(separator: " ")
            guard let keyword = words.first?.uppercased() else { continue }
            switch keyword {
            case "PIPELINING": pipelining = true
            case "SIZE": sizeLimit = words.count > 1 ? max(0, Int(words[1]) ?? 0) : 0
            case "8BITMIME": eightBitMIME = true
            case "SMTPUTF8": smtpUTF8 = true
            case "DSN": dsn = true
            case "STARTTLS": startTLS = true
            case "CHUNKING": chunking = true
            case "ENHANCEDSTATUSCODES": enhancedStatusCodes = true
            default: continue
            }
        }
    }
}
