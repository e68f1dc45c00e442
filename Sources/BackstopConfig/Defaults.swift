import BackstopDefaults
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The configuration Backstop runs with when a file leaves a key out. The values are
// `BackstopDefaults`'s; only the choices between this module's own enums are made here.
// config/backstop.toml repeats them with their explanations, and a test keeps the two equal.

extension BackstopConfiguration {
    /// What `backstop serve` runs on when no configuration file is given.
    public static let embeddedDefaults = BackstopConfiguration(
        server: .defaults, tls: .defaults, relay: .defaults, spool: .defaults, primary: .defaults,
        bounce: .defaults, auth: .defaults, arc: .defaults, admin: .defaults, inbox: .defaults, notify: .defaults, log: .defaults,
        dns: .defaults,
        reputation: .defaults, limits: .defaults, filter: .defaults, greylist: .defaults,
        cluster: .defaults)
}

extension ClusterSettings {
    public static let defaults = ClusterSettings(node: ServerSettings.machineHostname(), leaseTimeout: BackstopDefaults.Cluster.leaseTimeout)
}

extension ServerSettings {
    public static let defaults = ServerSettings(
        listen: [ListenAddress(host: BackstopDefaults.Server.listenHost, port: BackstopDefaults.Server.listenPort)],
        hostname: machineHostname(),
        acceptWhen: .always,
        maxMessageSize: BackstopDefaults.Server.maxMessageSize,
        maxRecipients: BackstopDefaults.Server.maxRecipients,
        maxConnections: BackstopDefaults.Server.maxConnections,
        maxConnectionsPerIP: BackstopDefaults.Server.maxConnectionsPerIP,
        maxErrors: BackstopDefaults.Server.maxErrors,
        maxLineLength: BackstopDefaults.Server.maxLineLength,
        commandTimeout: BackstopDefaults.Server.commandTimeout,
        dataInitiationTimeout: BackstopDefaults.Server.dataInitiationTimeout,
        dataBlockTimeout: BackstopDefaults.Server.dataBlockTimeout,
        minDataRate: BackstopDefaults.Server.minDataRate,
        shutdownGrace: BackstopDefaults.Server.shutdownGrace,
        memoryBodyLimit: BackstopDefaults.Server.memoryBodyLimit)

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

extension InboxSettings {
    /// Off: an inbox is a decision to let people in.
    public static let defaults = InboxSettings(
        listen: BackstopDefaults.Inbox.listen.isEmpty ? nil : try? ListenAddress.parse(BackstopDefaults.Inbox.listen),
        sessionLifetime: BackstopDefaults.Inbox.sessionLifetime, journalAddress: nil,
        journalRetention: BackstopDefaults.Inbox.journalRetention)
}

extension TLSSettings {
    /// Plaintext only until a certificate is configured.
    public static let defaults = TLSSettings(certificate: nil, privateKey: nil)
}

extension RelaySettings {
    /// A reserved name (RFC 2606), so that an unconfigured Backstop relays nobody's mail.
    public static let defaults = RelaySettings(
        domains: [BackstopDefaults.Relay.domain],
        recipients: nil,
        verify: false,
        verifyPositiveTTL: BackstopDefaults.Relay.verifyPositiveTTL,
        verifyNegativeTTL: BackstopDefaults.Relay.verifyNegativeTTL,
        verifyUnknownWhenDown: BackstopDefaults.Relay.tempfailUnknownWhenDown ? .tempfail : .accept,
        verifyRate: BackstopDefaults.Relay.verifyRate)
}

extension SpoolSettings {
    public static let defaults = SpoolSettings(
        path: BackstopDefaults.Spool.path,
        url: nil,
        retryMin: BackstopDefaults.Spool.retryMin,
        retryMax: BackstopDefaults.Spool.retryMax,
        maxAge: BackstopDefaults.Spool.maxAge,
        delayWarning: nil,
        dedupWindow: BackstopDefaults.Spool.dedupWindow,
        historyRetention: BackstopDefaults.Spool.historyRetention)
}

extension PrimarySettings {
    /// No primary: mail stays queued until one is configured.
    public static let defaults = PrimarySettings(
        hosts: [],
        checkInterval: BackstopDefaults.Primary.checkInterval,
        downAfter: BackstopDefaults.Primary.downAfter,
        upAfter: BackstopDefaults.Primary.upAfter,
        probeTimeoutSetting: nil,
        maxConnections: BackstopDefaults.Primary.maxConnections,
        maxRate: BackstopDefaults.Primary.maxRate,
        tls: .verify,
        caFile: nil,
        connectTimeout: BackstopDefaults.Primary.connectTimeout,
        commandTimeout: BackstopDefaults.Primary.commandTimeout,
        dataTimeout: BackstopDefaults.Primary.dataTimeout,
        routes: [])
}

extension BounceSettings {
    /// DSNs go to the MX of each recipient's domain, with STARTTLS where offered (RFC 7435):
    /// those hosts are anyone's, and a DSN deferred for a certificate is a DSN lost.
    public static let defaults = BounceSettings(relay: nil, tls: .opportunistic)
}

extension AuthSettings {
    public static let defaults = AuthSettings(
        spf: BackstopDefaults.Auth.spf, dkim: BackstopDefaults.Auth.dkim, dmarc: BackstopDefaults.Auth.dmarc,
        rejectDMARC: BackstopDefaults.Auth.rejectDMARC, authservID: nil, publicSuffixList: BackstopDefaults.Auth.publicSuffixList)
}

extension ARCSettings {
    /// No seal until a key is configured.
    public static let defaults = ARCSettings(domain: nil, selector: nil, privateKey: nil)
}

extension AdminSettings {
    /// Local only and without a token: metrics and status for this machine's monitoring.
    public static let defaults = AdminSettings(
        listen: ListenAddress(host: BackstopDefaults.Admin.listenHost, port: BackstopDefaults.Admin.listenPort), token: nil)
}

extension NotifySettings {
    /// Nowhere to send events until webhooks or a command are set.
    public static let defaults = NotifySettings(
        webhooks: [], command: nil, queueThreshold: BackstopDefaults.Notify.queueThreshold,
        ageThreshold: BackstopDefaults.Notify.ageThreshold, webhookCA: nil)
}

extension LogSettings {
    public static let defaults = LogSettings(level: .info, format: .text)
}

extension DNSSettings {
    /// The system's name servers.
    public static let defaults = DNSSettings(
        servers: [], timeout: BackstopDefaults.DNS.timeout, attempts: BackstopDefaults.DNS.attempts)
}

extension ReputationSettings {
    /// No lists, no greeting delay: reputation checks are the operator's choice of lists.
    public static let defaults = ReputationSettings(
        rejectScore: BackstopDefaults.Reputation.rejectScore, pregreet: BackstopDefaults.Reputation.pregreet,
        dnsbl: [], dnswl: [])
}

extension LimitsSettings {
    public static let defaults = LimitsSettings(
        messagesPerIPPerMinute: BackstopDefaults.Limits.messagesPerIPPerMinute,
        recipientsPerIPPerMinute: BackstopDefaults.Limits.recipientsPerIPPerMinute,
        unknownRecipientsPerIP: BackstopDefaults.Limits.unknownRecipientsPerIP)
}

extension FilterSettings {
    /// No filter until rspamd's address is set.
    public static let defaults = FilterSettings(
        rspamd: nil, onError: BackstopDefaults.Filter.tempfailOnError ? .tempfail : .accept,
        timeout: BackstopDefaults.Filter.timeout)
}

extension GreylistSettings {
    public static let defaults = GreylistSettings(
        enabled: BackstopDefaults.Greylist.enabled, delay: BackstopDefaults.Greylist.delay,
        retention: BackstopDefaults.Greylist.retention)
}
