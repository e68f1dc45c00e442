import CResolv

/// A DNS response message reduced to its RCODE and answer records. The wire format is decoded
/// by libresolv (`ns_initparse`, `ns_parserr`, `dn_expand`), which handles name compression
/// and bounds, so nothing here walks untrusted bytes by hand; only a TXT record's
/// character-strings are split here, after the C side checked that they fill it exactly.
public struct DNSAnswer: Hashable, Sendable {
    public var rcode: Int
    public var resourceRecords: [DNSResourceRecord]

    public struct Malformed: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String { "malformed DNS response" }
    }

    public init(rcode: Int, resourceRecords: [DNSResourceRecord]) {
        self.rcode = rcode
        self.resourceRecords = resourceRecords
    }

    public init(parsing message: [UInt8]) throws(Malformed) {
        var rcode: Int32 = 0
        let length = Int32(clamping: message.count)
        let count = message.withUnsafeBufferPointer { cresolv_answer_count($0.baseAddress, length, &rcode) }
        guard count >= 0 else { throw Malformed() }
        var records: [DNSResourceRecord] = []
        for index in 0..<count {
            var raw = cresolv_record()
            let status = message.withUnsafeBufferPointer { cresolv_answer_record($0.baseAddress, length, index, &raw) }
            guard status == 0 else { throw Malformed() }
            records.append(DNSResourceRecord(owner: Self.canonical(Self.text(raw.owner)), ttl: raw.ttl,
                                             data: try Self.record(raw, in: message)))
        }
        self.init(rcode: Int(rcode), resourceRecords: records)
    }

    /// The records' data in answer order.
    public var records: [DNSRecord] { resourceRecords.map(\.data) }

    /// The records that answer `name`: those owned by it or by the end of its CNAME chain,
    /// as a stub resolver reads an answer (RFC 1034 §3.6.2). The chain is followed for at
    /// most `maxChain` links, so a loop in it ends.
    /// Names are compared as UTF-8 bytes, never as Swift strings (canonical equivalence).
    public func records(answering name: String) -> [DNSResourceRecord] {
        var owner = Array(Self.canonical(name).utf8)
        var seen: Set<[UInt8]> = [owner]
        for _ in 0..<Self.maxChain {
            guard let alias = resourceRecords.first(where: { $0.owner.utf8.elementsEqual(owner) && $0.data.isCNAME }),
                  case .cname(let target) = alias.data else { break }
            owner = Array(Self.canonical(target).utf8)
            guard seen.insert(owner).inserted else { return [] }
        }
        return resourceRecords.filter { $0.owner.utf8.elementsEqual(owner) && !$0.data.isCNAME }
    }

    /// CNAME links followed within one answer; glibc's resolver stops at about as many.
    public static let maxChain = 8

    /// The lowest TTL of the records, which bounds how long the answer may be kept.
    public var minimumTTL: UInt32? { resourceRecords.map(\.ttl).min() }

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

    /// Each TXT record's character-strings, in answer order.
    public var texts: [[[UInt8]]] {
        records.compactMap { if case .txt(let strings) = $0 { strings } else { nil } }
    }

    private static func record(_ raw: cresolv_record, in message: [UInt8]) throws(Malformed) -> DNSRecord {
        switch raw.type {
        case DNSRecordType.mx.rawValue:
            let name = text(raw.name)
            return .mx(preference: Int(raw.preference), exchange: name == "." ? "" : name)
        case DNSRecordType.a.rawValue, DNSRecordType.aaaa.rawValue:
            let address = withUnsafeBytes(of: raw.address) { Array($0.prefix(Int(raw.address_length))) }
            return raw.type == DNSRecordType.a.rawValue ? .a(address) : .aaaa(address)
        case DNSRecordType.ptr.rawValue:
            return .ptr(trimmed(text(raw.name)))
        case DNSRecordType.cname.rawValue:
            return .cname(trimmed(text(raw.name)))
        case DNSRecordType.txt.rawValue:
            return .txt(try characterStrings(message, from: Int(raw.rdata_offset), count: Int(raw.rdata_length)))
        default:
            return .other(type: Int(raw.type))
        }
    }

    /// Splits RDATA the C side found to be whole character-strings; bounds are checked again.
    private static func characterStrings(_ message: [UInt8], from start: Int, count: Int) throws(Malformed) -> [[UInt8]] {
        guard start >= 0, count >= 0, start + count <= message.count else { throw Malformed() }
        var strings: [[UInt8]] = []
        var offset = start
        while offset < start + count {
            let length = Int(message[offset])
            guard offset + 1 + length <= start + count else { throw Malformed() }
            strings.append(Array(message[(offset + 1)..<(offset + 1 + length)]))
            offset += 1 + length
        }
        return strings
    }

    /// A NUL-terminated C buffer as text; names from `dn_expand` are printable ASCII
    /// (other octets come escaped as `\DDD`).
    private static func text<Buffer>(_ buffer: Buffer) -> String {
        withUnsafeBytes(of: buffer) { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func trimmed(_ name: String) -> String {
        name == "." ? "" : name
    }

    /// ASCII-lowercased without a trailing dot: DNS names compare case-insensitively in ASCII only.
    static func canonical(_ name: String) -> String {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        return String(decoding: bytes.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

extension DNSRecord {
    var isCNAME: Bool {
        if case .cname = self { return true }
        return false
    }
}
