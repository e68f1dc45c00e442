/// `[inbox]`: the emergency web inbox, where users read the mail Backstop holds for them while
/// the primary is down. Off unless `listen` is set; HTTPS with the `[tls]` certificate.
public struct InboxSettings: Equatable, Sendable {
    /// Where the inbox serves HTTPS; nil (`listen = ""`) turns it off.
    public var listen: ListenAddress?
    /// How long a sign-in lasts before the user must sign in again.
    public var sessionLifetime: Duration

    public init(listen: ListenAddress?, sessionLifetime: Duration) {
        self.listen = listen
        self.sessionLifetime = sessionLifetime
    }
}

extension InboxSettings {
    static var section: ConfigSection<InboxSettings> {
        ConfigSection(
            name: "inbox",
            keys: [
                ConfigKey("listen", \.listen, .optionalListenAddress),
                ConfigKey("session_lifetime", \.sessionLifetime, .duration(atLeast: .seconds(1))),
            ],
            check: { inbox, configuration, context throws(ConfigError) in
                guard let address = inbox.listen else { return }
                if configuration.server.listen.contains(address) || configuration.admin.listen == address {
                    throw context.error("listen", "\(quoted(address.description)) is also a [server] or [admin] listen address; give the inbox its own port")
                }
                // Passwords and other people's mail cross this connection.
                if !configuration.tls.isEnabled, !OwnListener.isLoopback(OwnListener.unmapped(address.host)) {
                    throw context.error("listen", "\(quoted(address.description)) is not a loopback address and [tls] has no certificate; the inbox carries passwords and mail, so set [tls] certificate and private_key (or listen on 127.0.0.1)")
                }
            })
    }
}
