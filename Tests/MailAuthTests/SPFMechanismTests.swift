import MailAuth
import Testing

/// Each mechanism, macro and limit of RFC 7208 on a small zone of our own.
@Suite("SPF mechanisms, macros and limits")
struct SPFMechanismTests {
    static let client = IPAddress("192.0.2.10")!
    static let client6 = IPAddress("2001:db8::10")!

    static func verdict(_ record: String, client: IPAddress = client, sender: String = "alice@example.org",
                        setup: (inout TestZone) -> Void = { _ in }) async -> SPFVerdict {
        var zone = TestZone()
        zone.addTXT("example.org", record)
        setup(&zone)
        let verifier = SPFVerifier(dns: zone, receivingHost: "mx.backstop.test", defaultExplanation: nil)
        return await verifier.checkMailFrom(client: client, mailFrom: sender, helo: "helo.example.org", timestamp: 1_700_000_000)
    }

    @Test("qualifiers map to results", arguments: [("+all", SPFResult.pass), ("-all", .fail), ("~all", .softfail), ("?all", .neutral), ("all", .pass)])
    func qualifiers(term: String, expected: SPFResult) async {
        #expect(await Self.verdict("v=spf1 \(term)").result == expected)
    }

    @Test("ip4 and ip6 with prefix lengths")
    func ipNetworks() async {
        #expect(await Self.verdict("v=spf1 ip4:192.0.2.0/24 -all").result == .pass)
        #expect(await Self.verdict("v=spf1 ip4:192.0.3.0/24 -all").result == .fail)
        #expect(await Self.verdict("v=spf1 ip4:192.0.2.10 -all").result == .pass)
        #expect(await Self.verdict("v=spf1 ip6:2001:db8::/32 -all", client: Self.client6).result == .pass)
        #expect(await Self.verdict("v=spf1 ip4:192.0.2.0/24 -all", client: Self.client6).result == .fail)
        // An IPv4-mapped client is checked as the IPv4 address it maps.
        #expect(await Self.verdict("v=spf1 ip4:192.0.2.0/24 -all", client: IPAddress("::ffff:192.0.2.10")!).result == .pass)
        #expect(await Self.verdict("v=spf1 ip4:192.0.2.0/33 -all").result == .permerror)
        #expect(await Self.verdict("v=spf1 ip4:192.0.2.0/024 -all").result == .permerror)
    }

    @Test("a and mx, with and without a domain, with dual CIDR")
    func aAndMX() async {
        let zone: (inout TestZone) -> Void = { zone in
            zone.addA("example.org", "192.0.2.10")
            zone.addA("other.example", "192.0.2.99")
            zone.addAAAA("other.example", "2001:db8::99")
            zone.addMX("example.org", 10, "mx.example.org")
            zone.addA("mx.example.org", "192.0.2.200")
        }
        #expect(await Self.verdict("v=spf1 a -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 a:other.example -all", setup: zone).result == .fail)
        #expect(await Self.verdict("v=spf1 a:other.example/24 -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 a:other.example/24//64 -all", client: Self.client6, setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 a:other.example//128 -all", client: Self.client6, setup: zone).result == .fail)
        #expect(await Self.verdict("v=spf1 mx -all", setup: zone).result == .fail)
        #expect(await Self.verdict("v=spf1 mx/24 -all", setup: zone).result == .pass)
    }

    @Test("more than ten MX names is a permerror")
    func tooManyMXNames() async {
        let verdict = await Self.verdict("v=spf1 mx -all") { zone in
            for index in 0..<11 { zone.addMX("example.org", UInt16(index), "mx\(index).example.org") }
        }
        #expect(verdict.result == .permerror)
    }

    @Test("ptr matches only validated names")
    func ptr() async {
        let zone: (inout TestZone) -> Void = { zone in
            zone.addPTR("10.2.0.192.in-addr.arpa", "host.example.org")
            zone.addPTR("10.2.0.192.in-addr.arpa", "liar.example.net")
            zone.addA("host.example.org", "192.0.2.10")
            zone.addA("liar.example.net", "198.51.100.1")
        }
        #expect(await Self.verdict("v=spf1 ptr -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 ptr:example.net -all", setup: zone).result == .fail)
    }

    @Test("include: pass matches, fail does not, none and permerror are permerror, temperror propagates")
    func include() async {
        let zone: (inout TestZone) -> Void = { zone in
            zone.addTXT("pass.example", "v=spf1 +all")
            zone.addTXT("fail.example", "v=spf1 -all")
            zone.addTXT("broken.example", "v=spf1 frobnicate")
            zone.addA("nospf.example", "192.0.2.1")
            zone.setTimeout("slow.example")
        }
        #expect(await Self.verdict("v=spf1 include:pass.example -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 include:fail.example ~all", setup: zone).result == .softfail)
        #expect(await Self.verdict("v=spf1 include:broken.example -all", setup: zone).result == .permerror)
        #expect(await Self.verdict("v=spf1 include:nospf.example -all", setup: zone).result == .permerror)
        #expect(await Self.verdict("v=spf1 include:slow.example -all", setup: zone).result == .temperror)
    }

    @Test("redirect applies only when nothing matched; a target without record is permerror")
    func redirect() async {
        let zone: (inout TestZone) -> Void = { zone in
            zone.addTXT("policy.example", "v=spf1 ip4:192.0.2.0/24 -all")
        }
        #expect(await Self.verdict("v=spf1 redirect=policy.example", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 -all redirect=policy.example", setup: zone).result == .fail)
        #expect(await Self.verdict("v=spf1 redirect=nothing.example", setup: zone).result == .permerror)
        #expect(await Self.verdict("v=spf1 redirect=policy.example redirect=policy.example", setup: zone).result == .permerror)
    }

