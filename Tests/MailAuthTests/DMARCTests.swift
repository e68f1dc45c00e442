import MailAuth
import Testing

/// DMARC: organisational domains from Debian's Public Suffix List, alignment, p=/sp=/pct=,
/// record errors.
@Suite("DMARC", .enabled(if: SuffixListFixture.list != nil || MailAuthTestPaths.peersRequired,
                         "\(PublicSuffixList.debianPath) missing: run scripts/test (installs Debian's publicsuffix)"))
struct DMARCTests {
    static var suffixes: PublicSuffixList? { SuffixListFixture.list }

    @Test("organisational domains", arguments: [
        ("mail.example.co.uk", "example.co.uk"), ("a.b.example.com", "example.com"), ("example.com", "example.com"),
        ("co.uk", "co.uk"), ("foo.bar.ck", "foo.bar.ck"), ("www.ck", "www.ck"), ("a.www.ck", "www.ck"),
        ("x.city.kawasaki.jp", "city.kawasaki.jp"), ("MAIL.Example.COM", "example.com"),
        ("shop.xn--j6w193g", "shop.xn--j6w193g"), ("a.shop.xn--j6w193g", "shop.xn--j6w193g"), ("host.unlisted-tld", "host.unlisted-tld"),
    ])
    func organizationalDomain(domain: String, expected: String) throws {
        let suffixes = try #require(Self.suffixes)
        #expect(suffixes.organizationalDomain(of: domain) == expected)
    }

    static func spf(_ result: SPFResult, _ domain: String) -> SPFVerdict {
        SPFVerdict(result: result, identity: "bounce@" + domain, domain: domain, explanation: nil, reason: "")
    }

    static func dkim(_ result: DKIMResult, _ domain: String) -> DKIMVerdict {
        DKIMVerdict(result: result, domain: domain, selector: "s", identity: "@" + domain, algorithm: "rsa-sha256",
                    shortSignature: "abcdefgh", testing: false, reason: "")
    }

