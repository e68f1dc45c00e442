import Forwarder
import MailDNS
import SMTPProtocol
import Testing

@Suite("MXResolver: RFC 5321 §5.1 routing over canned DNS")
struct MXResolverTests {
    private func hosts(_ lookup: MailHostLookup) -> [String]? {
        if case .hosts(let hosts) = lookup { return hosts.map(\.name) }
        return nil
    }

    private func status(_ lookup: MailHostLookup) -> EnhancedStatusCode? {
        if case .unroutable(let diagnosis) = lookup { return diagnosis.status }
        return nil
    }

    /// A global address for each name, so routing sees hosts it may use.
    private func withAddresses(_ dns: CannedDNS, _ names: [String]) -> CannedDNS {
        var dns = dns
        for (index, name) in names.enumerated() { dns.address(name, [93, 184, 216, UInt8(index + 1)]) }
        return dns
    }

    private func mx(_ records: [(Int, String)], for domain: String = "sender.example") -> DNSResponse {
        var wire = DNSWire(question: domain, type: .mx)
        for (preference, exchange) in records { wire.mx(preference, exchange) }
        return .message(wire.bytes)
    }

    @Test("MX hosts by preference, lowest first, each once, on the given port")
    func byPreference() async throws {
        var dns = CannedDNS()
        dns["sender.example", .mx] = mx([(30, "mx3.sender.example"), (10, "MX1.sender.example."), (20, "mx2.sender.example"),
                                        (40, "mx1.sender.example")])
        dns = withAddresses(dns, ["mx1.sender.example", "mx2.sender.example", "mx3.sender.example"])
        let lookup = await MXResolver(dns: dns, port: 2525).mailHosts(for: "Sender.Example")
        #expect(hosts(lookup) == ["mx1.sender.example", "mx2.sender.example", "mx3.sender.example"])
        if case .hosts(let found) = lookup { #expect(found.allSatisfy { $0.port == 2525 }) }
    }

    /// DNS holds internationalized names as A-labels: a DSN to jörg@bücher.example asks for
    /// the MX of xn--bcher-kva.example, never for the UTF-8 spelling.
    @Test("an internationalized sender domain is looked up by its A-labels")
    func internationalizedDomain() async throws {
        var dns = CannedDNS()
        dns["xn--bcher-kva.example", .mx] = mx([(10, "mx.xn--bcher-kva.example")], for: "xn--bcher-kva.example")
        dns = withAddresses(dns, ["mx.xn--bcher-kva.example"])
        let lookup = await MXResolver(dns: dns).mailHosts(for: "BÜCHER.example")
        #expect(hosts(lookup) == ["mx.xn--bcher-kva.example"])
    }

    @Test("equal preferences stay together, between the better and the worse")
    func equalPreferences() async throws {
        var dns = CannedDNS()
        dns["sender.example", .mx] = mx([(20, "c.example"), (10, "a.example"), (10, "b.example")])
        dns = withAddresses(dns, ["a.example", "b.example", "c.example"])
        let found = try #require(hosts(await MXResolver(dns: dns).mailHosts(for: "sender.example")))
        #expect(Set(found.prefix(2)) == ["a.example", "b.example"])
        #expect(found.last == "c.example")
    }

    @Test("a null MX means no mail at all: 5.1.10")
    func nullMX() async {
        var dns = CannedDNS()
        dns["sender.example", .mx] = mx([(0, ".")])
        #expect(status(await MXResolver(dns: dns).mailHosts(for: "sender.example")) == EnhancedStatusCode(5, 1, 10))
    }

    @Test("without MX records the domain's own address is its mail host (A, then AAAA)", arguments: [DNSRecordType.a, .aaaa])
    func implicitMX(type: DNSRecordType) async {
        var dns = CannedDNS()
        dns["sender.example", .mx] = .noRecords
        dns["sender.example", .a] = .noRecords
        var wire = DNSWire(question: "sender.example", type: type)
        wire.a(type == .a ? [93, 184, 216, 1] : Array(repeating: 0x20, count: 16))
        dns["sender.example", type] = .message(wire.bytes)
        #expect(hosts(await MXResolver(dns: dns).mailHosts(for: "sender.example")) == ["sender.example"])
    }

    @Test("an MX answer of nothing but a CNAME counts as no MX")
    func cnameOnly() async {
        var dns = CannedDNS()
        var wire = DNSWire(question: "sender.example", type: .mx)
        wire.cname("elsewhere.example")
        dns["sender.example", .mx] = .message(wire.bytes)
        var address = DNSWire(question: "sender.example", type: .a)
        address.a([93, 184, 216, 1])
        dns["sender.example", .a] = .message(address.bytes)
        #expect(hosts(await MXResolver(dns: dns).mailHosts(for: "sender.example")) == ["sender.example"])
    }

    @Test("permanent and temporary failures", arguments: [
        ("no such domain", "5.1.2"), ("no MX, no address", "5.1.2"), ("MX lookup fails", "4.4.3"),
        ("address lookup fails", "4.4.3"), ("malformed answer", "4.4.3"),
    ])
    func failures(situation: String, expected: String) async {
        var dns = CannedDNS()
        switch situation {
        case "no such domain":
            break
        case "no MX, no address":
            dns["sender.example", .mx] = .noRecords
            dns["sender.example", .a] = .noRecords
            dns["sender.example", .aaaa] = .noRecords
        case "MX lookup fails":
            dns["sender.example", .mx] = .failed("SERVFAIL")
        case "address lookup fails":
            dns["sender.example", .mx] = .noRecords
            dns["sender.example", .a] = .failed("timeout")
            dns["sender.example", .aaaa] = .noRecords
        default:
            dns["sender.example", .mx] = .message([0x12, 0x34, 0x81])
        }
        #expect(status(await MXResolver(dns: dns).mailHosts(for: "sender.example"))?.description == expected)
    }

    @Test("an MX list naming this host is cut there; naming only this host is a loop")
    func ourselves() async {
        var dns = CannedDNS()
        dns["sender.example", .mx] = mx([(10, "primary.sender.example"), (20, "backstop.example.org"), (30, "tertiary.example")])
        dns = withAddresses(dns, ["primary.sender.example", "backstop.example.org", "tertiary.example"])
        let resolver = MXResolver(dns: dns, localNames: ["Backstop.Example.org."])
        #expect(hosts(await resolver.mailHosts(for: "sender.example")) == ["primary.sender.example"])

        dns["sender.example", .mx] = mx([(10, "backstop.example.org"), (20, "other.example")])
        #expect(status(await MXResolver(dns: dns, localNames: ["backstop.example.org"]).mailHosts(for: "sender.example"))
            == EnhancedStatusCode(5, 4, 6))
    }

