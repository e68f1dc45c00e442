/// The record types Backstop asks for: mail routing (RFC 5321 §5.1), DNS lists (RFC 5782),
/// SPF and DKIM (TXT), reverse names (PTR).
public enum DNSRecordType: UInt16, Hashable, Sendable, CustomStringConvertible {
    case a = 1
    case cname = 5
    case ptr = 12
    case mx = 15
    case txt = 16
    case aaaa = 28

    public var description: String {
        switch self {
        case .a: return "A"
        case .cname: return "CNAME"
        case .ptr: return "PTR"
        case .mx: return "MX"
        case .txt: return "TXT"
        case .aaaa: return "AAAA"
        }
    }
}
