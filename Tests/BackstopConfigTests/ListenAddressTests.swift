import BackstopConfig
import Testing

@Suite("Listen addresses: host:port, IPv6 in brackets")
struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:25", "127.0.0.1", 25),
        ("0.0.0.0:2525", "0.0.0.0", 2525),
        ("[::1]:25", "::1", 25),
        ("[::]:25", "::", 25),
        ("[FE80::1]:587", "fe80::1", 587),
        ("localhost:2525", "localhost", 2525),
        ("MX2.Example.org:25", "mx2.example.org", 25),
        ("192.0.2.1:65535", "192.0.2.1", 65535),
        ("192.0.2.1:1", "192.0.2.1", 1),
    ])
    func validAddresses(text: String, host: String, port: Int) throws {
        let configuration = try parsed("[server]\nlisten = [\"\(text)\"]\n")
        #expect(configuration.server.listen == [ListenAddress(host: host, port: port)])
        #expect(ListenAddress(text) == ListenAddress(host: host, port: port))
    }

    @Test(arguments: [
        ("127.0.0.1", #""127.0.0.1": missing port; write host:port, e.g. "127.0.0.1:25""#),
        ("::1:25", #""::1:25": put an IPv6 address in brackets, e.g. "[::1]:25""#),
        ("[::1:25", #""[::1:25": missing "]" after the IPv6 address"#),
        ("[::1]", #""[::1]": missing port; write "[::1]:25""#),
        ("[::1]25", #""[::1]25": missing port; write "[::1]:25""#),
        ("[192.0.2.1]:25", #""[192.0.2.1]:25": "192.0.2.1" is not an IPv6 address"#),
        (":25", #"":25": missing host; write "0.0.0.0:25" for every IPv4 address or "[::]:25" for every IPv6 address"#),
        ("127.0.0.1:0", #""127.0.0.1:0": port must be between 1 and 65535"#),
        ("127.0.0.1:65536", #""127.0.0.1:65536": port must be between 1 and 65535"#),
        ("127.0.0.1:smtp", #""127.0.0.1:smtp": port "smtp" is not a number"#),
        ("127.0.0.1:", #""127.0.0.1:": port "" is not a number"#),
        ("127.0.0.1:-25", #""127.0.0.1:-25": port "-25" is not a number"#),
        ("999.0.0.1:25", #""999.0.0.1:25": "999.0.0.1" is not an IPv4 address"#),
        ("mx_1:25", #""mx_1:25": host "mx_1": "_" is not allowed in a domain name (letters, digits, "-" and "." only)"#),
    ])
    func invalidAddresses(text: String, problem: String) {
        #expect(configError("[server]\nlisten = [\"\(text)\"]\n") == "config/x.toml: [server] listen: \(problem)")
        #expect(ListenAddress(text) == nil)
    }

    @Test(arguments: [
        (#"listen = "127.0.0.1:25""#,
         #"expected an array such as ["127.0.0.1:25"], found a string ("127.0.0.1:25"); put it in brackets: ["127.0.0.1:25"]"#),
        ("listen = []", #"empty; list at least one, e.g. ["127.0.0.1:25"]"#),
        (#"listen = ["127.0.0.1:25", 2525]"#, "item 2: expected a string, found an integer (2525)"),
        (#"listen = ["127.0.0.1:25", "127.0.0.1:25"]"#, #""127.0.0.1:25" is listed twice"#),
        (#"listen = ["[::1]:25", "[0:0::1]:25"]"#, #""[0:0::1]:25" is listed twice"#),
    ])
    func invalidLists(toml: String, problem: String) {
        #expect(configError("[server]\n\(toml)\n") == "config/x.toml: [server] listen: \(problem)")
    }

    @Test func severalAddressesKeepTheirOrder() throws {
        let configuration = try parsed(#"""
            [server]
            listen = ["0.0.0.0:25", "[::]:25", "127.0.0.1:2525"]
            """#)
        #expect(configuration.server.listen.map(\.description) == ["0.0.0.0:25", "[::]:25", "127.0.0.1:2525"])
    }

    @Test func descriptionBracketsIPv6() {
        #expect(ListenAddress(host: "::1", port: 25).description == "[::1]:25")
        #expect(ListenAddress(host: "::1", port: 25).isIPv6)
        #expect(ListenAddress(host: "192.0.2.1", port: 25).description == "192.0.2.1:25")
        #expect(!ListenAddress(host: "192.0.2.1", port: 25).isIPv6)
    }
}
