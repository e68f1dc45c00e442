import BackstopDefaults
import MailDNS
import SpoolContract

/// One primary mail host: a name (resolved by the system resolver) or an IP literal, and a port.
public struct PrimaryHost: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let port: Int
    /// The address to connect to, when it was looked up and checked beforehand (a DSN's MX):
    /// the connection must reach that address, not whatever a second lookup of `name` says.
    /// Nil: `name` is resolved when connecting.
    public let address: IPAddress?

    public init(name: String, port: Int = BackstopDefaults.Primary.port, address: IPAddress? = nil) {
        self.name = name
        self.port = port
        self.address = address
    }

    /// `host:port`, as written in the configuration and shown in logs and health history.
    public var description: String {
        isIPv6Literal ? "[\(name)]:\(port)" : "\(name):\(port)"
    }

    /// True for an IPv4 or IPv6 literal: such a host has no name for SNI, so TLS verification
    /// checks the certificate against the address instead.
    public var isIPAddressLiteral: Bool {
        if isIPv6Literal { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// A colon only appears in an IPv6 literal. Looked for in the bytes: `String.contains` with
    /// a string argument went through Foundation's search, twice per delivered message.
    private var isIPv6Literal: Bool {
        name.utf8.contains(UInt8(ascii: ":"))
    }
}

/// Where the mail of one route goes: its hosts in order of preference; delivery fails over to
/// the next host when one cannot be reached.
public struct PrimaryRoute: Hashable, Sendable {
    public let id: RouteID
    public let hosts: [PrimaryHost]

    public init(id: RouteID, hosts: [PrimaryHost]) {
        precondition(!hosts.isEmpty, "a route needs at least one host")
        self.id = id
        self.hosts = hosts
    }
}
