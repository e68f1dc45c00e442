import BackstopDefaults

/// `[primary]`: the mail host Backstop hands spooled mail to, how its health is probed,
/// how fast a backlog is replayed into it, and how the connection is protected.
public struct PrimarySettings: Equatable, Sendable {
    /// Tried in order, failing over to the next. Empty: mail stays queued (apart from
    /// mail for a domain with a route).
    public var hosts: [MailHost]
    /// Time between health probes of each host (jittered by the monitor).
    public var checkInterval: Duration
    /// Consecutive failed probes that mark a host down.
    public var downAfter: Int
    /// Consecutive successful probes that mark a host up again.
    public var upAfter: Int
    /// `probe_timeout` as written; nil when the file leaves it out.
    public var probeTimeoutSetting: Duration?
    /// Limit for each step of a probe: connect, greeting, EHLO, QUIT. Unset, the default or
    /// `checkInterval`, whichever is shorter, so that a short interval alone is a valid file.
    public var probeTimeout: Duration {
        get { probeTimeoutSetting ?? min(BackstopDefaults.Primary.probeTimeout, checkInterval) }
        set { probeTimeoutSetting = newValue }
    }
    /// Connections to one host that replay may widen to.
    public var maxConnections: Int
    /// Messages per second that replay may widen to; 0 means no limit.
    public var maxRate: Int
    public var tls: PrimaryTLSMode
    /// PEM file of the CA certificates trusted instead of the system store (`tls = "verify"`).
    public var caFile: String?
    /// Limit for the TCP connection and the greeting.
    public var connectTimeout: Duration
    /// Limit for the reply to each command (EHLO, STARTTLS, MAIL, RCPT, DATA, RSET, QUIT).
    public var commandTimeout: Duration
    /// Limit for sending the message and for the reply after its final ".".
    public var dataTimeout: Duration
    /// Per-domain overrides of `hosts`, from `[[primary.route]]`.
    public var routes: [DomainRoute]

    /// Whether any mail is forwarded at all: a primary or a route is configured.
    public var forwardsMail: Bool { !hosts.isEmpty || !routes.isEmpty }
}

/// `[primary] tls`: how the connection to the primary is protected.
public enum PrimaryTLSMode: String, CaseIterable, Equatable, Sendable {
    /// STARTTLS required; the certificate must chain to the system trust store (or
    /// `caFile`) and match the host name. A failure defers the mail, never downgrades.
    case verify
    /// STARTTLS when offered, certificate not checked (RFC 7435).
    case opportunistic
    /// Plaintext only, for tests and trusted links.
    case none
}

extension PrimarySettings {
    static var section: ConfigSection<PrimarySettings> {
        ConfigSection(
            name: "primary",
            keys: [
                ConfigKey("hosts", \.hosts, .mailHosts(allowsEmpty: true)),
                ConfigKey("check_interval", \.checkInterval, .duration(atLeast: .seconds(1))),
                ConfigKey("down_after", \.downAfter, .integer(atLeast: 1)),
                ConfigKey("up_after", \.upAfter, .integer(atLeast: 1)),
                ConfigKey("probe_timeout", \.probeTimeoutSetting, .duration(atLeast: .seconds(1))),
                ConfigKey("max_connections", \.maxConnections, .integer(atLeast: 1)),
                ConfigKey("max_rate", \.maxRate, .integer(atLeast: 0)),
                ConfigKey("tls", \.tls, .choice),
                ConfigKey("ca_file", \.caFile, .path),
                ConfigKey("connect_timeout", \.connectTimeout, .duration(atLeast: .seconds(1))),
                ConfigKey("command_timeout", \.commandTimeout, .duration(atLeast: .seconds(1))),
                ConfigKey("data_timeout", \.dataTimeout, .duration(atLeast: .seconds(1))),
                ConfigKey("route", \.routes, DomainRoute.tables),
            ],
            check: { primary, configuration, context throws(ConfigError) in
                try checkNotSelf(primary.hosts, key: "hosts", configuration.server, context)
                if let probeTimeout = primary.probeTimeoutSetting, probeTimeout > primary.checkInterval {
                    throw context.error("probe_timeout", "\(quoted(DurationSyntax.render(primary.probeTimeout))) is longer than check_interval (\(quoted(DurationSyntax.render(primary.checkInterval)))); probes would overlap, so shorten it or lengthen check_interval")
                }
                try checkCAFile(primary, context)
                try checkRoutes(primary.routes, configuration, context)
            })
    }

    private static func checkNotSelf(
        _ hosts: [MailHost], key: String, prefix: String = "", _ server: ServerSettings, _ context: SectionContext
    ) throws(ConfigError) {
        for host in hosts {
            guard let listen = OwnListener.reached(by: host, server: server) else { continue }
            throw context.error(key, prefix + OwnListener.problem(host, listen,
                consequence: "Backstop would forward mail to itself; write the address of the primary mail host"))
        }
    }

    private static func checkCAFile(_ primary: PrimarySettings, _ context: SectionContext) throws(ConfigError) {
        guard let path = primary.caFile else { return }
        guard primary.tls == .verify else {
            throw context.error("ca_file", "only used with tls = \"verify\", and tls is \(quoted(primary.tls.rawValue)); remove ca_file or set tls = \"verify\"")
        }
        let pem = try PEMFile.contents(of: path, key: "ca_file", context)
        guard PEMFile.holdsCertificate(pem) else {
            throw context.error("ca_file", PEMFile.privateKeyMarker(in: pem) != nil
                ? "\(path): holds a private key, not CA certificates; name the file with the certificates that sign the primary's"
                : "\(path): no PEM certificate found (expected a \"-----BEGIN CERTIFICATE-----\" block)")
        }
    }

    private static func checkRoutes(
        _ routes: [DomainRoute], _ configuration: BackstopConfiguration, _ context: SectionContext
    ) throws(ConfigError) {
        for (index, route) in routes.enumerated() {
            let item = "item \(index + 1) (domain \(quoted(route.domain))): "
            if let first = routes[..<index].firstIndex(where: { $0.domain == route.domain }) {
                throw context.error("route", item + "the domain already has a route (item \(first + 1)); merge their hosts into one route")
            }
            guard configuration.relay.overlaps(route.domain) else {
                throw context.error("route", item + "not in [relay] domains, so Backstop never accepts mail for it; add it to [relay] domains or remove the route")
            }
            try checkNotSelf(route.hosts, key: "route", prefix: item + "hosts: ", configuration.server, context)
        }
    }
}
