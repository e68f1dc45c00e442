import BackstopConfig
import Testing

@Suite("Relay domains")
struct RelayDomainTests {
    @Test(arguments: [
        ("example.org", "example.org"),
        ("Example.ORG", "example.org"),
        (".example.org", ".example.org"),
        (".Mail.Example.org", ".mail.example.org"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        // IDNA 2008: U-labels are stored as their A-labels, so both forms name one domain.
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.Example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        (".bücher.example", ".xn--bcher-kva.example"),
        ("bu\u{0308}cher.example", "xn--bcher-kva.example"),
        ("mail-2.example.com", "mail-2.example.com"),
        ("a.b.c.d.example.net", "a.b.c.d.example.net"),
    ])
    func validDomains(text: String, stored: String) throws {
        #expect(try parsed("[relay]\ndomains = [\"\(text)\"]\n").relay.domains == [stored])
    }

    @Test(arguments: [
        ("example.org.", #""example.org.": remove the trailing dot (write "example.org")"#),
        (".example.org.", #"".example.org.": remove the trailing dot (write ".example.org")"#),
        ("localhost", #""localhost": a relay domain has at least two labels, e.g. "example.org""#),
        (".org", #"".org" would relay for every domain under org; name your own domain, e.g. ".example.org""#),
        ("exa\u{202E}mple.org", "\"exa\u{202E}mple.org\": not a valid internationalized domain name (letters, marks, digits and inner \"-\" in each label; no spaces, symbols, controls or format characters)"),
        ("xn--ls8h.example", #""xn--ls8h.example": an "xn--" label is not valid Punycode of an internationalized label"#),
        ("exa_mple.org", #""exa_mple.org": "_" is not allowed in a domain name (letters, digits, "-" and "." only)"#),
        ("*.example.org", #""*.example.org": "*" is not allowed in a domain name (letters, digits, "-" and "." only)"#),
        ("example..org", #""example..org": empty label between dots"#),
        ("..example.org", #""..example.org": starts with ".""#),
        ("-mail.example.org", #""-mail.example.org": a label cannot start or end with "-""#),
        ("192.0.2.1", #""192.0.2.1" looks like an IP address; write a domain name"#),
        ("", #"empty domain; write a name such as "example.org""#),
        (".", #"empty domain; write a name such as "example.org""#),
        (String(repeating: "a", count: 64) + ".org",
         #""\#(String(repeating: "a", count: 64)).org": label "\#(String(repeating: "a", count: 64))" is longer than 63 characters"#),
    ])
    func invalidDomains(text: String, problem: String) {
        #expect(configError("[relay]\ndomains = [\"\(text)\"]\n") == "config/x.toml: [relay] domains: \(problem)")
    }

    @Test(arguments: [
        ("domains = []", #"empty; list at least one, e.g. ["example.org"]"#),
        (#"domains = "example.org""#,
         #"expected an array such as ["example.org"], found a string ("example.org"); put it in brackets: ["example.org"]"#),
        (#"domains = ["example.org", "Example.org"]"#, #""Example.org" is listed twice"#),
    ])
    func invalidLists(toml: String, problem: String) {
        #expect(configError("[relay]\n\(toml)\n") == "config/x.toml: [relay] domains: \(problem)")
    }

    @Test(arguments: [
        ("example.org", true),
        ("EXAMPLE.org", true),
        ("mail.example.org", false),
        ("sub.example.net", true),
        ("deep.sub.example.net", true),
        ("example.net", false),
        ("badexample.net", false),
        ("example.com", false),
    ])
    func relayDomainMatching(domain: String, relayed: Bool) throws {
        let relay = try parsed(#"[relay]\#ndomains = ["example.org", ".example.net"]"#).relay
        #expect(relay.isRelayDomain(domain) == relayed)
    }

    @Test func bothFormsTogetherCoverADomainAndItsSubdomains() throws {
        let relay = try parsed(#"[relay]\#ndomains = ["example.org", ".example.org"]"#).relay
        #expect(relay.isRelayDomain("example.org"))
        #expect(relay.isRelayDomain("lists.example.org"))
    }
}

@Suite("Relay domains and routes with internationalized names")
struct InternationalizedRelayDomainTests {
    @Test("U-label and A-label forms match each other; look-alikes do not")
    func matching() throws {
        let relay = try parsed("[relay]\ndomains = [\"bücher.example\", \"kelvin.example\", \".xn--mnchen-3ya.example\"]\n").relay
        #expect(relay.isRelayDomain("xn--bcher-kva.example"))
        #expect(relay.isRelayDomain("BÜCHER.example"))
        #expect(relay.isRelayDomain("a.münchen.example"))
        #expect(!relay.isRelayDomain("münchen.example"))
        #expect(!relay.isRelayDomain("\u{212A}elvin.example"))
        #expect(!relay.isRelayDomain("bücher.example\u{0600}"))
    }

    @Test("a route in U-labels serves mail for the A-label domain, and the most specific route wins")
    func routes() throws {
        let primary = try parsed("""
            [relay]
            domains = [".bücher.example", "bücher.example"]
            [primary]
            hosts = ["mx1.example.net:25"]
            [[primary.route]]
            domain = ".bücher.example"
            hosts = ["parent.example.net:25"]
            [[primary.route]]
            domain = "xn--bcher-kva.example"
            hosts = ["exact.example.net:25"]
            """).primary
        #expect(primary.hosts(for: "a.xn--bcher-kva.example").map(\.name) == ["parent.example.net"])
        #expect(primary.hosts(for: "A.BÜCHER.example").map(\.name) == ["parent.example.net"])
        #expect(primary.hosts(for: "bücher.example").map(\.name) == ["exact.example.net"])
        #expect(primary.hosts(for: "xbücher.example").map(\.name) == ["mx1.example.net"])
        #expect(primary.hosts(for: "a.bücher.example\u{0600}").map(\.name) == ["mx1.example.net"])
    }
}
