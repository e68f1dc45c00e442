/// The data of one record of an answer section.
public enum DNSRecord: Hashable, Sendable {
    /// `exchange` without its trailing dot; empty for the root, which is a null MX (RFC 7505).
    case mx(preference: Int, exchange: String)
    case a([UInt8])
    case aaaa([UInt8])
    /// The character-strings of one TXT record, as sent: bytes, not text (RFC 1035 §3.3.14).
    case txt([[UInt8]])
    /// The name a reverse lookup points at, without its trailing dot.
    case ptr(String)
    /// The canonical name of the owner, without its trailing dot.
    case cname(String)
    /// Any other type; nobody here reads it.
    case other(type: Int)

    /// A TXT record's strings joined without separators, as SPF and DKIM read them
    /// (RFC 7208 §3.3, RFC 6376 §3.6.2.2); nil for other types.
    public var joinedText: [UInt8]? {
        if case .txt(let strings) = self { return strings.flatMap { $0 } }
        return nil
    }
}

/// A record with its owner name and its time to live.
public struct DNSResourceRecord: Hashable, Sendable {
    /// Lowercased, without a trailing dot.
    public var owner: String
    public var ttl: UInt32
    public var data: DNSRecord

    public init(owner: String, ttl: UInt32, data: DNSRecord) {
        self.owner = owner
        self.ttl = ttl
        self.data = data
    }
}
