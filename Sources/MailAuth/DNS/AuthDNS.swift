/// The DNS questions mail authentication asks, answered in the four ways its verdicts tell
/// apart: records, a name that does not exist, a name without records of that type (both
/// "void lookups" for RFC 7208 §4.6.4), and a temporary failure (→ temperror everywhere).
///
/// Names are passed in A-label form without a trailing dot. An implementation bounds what it
/// returns (`AuthDNSLimits.maxAnswers`); MailAuth bounds it again, so a wrong one cannot
/// make a verifier loop or allocate without limit.
public protocol AuthDNS: Sendable {
    /// TXT records, each its character-strings concatenated (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
    func txt(_ name: String) async -> AuthDNSAnswer<[UInt8]>
    func a(_ name: String) async -> AuthDNSAnswer<IPAddress>
    func aaaa(_ name: String) async -> AuthDNSAnswer<IPAddress>
    func mx(_ name: String) async -> AuthDNSAnswer<MXRecord>
    /// PTR names for a reverse name (`4.3.2.1.in-addr.arpa`, `…ip6.arpa`).
    func ptr(_ name: String) async -> AuthDNSAnswer<String>
}

/// One answer of `AuthDNS`.
public enum AuthDNSAnswer<Record: Sendable>: Sendable {
    case records([Record])
    /// NXDOMAIN (RCODE 3).
    case nameDoesNotExist
    /// NOERROR with an empty answer section.
    case noData
    /// A timeout or SERVFAIL: the caller reports temperror, never a definite verdict.
    case temporaryFailure

    /// The records, capped at `limit`; empty for NXDOMAIN and NODATA.
    func records(limit: Int) -> [Record] {
        if case .records(let records) = self { return Array(records.prefix(limit)) }
        return []
    }

    /// NXDOMAIN, NODATA, or an empty answer: what RFC 7208 §4.6.4 counts as a void lookup.
    var isVoid: Bool {
        switch self {
        case .nameDoesNotExist, .noData: return true
        case .records(let records): return records.isEmpty
        case .temporaryFailure: return false
        }
    }
}

/// An MX record: preference and exchange (A-label form).
public struct MXRecord: Sendable, Hashable {
    public var preference: UInt16
    public var exchange: String

    public init(preference: UInt16, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }
}

/// Bounds on what DNS answers MailAuth looks at.
public enum AuthDNSLimits {
    /// More records than this in one answer are ignored (no sane mail zone has them).
    public static let maxAnswers = 64
    /// A TXT record longer than this is ignored: SPF, DKIM and DMARC records are far shorter.
    public static let maxTXTLength = 16_384
}
