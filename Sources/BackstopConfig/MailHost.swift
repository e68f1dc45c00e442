/// A mail server Backstop connects to, written `"host:port"`: a primary host
/// (`"mx1.example.org:25"`, `"192.0.2.10:25"`, `"[2001:db8::10]:25"`) or the bounce relay.
/// A name is resolved through the system resolver when Backstop connects, not when the
/// configuration is read.
public struct MailHost: Hashable, Sendable, LosslessStringConvertible {
    /// A domain name or an IPv4 or IPv6 literal (without brackets), lowercased.
    public var name: String
    public var port: Int

    /// Whether `name` is an IPv6 literal, which is written in brackets.
    public var isIPv6: Bool { name.contains(":") }

    public var description: String {
        isIPv6 ? "[\(name)]:\(port)" : "\(name):\(port)"
    }

    public init(name: String, port: Int) {
        self.name = name
        self.port = port
    }

    public init?(_ description: String) {
        guard let host = try? Self.parse(description) else { return nil }
        self = host
    }

    static func parse(_ text: String) throws(ValueError) -> MailHost {
        let (name, port) = try HostPortSyntax.parse(text, missingHost:
            "write the server's name or address, e.g. \"mx1.example.org\(text)\"")
        // A connection to the unspecified address lands on this machine, which is never
        // what a primary or relay written this way means.
        guard name != "0.0.0.0" && name != "::" else {
            throw ValueError("\(quoted(text)): \(name) means every local address when listening, and is nowhere to connect to; write the server's name or address")
        }
        return MailHost(name: name, port: port)
    }
}
