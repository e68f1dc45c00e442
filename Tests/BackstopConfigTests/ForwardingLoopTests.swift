import BackstopConfig
import Foundation
import Testing

/// A primary (or bounce relay) that is Backstop's own listener would loop mail; the
/// configuration is refused instead. Names are compared, never resolved.
@Suite("Backstop never forwards to itself")
struct ForwardingLoopTests {
    @Test(arguments: [
        ("127.0.0.1:2525", "127.0.0.1:2525", true),
        ("127.0.0.1:2525", "127.0.0.1:25", false),
        ("0.0.0.0:25", "127.0.0.1:25", true),
        ("0.0.0.0:25", "127.3.2.1:25", true),
        ("0.0.0.0:25", "localhost:25", true),
        ("0.0.0.0:25", "[::ffff:127.0.0.1]:25", true),
        ("127.0.0.1:25", "[::ffff:127.0.0.1]:25", true),
        ("[::ffff:192.0.2.5]:25", "192.0.2.5:25", true),
        ("0.0.0.0:25", "[::1]:25", false),
        ("0.0.0.0:25", "192.0.2.1:25", false),
        ("0.0.0.0:25", "mx1.example.org:25", false),
        ("[::]:25", "[::1]:25", true),
        ("[::]:25", "127.0.0.1:25", true),
        ("[::]:25", "localhost:25", true),
        ("[::]:25", "[2001:db8::1]:25", false),
        ("[::1]:25", "[0:0::1]:25", true),
        ("127.0.0.1:25", "localhost:25", true),
        ("127.0.0.1:25", "mail.localhost:25", true),
        ("localhost:25", "127.0.0.1:25", true),
        ("localhost:25", "[::1]:25", true),
        ("LocalHost:25", "localhost:25", true),
        ("127.0.0.1:25", "127.0.0.2:25", false),
        ("127.0.0.1:25", "[::1]:25", false),
        ("192.0.2.5:25", "192.0.2.5:25", true),
        ("192.0.2.5:25", "192.0.2.6:25", false),
        ("mx2.example.org:25", "MX2.example.org:25", true),
    ])
    func loops(listen: String, primary: String, loops: Bool) {
        let error = configError("[server]\nlisten = [\"\(listen)\"]\n[primary]\nhosts = [\"\(primary)\"]\n")
        if loops {
            let host = MailHost(primary)!.description
            let listening = ListenAddress(listen)!.description
            #expect(error == #"config/x.toml: [primary] hosts: "\#(host)" is Backstop itself ([server] listen has "\#(listening)"): Backstop would forward mail to itself; write the address of the primary mail host"#)
        } else {
            #expect(error == nil)
        }
    }

    /// The name Backstop announces is this machine, whatever address it listens on.
    @Test func ownHostnameOnAListenedPortLoops() {
        let toml = """
            [server]
            hostname = "mx2.example.org"
            listen = ["192.0.2.5:25", "127.0.0.1:2525"]
            [primary]
            hosts = ["mx1.example.org:25", "mx2.example.org:25"]
            """
        #expect(configError(toml)
            == #"config/x.toml: [primary] hosts: "mx2.example.org:25" is Backstop itself ([server] listen has "192.0.2.5:25"): Backstop would forward mail to itself; write the address of the primary mail host"#)
        #expect(configError(toml.replacingOccurrences(of: "mx2.example.org:25\"]", with: "mx2.example.org:587\"]")) == nil)
    }

    @Test(.enabled(if: Self.nonLoopbackIPv4Address() != nil, "this machine has no non-loopback IPv4 address"))
    func anAddressOfThisMachineLoopsThroughAWildcardListener() throws {
        let address = try #require(Self.nonLoopbackIPv4Address())
        #expect(configError("[server]\nlisten = [\"0.0.0.0:25\"]\n[primary]\nhosts = [\"\(address):25\"]\n") != nil)
        #expect(configError("[server]\nlisten = [\"127.0.0.1:25\"]\n[primary]\nhosts = [\"\(address):25\"]\n") == nil)
    }

    @Test func routeHostsAreCheckedToo() {
        #expect(configError("""
            [server]
            listen = ["0.0.0.0:25"]
            [relay]
            domains = ["example.org"]
            [primary]
            hosts = ["mx1.example.org:25"]
            [[primary.route]]
            domain = "example.org"
            hosts = ["mx3.example.org:25", "localhost:25"]
            """) == #"config/x.toml: [primary] route: item 1 (domain "example.org"): hosts: "localhost:25" is Backstop itself ([server] listen has "0.0.0.0:25"): Backstop would forward mail to itself; write the address of the primary mail host"#)
    }

    @Test func bounceRelayIsCheckedToo() {
        #expect(configError("[server]\nlisten = [\"[::]:25\"]\n[bounce]\nrelay = \"127.0.0.1:25\"\n")
            == #"config/x.toml: [bounce] relay: "127.0.0.1:25" is Backstop itself ([server] listen has "[::]:25"): Backstop refuses mail for domains outside [relay] domains, so most DSNs would be lost; write the host that sends this site's outgoing mail, or remove the key to use each domain's MX"#)
    }

    /// The first IPv4 address of this machine outside 127.0.0.0/8, if it has one.
    private static func nonLoopbackIPv4Address() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr, Int32(address.pointee.sa_family) == AF_INET else { continue }
            var raw = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            guard inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)) != nil else { continue }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.hasPrefix("127.") { return text }
        }
        return nil
    }
}