    static func evaluate(_ record: String?, at name: String = "_dmarc.example.com", from: String = "example.com",
                         spf: SPFVerdict? = nil, dkim: [DKIMVerdict] = [], sample: Int = 0) async throws -> DMARCVerdict {
        var zone = TestZone()
        if let record { zone.addTXT(name, record) }
        return await DMARCEvaluator(dns: zone, suffixes: try #require(Self.suffixes)).evaluate(fromDomain: from, spf: spf, dkim: dkim, sample: sample)
    }

    @Test("relaxed alignment accepts the same organisational domain, strict only the same domain")
    func alignment() async throws {
        let relaxed = "v=DMARC1; p=reject"
        let strict = "v=DMARC1; p=reject; adkim=s; aspf=s"
        #expect(try await Self.evaluate(relaxed, dkim: [Self.dkim(.pass, "mail.example.com")]).result == .pass)
        #expect(try await Self.evaluate(strict, dkim: [Self.dkim(.pass, "mail.example.com")]).result == .fail)
        #expect(try await Self.evaluate(strict, dkim: [Self.dkim(.pass, "example.com")]).result == .pass)
        #expect(try await Self.evaluate(relaxed, spf: Self.spf(.pass, "bounces.example.com")).result == .pass)
        #expect(try await Self.evaluate(strict, spf: Self.spf(.pass, "bounces.example.com")).result == .fail)
        // Passing for another organisation, or failing for this one, is no alignment.
        #expect(try await Self.evaluate(relaxed, spf: Self.spf(.pass, "example.net"), dkim: [Self.dkim(.pass, "example.org")]).result == .fail)
        #expect(try await Self.evaluate(relaxed, spf: Self.spf(.softfail, "example.com"), dkim: [Self.dkim(.fail, "example.com")]).result == .fail)
        // A partial-body (l=) DKIM "policy" result is not a pass.
        #expect(try await Self.evaluate(relaxed, dkim: [Self.dkim(.policy, "example.com")]).result == .fail)
        // Two organisations under one public suffix are not aligned (co.uk).
        #expect(try await Self.evaluate("v=DMARC1; p=reject", at: "_dmarc.shop.co.uk", from: "shop.co.uk",
                                        dkim: [Self.dkim(.pass, "other.co.uk")]).result == .fail)
    }

    @Test("p= for the domain, sp= for subdomains found through the organisational domain")
    func subdomainPolicy() async throws {
        let record = "v=DMARC1; p=reject; sp=quarantine"
        let direct = try await Self.evaluate(record, dkim: [Self.dkim(.fail, "example.com")])
        #expect(direct.result == .fail)
        #expect(direct.appliedPolicy == .reject)
        let sub = try await Self.evaluate(record, from: "news.example.com", dkim: [Self.dkim(.fail, "example.com")])
        #expect(sub.result == .fail)
        #expect(sub.organizationalDomain == "example.com")
        #expect(sub.appliedPolicy == .quarantine)
        let noSP = try await Self.evaluate("v=DMARC1; p=reject", from: "news.example.com")
        #expect(noSP.appliedPolicy == .reject)
    }

    @Test("pct= samples: inside the sample the policy applies, outside the next milder one")
    func percentage() async throws {
        let record = "v=DMARC1; p=reject; pct=20"
        #expect(try await Self.evaluate(record, sample: 19).appliedPolicy == .reject)
        #expect(try await Self.evaluate(record, sample: 20).appliedPolicy == .quarantine)
        #expect(try await Self.evaluate("v=DMARC1; p=quarantine; pct=0", sample: 0).appliedPolicy == .none)
        #expect(try await Self.evaluate("v=DMARC1; p=quarantine", sample: 99).appliedPolicy == .quarantine)
    }

    @Test("no record is none; a DNS failure is temperror; broken records are permerror or no policy")
    func records() async throws {
        #expect(try await Self.evaluate(nil).result == .none)
        var zone = TestZone()
        zone.setTimeout("_dmarc.example.com")
        let timeout = await DMARCEvaluator(dns: zone, suffixes: try #require(Self.suffixes)).evaluate(fromDomain: "example.com", spf: nil, dkim: [], sample: 0)
        #expect(timeout.result == .temperror)
        #expect(try await Self.evaluate("v=DMARC1; p=block").result == .permerror)
        #expect(try await Self.evaluate("v=DMARC1; p=reject; pct=101").result == .permerror)
        #expect(try await Self.evaluate("v=DMARC1; p=reject; adkim=x").result == .permerror)
        #expect(try await Self.evaluate("v=DMARC1; p=reject; p=none").result == .permerror)
        // §6.6.3: no valid p= but a valid rua= acts as p=none.
        let ruaOnly = try await Self.evaluate("v=DMARC1; rua=mailto:reports@example.com")
        #expect(ruaOnly.result == .fail)
        #expect(ruaOnly.requestedPolicy == DMARCRecord.Policy.none)
        // Not a DMARC record (version not first) is no record at all.
        #expect(try await Self.evaluate("p=reject; v=DMARC1").result == .none)
    }

    @Test("two DMARC records mean no policy")
    func twoRecords() async throws {
        var zone = TestZone()
        zone.addTXT("_dmarc.example.com", "v=DMARC1; p=reject")
        zone.addTXT("_dmarc.example.com", "v=DMARC1; p=none")
        let verdict = await DMARCEvaluator(dns: zone, suffixes: try #require(Self.suffixes)).evaluate(fromDomain: "example.com", spf: nil, dkim: [], sample: 0)
        #expect(verdict.result == .none)
    }

    @Test("the author domain comes from exactly one From with one address", arguments: [
        ("From: Alice <alice@Example.COM>\r\n", "example.com"),
        ("From: alice@example.com\r\n", "example.com"),
        ("From: \"Bob, at <bob@evil.example>\" <alice@example.com> (comment @x)\r\n", "example.com"),
        ("From: a@example.com, b@example.org\r\n", nil),
        ("From: a@example.com\r\nFrom: b@example.org\r\n", nil),
        ("To: a@example.com\r\n", nil),
        ("From: Alice <alice@bücher.example>\r\n", "xn--bcher-kva.example"),
    ] as [(String, String?)])
    func authorDomain(header: String, expected: String?) throws {
        let block = try HeaderBlock(parsing: Array(header.utf8))
        #expect(AuthorDomain.of(block) == expected)
    }
}

/// Debian's Public Suffix List, read once for all DMARC tests.
enum SuffixListFixture {
    static let list = try? PublicSuffixList(contentsOfFile: PublicSuffixList.debianPath)
}
