/// `[dns]`: the name servers every lookup goes to (DNS lists, DSN routing) and how patiently.
public struct DNSSettings: Equatable, Sendable {
    /// Empty: the system's, from /etc/resolv.conf. At most three (libresolv's limit).
    public var servers: [NameServerAddress]
    /// How long each try waits; libresolv counts whole seconds, so at least one.
    public var timeout: Duration
    /// Tries per server before a lookup is a temporary failure.
    public var attempts: Int

    /// libresolv keeps at most three name servers.
    public static let maxServers = 3
}

/// A name server written `"IP"` or `"IP:PORT"` (`"[IPv6]:PORT"`): an address, never a name,
/// since a name would need DNS to be found.
public struct NameServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal without brackets, in canonical spelling.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var isIPv6: Bool { host.utf8.contains(UInt8(ascii: ":")) }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The DNS port, when a server is written without one.
    public static let standardPort = 53

    static func parse(_ text: String) throws(ValueError) -> NameServerAddress {
        // Without a port: a bare IPv4 or IPv6 literal, or an IPv6 literal in brackets.
        if HostPortSyntax.isIPv4Literal(text) {
            return NameServerAddress(host: text, port: standardPort)
        }
        if let canonical = HostPortSyntax.canonicalIPv6(text) {
            return NameServerAddress(host: canonical, port: standardPort)
        }
        if text.hasPrefix("["), text.hasSuffix("]"), let canonical = HostPortSyntax.canonicalIPv6(text.dropFirst().dropLast()) {
            return NameServerAddress(host: canonical, port: standardPort)
        }
        let (host, port) = try HostPortSyntax.parse(text, missingHost: "write the server's IP address, e.g. \"192.0.2.53:53\"")
        guard HostPortSyntax.isIPv4Literal(host) || HostPortSyntax.canonicalIPv6(host) != nil else {
            throw ValueError("\(quoted(text)): \(quoted(host)) is a name; a DNS server is written as an IP address, e.g. \"192.0.2.53:53\" or \"[2001:db8::53]:53\"")
        }
        return NameServerAddress(host: host, port: port)
    }
}

extension DNSSettings {
    static var section: ConfigSection<DNSSettings> {
        ConfigSection(
            name: "dns",
            keys: [
                ConfigKey("servers", \.servers, .list(example: "192.0.2.53:53", allowsEmpty: true,
                                                      item: NameServerAddress.parse, render: \.description)),
                ConfigKey("timeout", \.timeout, .duration(atLeast: .seconds(1))),
                ConfigKey("attempts", \.attempts, .integer(atLeast: 1, atMost: 5)),
            ],
            check: { dns, _, context throws(ConfigError) in
                guard dns.servers.count <= DNSSettings.maxServers else {
                    throw context.error("servers", "\(dns.servers.count) servers listed; libresolv asks at most \(DNSSettings.maxServers), so list the three to use")
                }
            })
    }
}
