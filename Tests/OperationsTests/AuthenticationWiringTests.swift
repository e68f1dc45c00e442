import BackstopConfig
import MailAuth
import MailDNS
@testable import Operations
import Testing

@Suite("Mail authentication's DNS through the system resolver, and its wiring from the configuration")
struct AuthenticationWiringTests {
    /// Canned responses by name and type.
    struct CannedQuerier: DNSQuerier {
        var responses: [String: DNSResponse]
        func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
            responses["\(name) \(type)"] ?? .noSuchDomain
        }
    }

    static func name(_ text: String) -> [UInt8] {
        text.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    /// A response: header, one question at offset 12, then the answers (type, rdata).
    static func response(_ question: String, type: UInt16, answers: [(UInt16, [UInt8])]) -> [UInt8] {
        var message: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, UInt8(answers.count), 0, 0, 0, 0]
        message += name(question) + [0, UInt8(type), 0, 1]
        for (recordType, rdata) in answers {
            // The owner is a pointer to the question's name.
            message += [0xC0, 12, UInt8(recordType >> 8), UInt8(recordType & 0xFF), 0, 1, 0, 0, 0x0E, 0x10,
                        UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
        }
        return message
    }

    @Test("TXT character-strings are joined per record; a record of another type in the answer is skipped")
    func txt() async {
        let spf1 = Array("v=spf1 ip4:192.0.2.0/24".utf8), spf2 = Array(" -all".utf8)
        let message = Self.response("example.org", type: 16, answers: [
            (1, [192, 0, 2, 1]),
            (16, [UInt8(spf1.count)] + spf1 + [UInt8(spf2.count)] + spf2),
            (16, [3] + Array("two".utf8)),
        ])
        let dns = QuerierAuthDNS(querier: CannedQuerier(responses: ["example.org TXT": .message(message)]))
        guard case .records(let records) = await dns.txt("example.org") else {
            Issue.record("no TXT records")
            return
        }
        #expect(records.map { String(decoding: $0, as: UTF8.self) } == ["v=spf1 ip4:192.0.2.0/24 -all", "two"])
    }

    @Test("a PTR name written with a compression pointer is read whole")
    func ptr() async {
        // The first answer spells mx.example.org out; the second is "mail" and a pointer to its example.org.
        var message = Self.response("1.2.0.192.in-addr.arpa", type: 12, answers: [(12, Self.name("mx.example.org"))])
        let exampleOrg = message.count - Self.name("example.org").count
        message[7] = 2
        message += [0xC0, 12, 0, 12, 0, 1, 0, 0, 0x0E, 0x10, 0, 7, 4] + Array("mail".utf8) + [0xC0, UInt8(exampleOrg)]
        let dns = QuerierAuthDNS(querier: CannedQuerier(responses: ["1.2.0.192.in-addr.arpa PTR": .message(message)]))
        guard case .records(let names) = await dns.ptr("1.2.0.192.in-addr.arpa") else {
            Issue.record("no PTR records")
            return
        }
        #expect(names == ["mx.example.org", "mail.example.org"])
    }

    @Test("NXDOMAIN, NODATA and failures keep their meaning; a truncated message is a failure, not an empty answer")
    func outcomes() async {
        let dns = QuerierAuthDNS(querier: CannedQuerier(responses: [
            "nodata.example TXT": .noRecords, "broken.example TXT": .failed("timeout"),
            "short.example TXT": .message(Array(Self.response("short.example", type: 16, answers: [(16, [9, 0x61])]).dropLast())),
        ]))
        if case .nameDoesNotExist = await dns.txt("missing.example") {} else { Issue.record("NXDOMAIN lost") }
        if case .noData = await dns.txt("nodata.example") {} else { Issue.record("NODATA lost") }
        if case .temporaryFailure = await dns.txt("broken.example") {} else { Issue.record("a failure became an answer") }
        if case .temporaryFailure = await dns.txt("short.example") {} else { Issue.record("a malformed response became an answer") }
    }

    @Test("the authenticator follows [auth], [relay] domains and [server] hostname; all checks off is none")
    func wiring() throws {
        var configuration = BackstopConfiguration.embeddedDefaults
        configuration.server.hostname = "mx2.example.net"
        configuration.relay.domains = ["example.org", ".example.com"]
        configuration.auth.dmarc = false
        let querier = CannedQuerier(responses: [:])
        let authenticator = try #require(try MessageAuthentication.authenticator(configuration: configuration, configFile: "x.toml", dns: querier))
        #expect(authenticator.policy.authservID == "mx2.example.net")
        #expect(authenticator.policy.ownDomains == ["example.org", "example.com"])
        #expect(authenticator.policy.sealer == nil)
        configuration.auth.authservID = "backstop.example.net"
        #expect(try MessageAuthentication.authenticator(configuration: configuration, configFile: "x.toml", dns: querier)?.policy.authservID
            == "backstop.example.net")
        configuration.auth.spf = false
        configuration.auth.dkim = false
        #expect(try MessageAuthentication.authenticator(configuration: configuration, configFile: "x.toml", dns: querier) == nil)
    }
}