    @Test("exists and macros: %{i}, %{l}, %{d2}, %{ir}, %{v}, %{h}, URL escaping")
    func macros() async {
        let zone: (inout TestZone) -> Void = { zone in
            zone.addA("10.2.0.192.in-addr.allow.example", "127.0.0.2")
            zone.addA("alice.org.users.example", "127.0.0.2")
            zone.addA("helo.example.org.helo.example", "127.0.0.2")
            zone.addA("a%2Bb.escape.example", "127.0.0.2")
        }
        #expect(await Self.verdict("v=spf1 exists:%{ir}.%{v}.allow.example -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 exists:%{l}.%{d1}.users.example -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 exists:%{h}.helo.example -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 exists:%{L}.escape.example -all", sender: "a+b@example.org", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 exists:%{x}.example -all", setup: zone).result == .permerror)
        #expect(await Self.verdict("v=spf1 exists:%{c}.example -all", setup: zone).result == .permerror)
        #expect(await Self.verdict("v=spf1 exists:%{d0}.example -all", setup: zone).result == .permerror)
    }

    @Test("the explanation of a fail is expanded from exp= with c, r and t")
    func explanation() async {
        let verdict = await Self.verdict("v=spf1 -all exp=why.example.org") { zone in
            zone.addTXT("why.example.org", "%{c} may not send for %{d} (seen by %{r} at %{t})")
        }
        #expect(verdict.result == .fail)
        #expect(verdict.explanation == "192.0.2.10 may not send for example.org (seen by mx.backstop.test at 1700000000)")
    }

    @Test("the eleventh DNS-querying term is a permerror, the tenth is not")
    func lookupLimit() async {
        let ten = Array(repeating: "a:host.example", count: 9).joined(separator: " ") + " a:ok.example"
        let eleven = Array(repeating: "a:host.example", count: 10).joined(separator: " ") + " a:ok.example"
        let zone: (inout TestZone) -> Void = { zone in
            zone.addA("host.example", "198.51.100.1")
            zone.addA("ok.example", "192.0.2.10")
        }
        #expect(await Self.verdict("v=spf1 \(ten) -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 \(eleven) -all", setup: zone).result == .permerror)
    }

    @Test("the third void lookup is a permerror, the second is not")
    func voidLimit() async {
        let zone: (inout TestZone) -> Void = { zone in zone.addA("ok.example", "192.0.2.10") }
        #expect(await Self.verdict("v=spf1 a:void1.example a:void2.example a:ok.example -all", setup: zone).result == .pass)
        #expect(await Self.verdict("v=spf1 a:void1.example a:void2.example a:void3.example a:ok.example -all", setup: zone).result == .permerror)
    }

    @Test("an include loop ends in permerror")
    func includeLoop() async {
        #expect(await Self.verdict("v=spf1 include:example.org -all").result == .permerror)
    }

    @Test("no record, two records, temporary failure")
    func recordSelection() async {
        var zone = TestZone()
        zone.addTXT("two.example", "v=spf1 -all")
        zone.addTXT("two.example", "v=spf1 +all")
        zone.addTXT("unrelated.example", "google-site-verification=abc")
        zone.setTimeout("slow.example")
        let verifier = SPFVerifier(dns: zone, receivingHost: "mx.backstop.test", defaultExplanation: nil)
        func check(_ domain: String) async -> SPFResult {
            await verifier.checkMailFrom(client: Self.client, mailFrom: "a@" + domain, helo: "h.example", timestamp: 0).result
        }
        #expect(await check("two.example") == .permerror)
        #expect(await check("unrelated.example") == .none)
        #expect(await check("missing.example") == .none)
        #expect(await check("slow.example") == .temperror)
        #expect(await check("localhost") == .none)
        // A domain literal names no domain, even if a zone had a name spelled like it.
        zone.addTXT("[192.0.2.10]", "v=spf1 +all")
        let literal = SPFVerifier(dns: zone, receivingHost: "mx.backstop.test", defaultExplanation: nil)
        #expect(await literal.checkHELO(client: Self.client, helo: "[192.0.2.10]", timestamp: 0).result == .none)
    }

    @Test("a macro expansion past the output bound is a permerror")
    func expansionBound() async {
        let long = Array(repeating: "%{s}", count: 200).joined()
        #expect(await Self.verdict("v=spf1 exists:\(long).example -all").result == .permerror)
    }

    @Test("HELO identity and the null reverse-path use postmaster@helo")
    func heloIdentity() async {
        var zone = TestZone()
        zone.addTXT("helo.example", "v=spf1 ip4:192.0.2.10 -all")
        let verifier = SPFVerifier(dns: zone, receivingHost: "mx.backstop.test", defaultExplanation: nil)
        let helo = await verifier.checkHELO(client: Self.client, helo: "helo.example", timestamp: 0)
        #expect(helo.result == .pass)
        #expect(helo.identity == "postmaster@helo.example")
        let nullSender = await verifier.checkMailFrom(client: IPAddress("198.51.100.7")!, mailFrom: "", helo: "helo.example", timestamp: 0)
        #expect(nullSender.result == .fail)
    }

    @Test("IP address text forms", arguments: [
        ("2001:db8::1", "2001:db8::1"), ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("::", "::"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"), ("1::", "1::"), ("192.0.2.1", "192.0.2.1"),
    ])
    func addressText(input: String, canonical: String) {
        #expect(IPAddress(input)?.description == canonical)
    }

    @Test("malformed addresses are refused", arguments: ["1.2.3", "1.2.3.256", "01.2.3.4", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "g::1", ""])
    func badAddresses(input: String) {
        #expect(IPAddress(input) == nil)
    }
}
