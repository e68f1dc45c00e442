import Foundation
import MailDNS
import Testing

/// libresolv against the tests' own authoritative server: every record type Backstop reads,
/// the two kinds of "no", truncation, and a server that never answers.
@Suite("SystemResolver against a loopback DNS server")
struct SystemResolverTests {
    static let zone: [ZoneRecord] = [
        ZoneRecord(name: "mx.example.test", type: "A", ttl: 120, data: .text("192.0.2.25")),
        ZoneRecord(name: "mx.example.test", type: "AAAA", data: .text("2001:db8::25")),
        ZoneRecord(name: "example.test", type: "MX", data: .mx(10, "mx.example.test")),
        ZoneRecord(name: "example.test", type: "TXT", data: .strings(["v=spf1 ip4:192.0.2.0/24", " -all"])),
        ZoneRecord(name: "25.2.0.192.in-addr.arpa", type: "PTR", data: .text("mx.example.test")),
        ZoneRecord(name: "www.example.test", type: "CNAME", ttl: 60, data: .text("mx.example.test")),
        ZoneRecord(name: "big.example.test", type: "TXT",
                   data: .strings((0..<4).map { String(repeating: Character(UnicodeScalar(UInt8(97 + $0))), count: 200) })),
        ZoneRecord(name: "host.sub.example.test", type: "A", data: .text("192.0.2.26")),
    ]

    private func answer(_ response: DNSResponse) throws -> DNSAnswer {
        guard case .message(let bytes) = response else { throw ResolverTestError(description: "expected records, got \(response)") }
        return try DNSAnswer(parsing: bytes)
    }

    @Test("A, AAAA, MX, TXT and PTR, each with its TTL")
    func recordTypes() async throws {
        let server = try TestDNSServer(Self.zone)
        defer { server.stop() }
        let (dns, pool) = resolver([server.nameServer])
        defer { pool.shutdown() }

        let a = try answer(await dns.query("mx.example.test", type: .a))
        #expect(a.resourceRecords == [DNSResourceRecord(owner: "mx.example.test", ttl: 120, data: .a([192, 0, 2, 25]))])
        let aaaa = try answer(await dns.query("MX.Example.Test", type: .aaaa))
        #expect(aaaa.addresses.map(\.description) == ["2001:db8::25"])
        let mx = try answer(await dns.query("example.test", type: .mx))
        #expect(mx.records == [.mx(preference: 10, exchange: "mx.example.test")])
        let txt = try answer(await dns.query("example.test", type: .txt))
        #expect(txt.texts == [[Array("v=spf1 ip4:192.0.2.0/24".utf8), Array(" -all".utf8)]])
        #expect(txt.records.first?.joinedText == Array("v=spf1 ip4:192.0.2.0/24 -all".utf8))
        let ptr = try answer(await dns.query("25.2.0.192.in-addr.arpa", type: .ptr))
        #expect(ptr.records == [.ptr("mx.example.test")])
    }

    @Test("a CNAME is followed to the records it names")
    func cname() async throws {
        let server = try TestDNSServer(Self.zone)
        defer { server.stop() }
        let (dns, pool) = resolver([server.nameServer])
        defer { pool.shutdown() }
        let answer = try answer(await dns.query("www.example.test", type: .a))
        #expect(answer.records(answering: "www.example.test").map(\.data) == [.a([192, 0, 2, 25])])
        #expect(answer.records(answering: "other.example.test").isEmpty)
        #expect(answer.minimumTTL == 60, "the chain's lowest TTL bounds the answer's life")
    }

    @Test("NXDOMAIN, NODATA, and an empty non-terminal, which exists")
    func negativeAnswers() async throws {
        let server = try TestDNSServer(Self.zone)
        defer { server.stop() }
        let (dns, pool) = resolver([server.nameServer])
        defer { pool.shutdown() }
        #expect(await dns.query("nowhere.example.test", type: .a) == .noSuchDomain)
        #expect(await dns.query("example.test", type: .a) == .noRecords)
        #expect(await dns.query("sub.example.test", type: .a) == .noRecords)
    }

    @Test("an answer too long for UDP comes truncated and is asked again over TCP")
    func truncation() async throws {
        let server = try TestDNSServer(Self.zone)
        defer { server.stop() }
        let (dns, pool) = resolver([server.nameServer])
        defer { pool.shutdown() }
        let answer = try answer(await dns.query("big.example.test", type: .txt))
        #expect(answer.texts.first?.map(\.count) == [200, 200, 200, 200])
        #expect(server.queries == ["big.example.test TXT udp", "big.example.test TXT tcp"])
    }

    @Test("a server that never answers is a temporary failure once the timeout passes")
    func silentServer() async throws {
        let server = try TestDNSServer([], silent: true)
        defer { server.stop() }
        let (dns, pool) = resolver([server.nameServer], timeout: .seconds(1), attempts: 1)
        defer { pool.shutdown() }
        let started = ContinuousClock.now
        let response = await dns.query("mx.example.test", type: .a)
        guard case .failed(let why) = response else {
            Issue.record("expected a temporary failure, got \(response)")
            return
        }
        #expect(why.contains("127.0.0.1:\(server.port)"), "\(why)")
        // The wait happened, and `attempts = 1` meant one try (libresolv's own default is two).
        // No upper bound on the time: on a loaded machine any bound is a guess.
        #expect(ContinuousClock.now - started >= .milliseconds(900))
        #expect(server.queries == ["mx.example.test A udp"])
    }

    // Needs an IPv6 loopback (absent in some containers); skipped, and counted, without one.
    @Test("an IPv6 server with its own port", .enabled(if: hasIPv6Loopback, "no IPv6 loopback on this machine"))
    func ipv6Server() async throws {
        let server = try TestDNSServer(Self.zone, host: "::1")
        defer { server.stop() }
        let (dns, pool) = resolver([server.nameServer])
        defer { pool.shutdown() }
        let answer = try answer(await dns.query("mx.example.test", type: .a))
        #expect(answer.addresses.map(\.description) == ["192.0.2.25"])
        #expect(server.queries == ["mx.example.test A udp"])
    }
}

struct ResolverTestError: Error, CustomStringConvertible {
    let description: String
}
