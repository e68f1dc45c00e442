import Forwarder
import MailDNS
import Testing

@Suite("AddressReach: which addresses a DSN may be sent to")
struct AddressReachTests {
    private func reach(_ text: String) throws -> AddressReach {
        AddressReach(try #require(IPAddress(parsing: text), "\(text) parses"))
    }

    @Test("IPv4 and IPv6 addresses that are not globally reachable", arguments: [
        ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"), ("10.0.0.5", "RFC 1918"), ("172.16.0.1", "RFC 1918"),
        ("172.31.255.255", "RFC 1918"), ("192.168.1.1", "RFC 1918"), ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"),
        ("169.254.169.254", "link-local"), ("100.64.0.1", "RFC 6598"), ("192.0.2.7", "documentation"),
        ("198.18.0.1", "benchmarking"), ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"),
        ("255.255.255.255", "broadcast"), ("240.0.0.1", "reserved"),
        ("::", "unspecified"), ("::1", "loopback"), ("fe80::1", "link-local"), ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"), ("ff02::1", "multicast"), ("2001:db8::7", "documentation"),
        ("fec0::1", "site-local"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.5", "RFC 1918"),
        ("::ffff:192.168.0.1", "RFC 1918"), ("64:ff9b::a00:5", "RFC 1918"), ("2002:a00:5::1", "RFC 1918"),
        ("::10.0.0.5", "global unicast"), ("100::1", "discard"), ("2001::1", "IETF"),
    ])
    func nonGlobal(address: String, kind: String) throws {
        guard case .nonGlobal(let why) = try reach(address) else {
            Issue.record("\(address) counted as global")
            return
        }
        #expect(why.contains(kind), "\(address): \(why)")
    }

    @Test("public addresses are global, v4-mapped ones included", arguments: [
        "93.184.216.34", "8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.1", "169.253.0.1", "11.0.0.1",
        "192.169.0.1", "2a00:1450:4001::1", "2606:4700::1111", "::ffff:93.184.216.34", "64:ff9b::808:808",
    ])
    func global(address: String) throws {
        #expect(try reach(address) == .global, "\(address)")
    }

    @Test("parsing takes only literal addresses and prints them canonically")
    func parsing() {
        #expect(IPAddress(parsing: "mx.example.org") == nil)
        #expect(IPAddress(parsing: "10.0.0.256") == nil)
        #expect(IPAddress(parsing: "fe80::1%eth0") == nil)
        #expect(IPAddress(parsing: "2001:DB8:0:0::7")?.description == "2001:db8::7")
        #expect(IPAddress(parsing: "::ffff:10.0.0.5")?.octets.count == 16)
    }
}
