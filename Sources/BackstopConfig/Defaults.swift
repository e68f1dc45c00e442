import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Every default Backstop runs with, in one place. config/backstop.toml repeats these
// values with their explanations, and a test keeps the two equal.

extension BackstopConfiguration {
    /// What `backstop serve` runs on when no configuration file is given.
    public static let embeddedDefaults = BackstopConfiguration(
        server: .defaults, tls: .defaults, relay: .defaults, spool: .defaults, primary: .defaults,
        bounce: .defaults, admin: .defaults, notify: .defaults, log: .defaults)
}

extension ServerSettings {
    public static let defaults = ServerSettings(
        listen: [ListenAddress(host: "127.0.0.1", port: 2525)],
        hostname: machineHostname(),
        acceptWhen: .always,
        maxMessageSize: 52_428_800,
        maxRecipients: 100,
        maxConnections: 1000,
        maxConnectionsPerIP: 20,
        maxErrors: 20,
        maxLineLength: 1000,
        commandTimeout: .seconds(5 * 60),
        dataInitiationTimeout: .seconds(2 * 60),
        dataBlockTimeout: .seconds(3 * 60),
        minDataRate: 500,
        shutdownGrace: .seconds(30),
        memoryBodyLimit: 262_144)

    /// Bytes of replies a session may have waiting for the socket before it is closed. Not a
    /// setting: a session stops reading while its client does not read, far below this.
    public static let maxPendingOutput = 65_536
    /// How long the reply before a close (QUIT, a timeout, too many errors) may take to go
    /// out before the connection is closed regardless.
    public static let closeLinger: Duration = .seconds(10)

    /// This machine's name, lowercased; "localhost" when it has none that is a valid
    /// domain name, so that the defaults always pass their own validation.
    static func machineHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self)
        return (try? DomainName.validate(name)) ?? "localhost"
    }
}

extension TLSSettings {
    /// Plaintext only until a certificate is configured.
    public static let defaults = TLSSettings(certificate: nil, privateKey: nil)
}

extension RelaySettings {
    /// A reserved name (RFC 2606), so that an unconfigured Backstop relays nobody's mail.
    public static let defaults = RelaySettings(
        domains: ["example.test"],
        recipients: nil,
        verify: false,
        verifyPositiveTTL: .seconds(31 * 86_400),
        verifyNegativeTTL: .seconds(3 * 3600),
        // A lost message is worse than a rare bounce.
        verifyUnknownWhenDown: .accept,
        // Enough for a sender's fan-out to one domain; too few to enumerate users or hammer the primary.
        verifyRate: 30)
}

extension SpoolSettings {
    public static let defaults = SpoolSettings(
        path: "spool/backstop.sqlite",
        retryMin: .seconds(5 * 60),
        retryMax: .seconds(3600),
        maxAge: .seconds(5 * 86_400),
        delayWarning: nil,
        dedupWindow: .seconds(10 * 60),
        historyRetention: .seconds(30 * 86_400))
}

extension PrimarySettings {
    /// `probe_timeout` when the file leaves it out, unless `check_interval` is shorter.
    public static let defaultProbeTimeout: Duration = .seconds(10)

    /// No primary: mail stays queued until one is configured.
    public static let defaults = PrimarySettings(
        hosts: [],
        checkInterval: .seconds(30),
        downAfter: 3,
        upAfter: 2,
        probeTimeoutSetting: nil,
        maxConnections: 4,
        maxRate: 0,
        tls: .verify,
        caFile: nil,
        connectTimeout: .seconds(30),
        commandTimeout: .seconds(5 * 60),
        dataTimeout: .seconds(10 * 60),
        routes: [])
}

extension BounceSettings {
    /// DSNs go to the MX of each recipient's domain, with STARTTLS where offered (RFC 7435):
    /// those hosts are anyone's, and a DSN deferred for a certificate is a DSN lost.
    public static let defaults = BounceSettings(relay: nil, tls: .opportunistic)
}

extension AdminSettings {
    /// Admin connections served at once; more are closed unanswered. Not a setting.
    public static let maxConnections = 64

    /// Local only and without a token: metrics and status for this machine's monitoring.
    public static let defaults = AdminSettings(listen: ListenAddress(host: "127.0.0.1", port: 9425), token: nil)
}

extension NotifySettings {
    /// Nowhere to send events until webhooks or a command are set.
    public static let defaults = NotifySettings(webhooks: [], command: nil, queueThreshold: 1000, ageThreshold: .seconds(3600))
}

extension LogSettings {
    public static let defaults = LogSettings(level: .info, format: .text)
}
