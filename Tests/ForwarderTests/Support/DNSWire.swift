import Forwarder
import MailDNS

/// Builds DNS response messages in wire format (RFC 1035 §4.1), so the parser is tested on
/// the bytes a resolver returns, compression pointers included. No query is ever sent.
struct DNSWire {
    struct Answer {
        /// The owner name as encoded (often a pointer to the question's name).
        var owner: [UInt8]
        var type: UInt16
        var data: [UInt8]
    }

    var question: String
    var questionType: DNSRecordType
    var rcode: UInt8 = 0
    var answers: [Answer] = []

    /// Where the question's name starts: right after the 12-octet header.
    static let questionOffset = 12

    init(question: String, type: DNSRecordType, rcode: UInt8 = 0) {
        self.question = question
        self.questionType = type
        self.rcode = rcode
    }

    /// `name` as length-prefixed labels, ended by the root label; `"."` or `""` is the root.
    static func name(_ name: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in name.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += Array(label.utf8)
        }
        return bytes + [0]
    }

    /// A compression pointer to `offset` (RFC 1035 §4.1.4).
    static func pointer(to offset: Int) -> [UInt8] {
        [0xC0 | UInt8(offset >> 8), UInt8(offset & 0xFF)]
    }

    static func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    mutating func mx(_ preference: Int, _ exchange: [UInt8]) {
        answers.append(Answer(owner: Self.pointer(to: Self.questionOffset), type: 15, data: Self.u16(preference) + exchange))
    }

    mutating func mx(_ preference: Int, _ exchange: String) {
        mx(preference, Self.name(exchange))
    }

    mutating func a(_ octets: [UInt8]) {
        answers.append(Answer(owner: Self.pointer(to: Self.questionOffset), type: octets.count == 16 ? 28 : 1, data: octets))
    }

    mutating func cname(_ target: String) {
        answers.append(Answer(owner: Self.pointer(to: Self.questionOffset), type: 5, data: Self.name(target)))
    }

    var bytes: [UInt8] {
        // QR, RD, RA set; the RCODE in the low four bits.
        var message: [UInt8] = [0x12, 0x34, 0x81, 0x80 | rcode]
        message += Self.u16(1) + Self.u16(answers.count) + Self.u16(0) + Self.u16(0)
        message += Self.name(question) + Self.u16(Int(questionType.rawValue)) + Self.u16(1)
        for answer in answers {
            message += answer.owner + Self.u16(Int(answer.type)) + Self.u16(1) + [0, 0, 0x0E, 0x10]
            message += Self.u16(answer.data.count) + answer.data
        }
        return message
    }
}

/// Canned responses by name and type; anything not listed is NXDOMAIN.
struct CannedDNS: DNSQuerier {
    var responses: [String: DNSResponse] = [:]

    subscript(name: String, type: DNSRecordType) -> DNSResponse? {
        get { responses["\(name)/\(type)"] }
        set { responses["\(name)/\(type)"] = newValue }
    }

    func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
        self[name, type] ?? .noSuchDomain
    }

    /// Gives `name` one A (4 octets) or AAAA (16 octets) record.
    mutating func address(_ name: String, _ octets: [UInt8]) {
        let type: DNSRecordType = octets.count == 16 ? .aaaa : .a
        var wire = DNSWire(question: name, type: type)
        wire.a(octets)
        self[name, type] = .message(wire.bytes)
    }
}
