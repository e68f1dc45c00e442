import Testing
@testable import Listener
@testable import SMTPProtocol

@Suite("ConnectionLimits: per client")
struct ConnectionLimitsTests {
    @Test("IPv6 addresses in one /64 share the per-client limit", arguments: [
        ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"],
        ["2001:db8:1:2:aaaa::1", "2001:DB8:1:2:bbbb::1", "2001:0db8:0001:0002::7"],
    ])
    func sameSlash64(addresses: [String]) {
        let limits = ConnectionLimits(maxTotal: 100, maxPerAddress: 2)
        #expect(limits.admit(addresses[0]) == .admitted)
        #expect(limits.admit(addresses[1]) == .admitted)
        #expect(limits.admit(addresses[2]) == .tooManyFromAddress, "a third address of the same /64 is over the limit")
        limits.release(addresses[0])
        #expect(limits.admit(addresses[2]) == .admitted, "a release from the /64 makes room for any address in it")
        #expect(limits.open == 2)
    }

    @Test("IPv6 addresses in different /64s have a limit each")
    func differentSlash64() {
        let limits = ConnectionLimits(maxTotal: 100, maxPerAddress: 1)
        #expect(limits.admit("2001:db8:1:2::1") == .admitted)
        #expect(limits.admit("2001:db8:1:3::1") == .admitted, "the neighbouring /64")
        #expect(limits.admit("2001:db8:1:2::1") == .tooManyFromAddress)
        #expect(limits.admit("2001:db9:1:2::1") == .admitted, "another /32 altogether")
    }

    @Test("IPv4 stays per address; an IPv4-mapped IPv6 address counts as its IPv4 address")
    func ipv4() {
        let limits = ConnectionLimits(maxTotal: 100, maxPerAddress: 1)
        #expect(limits.admit("192.0.2.1") == .admitted)
        #expect(limits.admit("192.0.2.2") == .admitted, "the next IPv4 address is another client")
        #expect(limits.admit("::ffff:192.0.2.1") == .tooManyFromAddress, "the same client over an IPv6 socket")
        #expect(limits.admit("::ffff:192.0.2.3") == .admitted)
        #expect(limits.admit("192.0.2.3") == .tooManyFromAddress)
        limits.release("::ffff:192.0.2.1")
        #expect(limits.admit("192.0.2.1") == .admitted)
    }

    @Test("the keys connections are counted under", arguments: [
        ("2001:db8::1", "2001:db8:0:0::/64"),
        ("2001:db8:a:b:c:d:e:f", "2001:db8:a:b::/64"),
        ("::1", "0:0:0:0::/64"),
        ("::ffff:10.1.2.3", "10.1.2.3"),
        ("10.1.2.3", "10.1.2.3"),
        ("unknown", "unknown"),
    ])
    func keys(address: String, key: String) {
        #expect(ConnectionLimits.client(of: address) == key)
    }

    @Test("the total limit counts every connection")
    func total() {
        let limits = ConnectionLimits(maxTotal: 2, maxPerAddress: 5)
        #expect(limits.admit("2001:db8:1:2::1") == .admitted)
        #expect(limits.admit("192.0.2.1") == .admitted)
        #expect(limits.admit("2001:db8:9:9::1") == .tooManyInTotal)
    }
}
