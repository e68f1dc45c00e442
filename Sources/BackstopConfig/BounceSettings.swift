/// `[bounce]`: where delivery status notifications (DSNs) for failed or expired mail go.
public struct BounceSettings: Equatable, Sendable {
    /// The server that takes every DSN, e.g. the site's outgoing relay; nil: each DSN goes
    /// to the MX of the original sender's domain, found through the system resolver.
    public var relay: MailHost?
    /// STARTTLS to whoever takes the DSNs, the relay or each sender domain's MX. Its own key,
    /// not `[primary] tls`: a site's outgoing relay often has no certificate for its name.
    public var tls: PrimaryTLSMode
}

extension BounceSettings {
    static var section: ConfigSection<BounceSettings> {
        ConfigSection(
            name: "bounce",
            keys: [
                ConfigKey("relay", \.relay, .mailHost),
                ConfigKey("tls", \.tls, .choice),
            ],
            check: { bounce, configuration, context throws(ConfigError) in
                guard let relay = bounce.relay,
                      let listen = OwnListener.reached(by: relay, server: configuration.server) else { return }
                throw context.error("relay", OwnListener.problem(relay, listen,
                    consequence: "Backstop refuses mail for domains outside [relay] domains, so most DSNs would be lost; write the host that sends this site's outgoing mail, or remove the key to use each domain's MX"))
            })
    }
}