    @Test("an address literal is its own host, without DNS")
    func addressLiteral() async {
        let resolver = MXResolver(dns: CannedDNS())
        #expect(hosts(await resolver.mailHosts(for: "[93.184.216.7]")) == ["93.184.216.7"])
        #expect(hosts(await resolver.mailHosts(for: "[IPv6:2a00:1450::7]")) == ["2a00:1450::7"])
        // A combining mark next to a bracket does not make a literal of a name, nor hide one.
        #expect(status(await resolver.mailHosts(for: "[\u{301}10.0.0.5]")) == EnhancedStatusCode(5, 1, 2))
        #expect(status(await resolver.mailHosts(for: "[10.0.0.5]\u{301}")) == EnhancedStatusCode(5, 1, 2))
    }

    @Test("each host carries the address it was checked with, which the connection uses")
    func pinnedAddresses() async throws {
        var dns = CannedDNS()
        dns["sender.example", .mx] = mx([(10, "mx.sender.example")])
        dns.address("mx.sender.example", [93, 184, 216, 34])
        dns.address("mx.sender.example", [0x2a, 0x00, 0x14, 0x50] + Array(repeating: 0, count: 11) + [1])
        guard case .hosts(let found) = await MXResolver(dns: dns).mailHosts(for: "sender.example") else {
            Issue.record("expected hosts")
            return
        }
        #expect(found.map(\.name) == ["mx.sender.example", "mx.sender.example"])
        #expect(found.compactMap(\.address?.description) == ["93.184.216.34", "2a00:1450::1"])
    }

    @Test("a DSN never goes to an internal address: from a literal, an MX answer or the implicit MX", arguments: [
        "literal 127.0.0.1", "literal 10.0.0.5", "literal v4-mapped", "literal fd00::1", "MX to 127.0.0.1",
        "MX host in 10/8", "MX host AAAA fe80::1", "implicit MX 192.168.1.1", "MX literal 169.254.169.254",
        "literal lowercase ipv6 tag",
    ])
    func internalAddressesRefused(situation: String) async {
        var dns = CannedDNS()
        var domain = "sender.example"
        switch situation {
        case "literal 127.0.0.1": domain = "[127.0.0.1]"
        case "literal 10.0.0.5": domain = "[10.0.0.5]"
        case "literal v4-mapped": domain = "[IPv6:::ffff:10.0.0.5]"
        case "literal fd00::1": domain = "[IPv6:fd00::1]"
        case "literal lowercase ipv6 tag": domain = "[ipv6:::1]"
        case "MX to 127.0.0.1":
            dns["sender.example", .mx] = mx([(10, "mx.sender.example")])
            dns.address("mx.sender.example", [127, 0, 0, 1])
        case "MX host in 10/8":
            dns["sender.example", .mx] = mx([(10, "mx.sender.example"), (20, "mx2.sender.example")])
            dns.address("mx.sender.example", [10, 1, 2, 3])
            dns.address("mx2.sender.example", [172, 20, 0, 1])
        case "MX host AAAA fe80::1":
            dns["sender.example", .mx] = mx([(10, "mx.sender.example")])
            dns.address("mx.sender.example", [0xfe, 0x80] + Array(repeating: 0, count: 13) + [1])
        case "implicit MX 192.168.1.1":
            dns["sender.example", .mx] = .noRecords
            dns.address("sender.example", [192, 168, 1, 1])
        default:
            dns["sender.example", .mx] = mx([(10, "169.254.169.254")])
        }
        let lookup = await MXResolver(dns: dns).mailHosts(for: domain)
        guard case .unroutable(let diagnosis) = lookup else {
            Issue.record("\(situation): expected a refusal, got \(lookup)")
            return
        }
        #expect(diagnosis.status == EnhancedStatusCode(5, 4, 4), "permanent: the DSN fails, it is not retried")
        #expect(diagnosis.summary.contains("non-global"), "\(diagnosis.summary)")
    }

    @Test("internal addresses are skipped when the domain also has a global one")
    func internalSkipped() async {
        var dns = CannedDNS()
        dns["sender.example", .mx] = mx([(10, "inside.sender.example"), (20, "outside.sender.example")])
        dns.address("inside.sender.example", [10, 0, 0, 5])
        dns.address("outside.sender.example", [93, 184, 216, 34])
        #expect(hosts(await MXResolver(dns: dns).mailHosts(for: "sender.example")) == ["outside.sender.example"])
    }
}
