import Forwarder
import MailDNS
import Testing

@Suite("DNS answers in wire format")
struct DNSAnswerTests {
    @Test("MX records, with the exchange compressed against the question's name")
    func mailExchangers() throws {
        var wire = DNSWire(question: "example.org", type: .mx)
        wire.mx(20, Array([3] + "mx2".utf8) + DNSWire.pointer(to: DNSWire.questionOffset))
        wire.mx(10, "mx1.example.net.")
        let answer = try DNSAnswer(parsing: wire.bytes)
        #expect(answer.rcode == 0)
        #expect(answer.records == [.mx(preference: 20, exchange: "mx2.example.org"),
                                   .mx(preference: 10, exchange: "mx1.example.net")])
    }

    @Test("a null MX has the root as exchange (RFC 7505)")
    func nullMX() throws {
        var wire = DNSWire(question: "nomail.example", type: .mx)
        wire.mx(0, ".")
        #expect(try DNSAnswer(parsing: wire.bytes).records == [.mx(preference: 0, exchange: "")])
    }

    @Test("A and AAAA records, and the CNAME on the way to them")
    func addresses() throws {
        var wire = DNSWire(question: "mail.example.org", type: .a)
        wire.cname("host.example.org")
        wire.a([192, 0, 2, 25])
        wire.a([0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        let answer = try DNSAnswer(parsing: wire.bytes)
        #expect(answer.records == [.cname("host.example.org"), .a([192, 0, 2, 25]),
                                   .aaaa([0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])])
        #expect(answer.hasAddress)
        #expect(answer.mailExchangers.isEmpty)
    }

    @Test("the RCODE is read from the header")
    func rcode() throws {
        #expect(try DNSAnswer(parsing: DNSWire(question: "gone.example", type: .mx, rcode: 3).bytes).rcode == 3)
    }

    @Test("malformed messages are refused, not guessed at", arguments: [
        "truncated header", "truncated record", "A record of three octets", "pointer past the end", "MX without exchange",
    ])
    func malformed(kind: String) {
        var wire = DNSWire(question: "example.org", type: .mx)
        var bytes: [UInt8]
        switch kind {
        case "truncated header":
            bytes = Array(wire.bytes.prefix(7))
        case "truncated record":
            wire.mx(10, "mx1.example.org")
            bytes = Array(wire.bytes.dropLast(4))
        case "A record of three octets":
            wire.a([192, 0, 2])
            bytes = wire.bytes
        case "pointer past the end":
            wire.mx(10, DNSWire.pointer(to: 4000))
            bytes = wire.bytes
        default:
            wire.mx(10, [])
            bytes = wire.bytes
        }
        #expect(throws: DNSAnswer.Malformed.self) { try DNSAnswer(parsing: bytes) }
    }
}
