/// `[admin]`: the HTTP listener for operators and monitoring: Prometheus metrics, health and
/// readiness checks, the status page and its JSON.
public struct AdminSettings: Equatable, Sendable {
    /// Where the admin HTTP listener binds; nil (`listen = ""`) turns it off.
    public var listen: ListenAddress?
    /// When set, every request but `/healthz` must carry `Authorization: Bearer <token>`.
    public var token: String?

    public init(listen: ListenAddress?, token: String?) {
        self.listen = listen
        self.token = token
    }
}

extension AdminSettings {
    static var section: ConfigSection<AdminSettings> {
        ConfigSection(
            name: "admin",
            keys: [
                ConfigKey("listen", \.listen, .optionalListenAddress),
                ConfigKey("token", \.token, .bearerToken),
            ],
            check: { admin, configuration, context throws(ConfigError) in
                if let address = admin.listen, configuration.server.listen.contains(address) {
                    throw context.error("listen", "\(quoted(address.description)) is also a [server] listen address; give the admin listener its own port")
                }
                // The status page and metrics show the spool and the primary's state: beyond this
                // machine they need the token.
                if let address = admin.listen, admin.token == nil, !OwnListener.isLoopback(OwnListener.unmapped(address.host)) {
                    throw context.error("token", "required when listen (\(quoted(address.description))) is not a loopback address; set a token (e.g. the output of `openssl rand -hex 32`) or listen on 127.0.0.1")
                }
            })
    }
}

extension ValueSyntax where Value == ListenAddress? {
    /// `"host:port"`, or `""` for "not at all".
    static var optionalListenAddress: Self {
        .string({ text throws(ValueError) in text.isEmpty ? nil : try ListenAddress.parse(text) },
                render: { $0?.description ?? "" })
    }
}

extension ValueSyntax where Value == String {
    /// A secret sent in an HTTP header: printable ASCII without spaces, long enough to resist guessing.
    static var bearerToken: Self {
        text { token throws(ValueError) in
            guard token.count >= 16 else {
                throw ValueError("too short (\(token.count) characters); use at least 16, e.g. the output of `openssl rand -hex 32`")
            }
            guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw ValueError("use printable ASCII without spaces, e.g. the output of `openssl rand -hex 32`")
            }
            return token
        }
    }
}
