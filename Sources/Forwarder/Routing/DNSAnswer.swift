import CResolv

/// The record types mail routing (RFC 5321 §5.1) and mail authentication ask for.
public enum DNSRecordType: UInt16, Hashable, Sendable, CustomStringConvertible {
    case a = 1
    case ptr = 12
    case mx = 15
    case txt = 16
    case aaaa = 28

    public var description: String {
        switch self {
        case .a: return "A"
        case .ptr: return "PTR"
        case .mx: return "MX"
        case .txt: return "TXT"
        case .aaaa: return "AAAA"
        }
    }
}

/// One record of an answer section, as far as mail routing cares.
public enum DNSRecord: Hashable, Sendable {
    /// `exchange` without its trailing dot; empty for the root, which is a null MX (RFC 7505).
    case mx(preference: Int, exchange: String)
    case a([UInt8])
    case aaaa([UInt8])
    /// Anything else (a CNAME on the way, say); routing skips it.
    case other(type: Int)
}

/// A DNS response message reduced to its RCODE and answer records. The wire format is decoded
/// by libresolv (`ns_initparse`, `ns_parserr`, `dn_expand`), which handles name compression
/// and bounds, so nothing here walks untrusted bytes by hand.
public struct DNSAnswer: Hashable, Sendable {
    public var rcode: Int
    public var records: [DNSRecord]

    public struct Malformed: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String { "malformed DNS response" }
    }

    public init(rcode: Int, records: [DNSRecord]) {
        self.rcode = rcode
        self.records = records
    }

    public init(parsing message: [UInt8]) throws(Malformed) {
        var rcode: Int32 = 0
        let length = Int32(clamping: message.count)
        let count = message.withUnsafeBufferPointer { cresolv_answer_count($0.baseAddress, length, &rcode) }
        guard count >= 0 else { throw Malformed() }
        var records: [DNSRecord] = []
        for index in 0..<count {
            var raw = cresolv_record()
            let status = message.withUnsafeBufferPointer { cresolv_answer_record($0.baseAddress, length, index, &raw) }
            guard status == 0 else { throw Malformed() }
            records.append(Self.record(raw))
        }
        self.init(rcode: Int(rcode), records: records)
    }

    public var mailExchangers: [(preference: Int, exchange: String)] {
        records.compactMap { if case let .mx(preference, exchange) = $0 { (preference, exchange) } else { nil } }
    }

    /// The A and AAAA records' addresses, in answer order.
    public var addresses: [IPAddress] {
        records.compactMap {
            switch $0 {
            case .a(let octets), .aaaa(let octets): IPAddress(octets: octets)
            default: nil
            }
        }
    }

    /// True when the answer holds an A or AAAA record.
    public var hasAddress: Bool {
        records.contains { switch $0 { case .a, .aaaa: true; default: false } }
    }

    private static func record(_ raw: cresolv_record) -> DNSRecord {
        switch raw.type {
        case DNSRecordType.mx.rawValue:
            let name = withUnsafeBytes(of: raw.exchange) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            return .mx(preference: Int(raw.preference), exchange: name == "." ? "" : name)
        case DNSRecordType.a.rawValue, DNSRecordType.aaaa.rawValue:
            let address = withUnsafeBytes(of: raw.address) { Array($0.prefix(Int(raw.address_length))) }
            return raw.type == DNSRecordType.a.rawValue ? .a(address) : .aaaa(address)
        default:
            return .other(type: Int(raw.type))
        }
    }
}

/// What one query brought back.
public enum DNSResponse: Hashable, Sendable {
    /// NOERROR with records: the response message, to be parsed.
    case message([UInt8])
    /// NXDOMAIN: the name does not exist.
    case noSuchDomain
    /// The name exists without records of that type (NODATA).
    case noRecords
    /// SERVFAIL, a timeout, no resolver: ask again later.
    case failed(String)
}

/// Sends DNS queries. The system resolver in service, canned answers in tests.
public protocol DNSQuerier: Sendable {
    func query(_ name: String, type: DNSRecordType) async -> DNSResponse
}
