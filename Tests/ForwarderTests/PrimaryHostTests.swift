import Testing
@testable import Forwarder

@Suite("PrimaryHost: how a host is written, and whether it is an address literal")
struct PrimaryHostTests {
    @Test(arguments: [
        ("mx.example.net", 25, "mx.example.net:25", false),
        ("192.0.2.7", 2525, "192.0.2.7:2525", true),
        ("2001:db8::7", 25, "[2001:db8::7]:25", true),
        ("::1", 587, "[::1]:587", true),
        ("10.0.0.256", 25, "10.0.0.256:25", false),
    ])
    func description(name: String, port: Int, written: String, literal: Bool) {
        let host = PrimaryHost(name: name, port: port)
        #expect(host.description == written)
        #expect(host.isIPAddressLiteral == literal)
    }
}
