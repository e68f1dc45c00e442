/// An address the SMTP listener binds to, written `"host:port"`: `"0.0.0.0:25"`,
/// `"[::]:25"`, `"[::1]:2525"`, `"localhost:2525"`. IPv6 hosts need brackets so that the
/// port cannot be mistaken for the address's last group.
public struct ListenAddress: Hashable, Sendable, LosslessStringConvertible {
    /// An IPv4 or IPv6 literal (without brackets) or a host name, lowercased.
    public var host: String
    public var port: Int

    /// Whether `host` is an IPv6 literal, which is written in brackets.
    public var isIPv6: Bool { host.contains(":") }

    public var description: String {
        isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ description: String) {
        guard let address = try? Self.parse(description) else { return nil }
        self = address
    }

    static func parse(_ text: String) throws(ValueError) -> ListenAddress {
        let (host, port) = try HostPortSyntax.parse(text, missingHost:
            "write \"0.0.0.0\(text)\" for every IPv4 address or \"[::]\(text)\" for every IPv6 address")
        return ListenAddress(host: host, port: port)
    }
}
