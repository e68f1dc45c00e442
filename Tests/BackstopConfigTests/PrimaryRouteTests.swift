import BackstopConfig
import Testing

@Suite("[[primary.route]]: per-domain primaries")
struct PrimaryRouteTests {
    static let relay = #"[relay]\#ndomains = ["example.org", ".example.org", "example.net", "lists.example.com"]\#n"#

    private func routes(_ toml: String) throws -> PrimarySettings {
        try parsed(Self.relay + toml).primary
    }

    private func routeError(_ toml: String) -> String? {
        configError(Self.relay + toml)
    }

    @Test func routesAreReadInOrder() throws {
        let primary = try routes("""
            [primary]
            hosts = ["mx1.example.org:25"]

            [[primary.route]]
            domain = "Example.NET"
            hosts = ["mx.example.net:25", "192.0.2.20:25"]

            [[primary.route]]
            domain = ".example.org"
            hosts = ["[2001:db8::20]:2525"]
            """)
        #expect(primary.routes == [
            DomainRoute(domain: "example.net", hosts: [MailHost(name: "mx.example.net", port: 25), MailHost(name: "192.0.2.20", port: 25)]),
            DomainRoute(domain: ".example.org", hosts: [MailHost(name: "2001:db8::20", port: 2525)]),
        ])
    }

    /// Routes alone are enough to forward: mail for other domains stays queued.
    @Test func routesWithoutDefaultHosts() throws {
        let primary = try routes("[[primary.route]]\ndomain = \"example.net\"\nhosts = [\"mx.example.net:25\"]\n")
        #expect(primary.hosts.isEmpty)
        #expect(primary.forwardsMail)
        #expect(primary.hosts(for: "example.net") == [MailHost(name: "mx.example.net", port: 25)])
        #expect(primary.hosts(for: "example.org").isEmpty)
    }

    @Test func inlineTablesAreTheSameRoutes() throws {
        let primary = try routes(#"[primary]\#nroute = [{ domain = "example.net", hosts = ["mx.example.net:25"] }]\#n"#)
        #expect(primary.routes == [DomainRoute(domain: "example.net", hosts: [MailHost(name: "mx.example.net", port: 25)])])
    }

    @Test(arguments: [
        ("example.org", "exact.example:25"),
        ("EXAMPLE.ORG", "exact.example:25"),
        ("a.example.org", "sub.example:25"),
        ("deep.lists.example.org", "lists.example:25"),
        ("lists.example.org", "sub.example:25"),
        ("example.net", "default.example:25"),
        ("other.example", "default.example:25"),
    ])
    func theMostSpecificRouteWins(domain: String, host: String) throws {
        let primary = try routes("""
            [primary]
            hosts = ["default.example:25"]
            [[primary.route]]
            domain = ".example.org"
            hosts = ["sub.example:25"]
            [[primary.route]]
            domain = ".lists.example.org"
            hosts = ["lists.example:25"]
            [[primary.route]]
            domain = "example.org"
            hosts = ["exact.example:25"]
            """)
        #expect(primary.hosts(for: domain).map(\.description) == [host])
    }

    @Test(arguments: [
        ("[primary.route]\ndomain = \"example.net\"\nhosts = [\"mx:25\"]\n",
         "expected [[primary.route]] tables, found a table; write [[primary.route]], with double brackets, before each one"),
        ("[primary]\nroute = \"example.net\"\n", #"expected [[primary.route]] tables, found a string ("example.net")"#),
        ("[primary]\nroute = [\"example.net\"]\n", #"item 1: expected a table with domain and hosts, found a string ("example.net")"#),
        ("[[primary.route]]\ndomain = \"example.net\"\n", "item 1: hosts: missing; each [[primary.route]] needs domain and hosts"),
        ("[[primary.route]]\nhosts = [\"mx:25\"]\n", "item 1: domain: missing; each [[primary.route]] needs domain and hosts"),
        ("[[primary.route]]\ndomian = \"example.net\"\nhosts = [\"mx:25\"]\n", "item 1: domian: unknown key (did you mean domain?)"),
        ("[[primary.route]]\ndomain = \"example.net\"\nhosts = [\"mx:25\"]\ntls = \"none\"\n", "item 1: tls: unknown key (known: domain, hosts)"),
        ("[[primary.route]]\ndomain = \"example.net\"\nhosts = []\n", #"item 1: hosts: empty; list at least one, e.g. ["mx1.example.org:25"]"#),
        ("[[primary.route]]\ndomain = \"example.net\"\nhosts = [\"mx\"]\n", #"item 1: hosts: "mx": missing port; write host:port, e.g. "mx:25""#),
        ("[[primary.route]]\ndomain = \"example.net.\"\nhosts = [\"mx:25\"]\n",
         #"item 1: domain: "example.net.": remove the trailing dot (write "example.net")"#),
        ("[[primary.route]]\ndomain = \".org\"\nhosts = [\"mx:25\"]\n",
         #"item 1: domain: ".org" would route every domain under org; name your own domain, e.g. ".example.org""#),
        ("[[primary.route]]\ndomain = 5\nhosts = [\"mx:25\"]\n", "item 1: domain: expected a string, found an integer (5)"),
    ])
    func invalidRoutes(toml: String, problem: String) {
        #expect(routeError(toml) == "config/x.toml: [primary] route: \(problem)")
    }

    @Test func theErrorNamesWhichRoute() {
        #expect(routeError("""
            [[primary.route]]
            domain = "example.net"
            hosts = ["mx:25"]
            [[primary.route]]
            domain = "example.org"
            hosts = ["mx:25", "MX:25"]
            """) == #"config/x.toml: [primary] route: item 2: hosts: "MX:25" is listed twice"#)
    }

    @Test func aDomainIsRoutedOnce() {
        #expect(routeError("""
            [[primary.route]]
            domain = "example.net"
            hosts = ["mx1.example.net:25"]
            [[primary.route]]
            domain = "Example.net"
            hosts = ["mx2.example.net:25"]
            """) == #"config/x.toml: [primary] route: item 2 (domain "example.net"): the domain already has a route (item 1); merge their hosts into one route"#)
    }

    /// A route only matters for mail Backstop accepts, so it must overlap [relay] domains.
    @Test(arguments: [
        ("example.net", true),
        ("example.org", true),
        ("lists.example.org", true),
        (".example.org", true),
        (".lists.example.org", true),
        (".example.com", true),
        ("lists.example.com", true),
        ("example.com", false),
        ("mail.example.net", false),
        (".example.net", false),
        ("example.edu", false),
    ])
    func routeDomainMustBeRelayed(domain: String, accepted: Bool) {
        let error = routeError("[[primary.route]]\ndomain = \"\(domain)\"\nhosts = [\"mx:25\"]\n")
        #expect(error == (accepted ? nil :
            #"config/x.toml: [primary] route: item 1 (domain "\#(domain)"): not in [relay] domains, so Backstop never accepts mail for it; add it to [relay] domains or remove the route"#))
    }
}
