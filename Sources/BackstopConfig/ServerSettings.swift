/// `[server]`: where the SMTP listener binds, how it names itself, and the limits and
/// timeouts it holds senders to. Timeouts follow RFC 5321 §4.5.3.2.
public struct ServerSettings: Equatable, Sendable {
    public var listen: [ListenAddress]
    /// The name in the greeting, the EHLO reply and the `Received:` header.
    public var hostname: String
    /// Whether new mail is taken while the primary is up.
    public var acceptWhen: AcceptWhen
    /// Largest message accepted, in bytes; advertised with the SIZE extension.
    public var maxMessageSize: Int
    public var maxRecipients: Int
    public var maxConnections: Int
    public var maxConnectionsPerIP: Int
    /// Protocol errors one session may make before it is closed with 421.
    public var maxErrors: Int
    /// Longest command or text line, in bytes including CRLF.
    public var maxLineLength: Int
    /// Wait for the next command, and before the greeting (RFC 5321 §4.5.3.2.7).
    public var commandTimeout: Duration
    /// Wait after the 354 reply for the first line of the message (§4.5.3.2.4).
    public var dataInitiationTimeout: Duration
    /// Wait for each further block of message data (§4.5.3.2.5).
    public var dataBlockTimeout: Duration
    /// Bytes a second message content must average, or its time runs out; 0 for no minimum.
    public var minDataRate: Int
    /// On shutdown, time for open sessions to finish before they are closed with 421.
    public var shutdownGrace: Duration
    /// Bytes of a message kept in memory before the rest is spilled to a temporary file.
    public var memoryBodyLimit: Int
}

extension ServerSettings {
    static var section: ConfigSection<ServerSettings> {
        ConfigSection(name: "server", keys: [
            ConfigKey("listen", \.listen, .list(
                example: "127.0.0.1:25", item: ListenAddress.parse, render: \.description)),
            ConfigKey("hostname", \.hostname, .hostname),
            ConfigKey("accept_when", \.acceptWhen, .choice),
            ConfigKey("max_message_size", \.maxMessageSize, .integer(atLeast: 1)),
            ConfigKey("max_recipients", \.maxRecipients, .integer(atLeast: 1)),
            ConfigKey("max_connections", \.maxConnections, .integer(atLeast: 1)),
            ConfigKey("max_connections_per_ip", \.maxConnectionsPerIP, .integer(atLeast: 1)),
            ConfigKey("max_errors", \.maxErrors, .integer(atLeast: 1)),
            ConfigKey("max_line_length", \.maxLineLength, .integer(atLeast: 80, atMost: 1 << 20)),
            ConfigKey("command_timeout", \.commandTimeout, .duration(atLeast: .seconds(1))),
            ConfigKey("data_initiation_timeout", \.dataInitiationTimeout, .duration(atLeast: .seconds(1))),
            ConfigKey("data_block_timeout", \.dataBlockTimeout, .duration(atLeast: .seconds(1))),
            ConfigKey("min_data_rate", \.minDataRate, .integer(atLeast: 0)),
            ConfigKey("shutdown_grace", \.shutdownGrace, .duration(atLeast: .zero)),
            ConfigKey("memory_body_limit", \.memoryBodyLimit, .integer(atLeast: 0)),
        ], check: { server, configuration, context throws(ConfigError) in
            if server.acceptWhen == .primaryDown && !configuration.primary.forwardsMail {
                throw context.error("accept_when", "\"primary-down\" needs a primary to watch; set [primary] hosts, or accept_when = \"always\"")
            }
        })
    }
}

/// `[server] accept_when`: whether Backstop takes mail that the primary could take itself.
public enum AcceptWhen: String, CaseIterable, Equatable, Sendable {
    /// Accept all mail and forward it at once while the primary is up.
    case always
    /// Answer new mail with 451 4.4.3 while every primary host is up, so that senders go
    /// back to the primary; accept while any is down or its state is not yet known.
    case primaryDown = "primary-down"
}
