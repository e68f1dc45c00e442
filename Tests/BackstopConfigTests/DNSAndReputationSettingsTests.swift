import BackstopConfig
import Testing

@Suite("[dns], [reputation] and [limits]")
struct DNSAndReputationSettingsTests {
    @Test("name servers: IPv4 and IPv6, with or without a port (53)")
    func servers() throws {
        let dns = try parsed("""
            [dns]
            servers = ["192.0.2.53", "127.0.0.1:5353", "[2001:DB8::53]:5300"]
            timeout = "1s"
            attempts = 3
            """).dns
        #expect(dns.servers.map(\.description) == ["192.0.2.53:53", "127.0.0.1:5353", "[2001:db8::53]:5300"])
        #expect(dns.timeout == .seconds(1))
        #expect(dns.attempts == 3)
        #expect(try parsed("[dns]\nservers = [\"::1\"]").dns.servers.map(\.description) == ["[::1]:53"])
    }

    @Test(arguments: [
        (#"servers = ["ns.example.org:53"]"#, #"servers: "ns.example.org:53": "ns.example.org" is a name; a DNS server is written as an IP address, e.g. "192.0.2.53:53" or "[2001:db8::53]:53""#),
        (#"servers = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]"#, "servers: 4 servers listed; libresolv asks at most 3, so list the three to use"),
        (#"servers = ["192.0.2.1:0"]"#, #"servers: "192.0.2.1:0": port must be between 1 and 65535"#),
        (#"timeout = "500ms""#, #"timeout: must be at least 1s (found "500ms")"#),
        ("attempts = 0", "attempts: must be between 1 and 5 (found 0)"),
    ])
    func badDNS(line: String, problem: String) {
        #expect(configError("[dns]\n\(line)\n") == "\(testFile): [dns] \(problem)")
    }

    @Test("block and allow lists, their weights and matches")
    func lists() throws {
        let reputation = try parsed("""
            [reputation]
            reject_score = 2
            pregreet = "1s"

            [[reputation.dnsbl]]
            zone = "Block.Example.Test"
            match = ["127.0.0.2"]

            [[reputation.dnsbl]]
            zone = "other.example.test"
            weight = 1.5

            [[reputation.dnswl]]
            zone = "allow.example.test"
            """).reputation
        #expect(reputation.rejectScore == 2)
        #expect(reputation.pregreet == .seconds(1))
        #expect(reputation.dnsbl == [DNSListSettings(zone: "block.example.test", weight: 1, match: ["127.0.0.2"]),
                                     DNSListSettings(zone: "other.example.test", weight: 1.5, match: [])])
        #expect(reputation.dnswl == [DNSListSettings(zone: "allow.example.test", weight: -1, match: [])])
        #expect(reputation.checksLists)
        #expect(!BackstopConfiguration.embeddedDefaults.reputation.checksLists)
    }

    @Test(arguments: [
        ("reject_score = 0", "[reputation] reject_score: must be above 0 (found 0.0); a client with no listing scores 0 and would be refused"),
        ("[[reputation.dnsbl]]\nzone = \"b.example\"\nweight = -1", #"[reputation] dnsbl: item 1 (zone "b.example"): weight -1.0 is not positive; a block list adds to the score, an allow list goes under [[reputation.dnswl]]"#),
        ("[[reputation.dnswl]]\nzone = \"w.example\"\nweight = 1", #"[reputation] dnswl: item 1 (zone "w.example"): weight 1.0 is not negative; an allow list lowers the score, a block list goes under [[reputation.dnsbl]]"#),
        ("[[reputation.dnsbl]]\nzone = \"b.example\"\nmatch = [\"2\"]", #"[reputation] dnsbl: item 1: match: "2" is not an IPv4 address; a list answers with addresses such as "127.0.0.2""#),
        ("[[reputation.dnsbl]]\nweight = 1", "[reputation] dnsbl: item 1: zone: missing; each [[reputation.dnsbl]] needs zone"),
        (#"pregreet = "1m""#, #"[reputation] pregreet: "1m" is longer than 30s; senders give up waiting for the greeting after about that"#),
    ])
    func badReputation(text: String, problem: String) {
        #expect(configError("[reputation]\n\(text)\n") == "\(testFile): \(problem)")
    }

    @Test func limits() throws {
        let limits = try parsed("""
            [limits]
            messages_per_ip_per_minute = 10
            recipients_per_ip_per_minute = 50
            unknown_recipients_per_ip = 5
            """).limits
        #expect(limits == LimitsSettings(messagesPerIPPerMinute: 10, recipientsPerIPPerMinute: 50, unknownRecipientsPerIP: 5))
    }
}
