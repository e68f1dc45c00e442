import BackstopDefaults

/// How long the client waits at each step (RFC 5321 §4.5.3.2). A step that times out ends the
/// connection with a temporary failure.
public struct SMTPTimeouts: Hashable, Sendable {
    public var connect: Duration
    public var greeting: Duration
    public var ehlo: Duration
    /// STARTTLS's reply and the handshake after it.
    public var startTLS: Duration
    public var mail: Duration
    public var rcpt: Duration
    /// DATA's 354.
    public var dataInitiation: Duration
    /// Each chunk of content written to the primary.
    public var dataBlock: Duration
    /// The reply after the final dot.
    public var dataTermination: Duration
    public var rset: Duration
    public var quit: Duration

    public init(connect: Duration, greeting: Duration, ehlo: Duration, startTLS: Duration, mail: Duration,
                rcpt: Duration, dataInitiation: Duration, dataBlock: Duration, dataTermination: Duration,
                rset: Duration, quit: Duration) {
        self.connect = connect
        self.greeting = greeting
        self.ehlo = ehlo
        self.startTLS = startTLS
        self.mail = mail
        self.rcpt = rcpt
        self.dataInitiation = dataInitiation
        self.dataBlock = dataBlock
        self.dataTermination = dataTermination
        self.rset = rset
        self.quit = quit
    }

    /// The three limits of `[primary]`: `connect_timeout` for the connection and greeting,
    /// `command_timeout` for each command's reply, `data_timeout` for sending the content and
    /// the reply after the final dot.
    public init(connect: Duration, command: Duration, data: Duration) {
        self.init(connect: connect, greeting: connect, ehlo: command, startTLS: command, mail: command, rcpt: command,
                  dataInitiation: command, dataBlock: data, dataTermination: data, rset: command, quit: command)
    }

    /// What `[primary]` sets when the file leaves its three limits out.
    public static let defaults = SMTPTimeouts(
        connect: BackstopDefaults.Primary.connectTimeout, command: BackstopDefaults.Primary.commandTimeout,
        data: BackstopDefaults.Primary.dataTimeout)

    /// Every step under the same limit: for health probes, where a slow answer is itself a failure.
    public static func uniform(_ limit: Duration) -> SMTPTimeouts {
        SMTPTimeouts(connect: limit, greeting: limit, ehlo: limit, startTLS: limit, mail: limit, rcpt: limit,
                     dataInitiation: limit, dataBlock: limit, dataTermination: limit, rset: limit, quit: limit)
    }
}

/// `[primary] tls`: how the client protects the connection to the primary.
public enum TLSPolicy: Hashable, Sendable {
    /// STARTTLS required; the certificate must chain to the system trust store (or `caFile`,
    /// PEM) and match the host name. Any failure defers the mail: never a silent downgrade.
    case verify(caFile: String?)
    /// STARTTLS when offered, certificate not checked; when the handshake fails the client
    /// reconnects once in plaintext, as opportunistic TLS means (RFC 7435).
    case opportunistic
    /// Plaintext only, for tests and trusted links.
    case none
}
