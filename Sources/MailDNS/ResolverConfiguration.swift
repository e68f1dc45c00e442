import CResolv

/// A name server to ask: an IP address and a port (53 unless it is a test's own).
public struct NameServer: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: Int

    public init(address: IPAddress, port: Int) {
        self.address = address
        self.port = port
    }

    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}

/// Whom the resolver asks and how patiently.
public struct ResolverConfiguration: Hashable, Sendable {
    /// Empty: the system's (/etc/resolv.conf). At most `maxServers`.
    public var servers: [NameServer]
    /// How long each try waits for an answer; libresolv counts in whole seconds.
    public var timeout: Duration
    /// Tries per server.
    public var attempts: Int

    /// libresolv keeps at most three name servers (MAXNS).
    public static let maxServers = Int(CRESOLV_MAX_SERVERS)

    public init(servers: [NameServer], timeout: Duration, attempts: Int) {
        precondition(servers.count <= Self.maxServers, "libresolv holds at most \(Self.maxServers) name servers")
        self.servers = servers
        self.timeout = timeout
        self.attempts = attempts
    }

    /// The timeout in libresolv's whole seconds, rounded up, at least one.
    var timeoutSeconds: Int32 {
        let (seconds, attoseconds) = timeout.components
        return Int32(clamping: max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }
}
