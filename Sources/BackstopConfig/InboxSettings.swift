/// `[inbox]`: the emergency web inbox, where users read the mail Backstop holds for them while
/// the primary is down. Off unless `listen` is set; HTTPS with the `[tls]` certificate.
public struct InboxSettings: Equatable, Sendable {
    /// Where the inbox serves HTTPS; nil (`listen = ""`) turns it off.
    public var listen: ListenAddress?
    /// How long a sign-in lasts before the user must sign in again.
    public var sessionLifetime: Duration
    /// Where the primary sends journal copies in normal times; nil: none are taken.
    public var journalAddress: String?
    /// How long a journal copy is kept for the inbox before the retention sweep deletes it.
    public var journalRetention: Duration

    public init(listen: ListenAddress?, sessionLifetime: Duration, journalAddress: String?, journalRetention: Duration) {
        self.listen = listen
        self.sessionLifetime = sessionLifetime
        self.journalAddress = journalAddress
        self.journalRetention = journalRetention
    }
}

extension InboxSettings {
    static var section: ConfigSection<InboxSettings> {
        ConfigSection(
            name: "inbox",
            keys: [
                ConfigKey("listen", \.listen, .optionalListenAddress),
                ConfigKey("session_lifetime", \.sessionLifetime, .duration(atLeast: .seconds(1))),
                ConfigKey("journal_address", \.journalAddress, .text { address throws(ValueError) in
                    // The shape only; the session's own path parser reads it when serve starts.
                    let bytes = Array(address.utf8)
                    guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")), at > 0, at < bytes.count - 1,
                          bytes.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }) else {
                        throw ValueError("\(quoted(address)) is not an address like \"journal@example.org\"")
                    }
                    return address
                }),
                ConfigKey("journal_retention", \.journalRetention, .duration(atLeast: .seconds(1))),
            ],
            check: { inbox, configuration, context throws(ConfigError) in
                // A journal copy is shown to users as their mail: it must prove it comes from the primary.
                if inbox.journalAddress != nil, !configuration.auth.spf, !configuration.auth.dkim {
                    throw context.error("journal_address", "needs [auth] spf or dkim: a journal copy is taken only with an SPF or DKIM pass for one of the [relay] domains, so that nobody else can put mail in users' inboxes")
                }
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
