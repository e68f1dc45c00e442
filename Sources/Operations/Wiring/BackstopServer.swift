import AsyncHTTPClient
import BackstopConfig
import BackstopDefaults
import Foundation
import Listener
import SMTPProtocol
import Logging
import MailDNS
import NIOCore
import NIOPosix
import ServiceLifecycle
import Spool
import SpoolContract
import UnixSignals

extension RecipientTable: RecipientDirectory {}

/// `backstop serve`: everything built from one configuration, checked before anything starts,
/// then run as services of one `ServiceGroup` until SIGTERM or SIGINT.
public final class BackstopServer: Sendable {
    public let configuration: BackstopConfiguration
    public let spool: any SpoolBackend
    public let listener: SMTPListener
    private let forwarding: ForwardingService?
    /// The admin HTTP listener, queue watch, notifier and SIGHUP reloader.
    private let operations: [any Service]
    private let group: MultiThreadedEventLoopGroup
    /// The threads of every blocking DNS lookup (DNS lists, DSN routing), apart from the spool's.
    private let dnsPool: DNSLookupPool
    private let logger: Logger
    /// Held while this server runs on a SQLite spool: no second server may free its leases.
    /// A PostgreSQL spool is shared by design; its leases are fenced instead.
    private let lock: SpoolLock?
    /// The content filter's and the webhooks' HTTP client.
    private let http: HTTPClient

    /// Loads TLS material and the recipients file, opens the spool and binds the listen
    /// addresses; throws before anything runs if any of it fails.
    public init(configuration: BackstopConfiguration, configFile: String, logger: Logger) async throws {
        var logger = logger
        // Nodes sharing a spool log to one place more often than not: each line says whose it is.
        if configuration.spool.url != nil { logger[metadataKey: "node"] = "\(configuration.cluster.node)" }
        BackstopMetrics.bootstrap()
        // From here on a SIGHUP reloads; left to its default it would end the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let reloadable = try ConfigReloader.reloadable(from: configuration, file: configFile)
        // Before the spool is opened: a second server must not touch the first's leases or schema.
        let lock = configuration.spool.url == nil ? try SpoolLock.acquire(forSpoolAt: configuration.spool.path) : nil
        let spool: any SpoolBackend
        do {
            spool = try await SpoolOpening.open(configuration.spool, access: .serve, logger: logger)
        } catch {
            lock?.release()
            throw error
        }
        // One node alone leads; nodes sharing a spool elect one by their heartbeats.
        let role = ClusterRole(leads: spool.membership == nil)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let http = HTTPClient.backstop(group: group)
        let dnsPool = DNSLookupPool(threads: BackstopDefaults.DNS.lookupThreads,
                                    maxPending: BackstopDefaults.DNS.maxPendingLookups)
        let resolver = MailResolver.configured(configuration.dns, pool: dnsPool)
        let forwarding: ForwardingService?
        do {
            forwarding = configuration.primary.forwardsMail
                ? try ForwardingService(configuration: configuration, spool: spool, role: role, dns: resolver,
                                        group: group, logger: logger) : nil
        } catch {
            dnsPool.shutdown()
            try? await http.shutdown()
            try? await group.shutdownGracefully()
            try? await spool.close()
            throw ConfigError(file: configFile, location: .key(section: "primary", key: "ca_file"), problem: "\(error)")
        }
        let authenticator: MessageAuthenticator?
        let journal: JournalIntake?
        do {
            authenticator = try MessageAuthentication.authenticator(configuration: configuration, configFile: configFile, dns: resolver)
            journal = try Self.journalIntake(configuration, configFile: configFile)
        } catch {
            dnsPool.shutdown()
            try? await http.shutdown()
            try? await group.shutdownGracefully()
            try? await spool.close()
            throw error
        }
        // Before the listener opens: its first EHLO already offers what the spool remembers.
        await forwarding?.capabilities.load()
        let refusals = RefusalLog(now: { Date() })
        let redirect = configuration.server.acceptWhen == .primaryDown
        let incoming = try Self.prepareIncomingDirectory(forSpoolAt: configuration.spool.path)
        let server = configuration.server
        let settings = SessionSettings(
            hostname: server.hostname, maxMessageSize: server.maxMessageSize, maxRecipients: server.maxRecipients,
            maxErrors: server.maxErrors, maxLineLength: server.maxLineLength, memoryBodyLimit: server.memoryBodyLimit,
            commandTimeout: server.commandTimeout, dataInitiationTimeout: server.dataInitiationTimeout,
            dataTimeout: server.dataBlockTimeout, minDataRate: server.minDataRate,
            maxPendingOutput: BackstopDefaults.Server.maxPendingOutput, closeLinger: BackstopDefaults.Server.closeLinger)
        let environment = ListenerEnvironment(
            settings: settings,
            reloadable: reloadable,
            store: spool, incomingDirectory: incoming, threadPool: NIOThreadPool.singleton,
            limits: ConnectionLimits(maxTotal: server.maxConnections, maxPerAddress: server.maxConnectionsPerIP),
            logger: logger,
            primaryLimits: { forwarding?.capabilities.offered },
            messageStored: { forwarding?.messageStored() },
            primaryTakesMail: { redirect && forwarding?.board.everyHostIsUp == true },
            recipientVerifier: forwarding?.recipientVerifier,
            clientChecks: ClientChecks.configured(configuration, dns: resolver, refusals: refusals),
            authenticator: authenticator, journal: journal,
            contentFilter: ContentFiltering.configured(configuration.filter, http: http),
            greylist: configuration.greylist.enabled
                ? Greylist(triples: spool, delay: configuration.greylist.delay, now: { Date() }, logger: logger) : nil)
        let listener = SMTPListener(
            addresses: server.listen.map { SMTPListener.Address(host: $0.host, port: $0.port) },
            environment: environment, group: group, shutdownGrace: server.shutdownGrace)
        do {
            try await listener.bind()
        } catch {
            dnsPool.shutdown()
            try? await http.shutdown()
            try? await group.shutdownGracefully()
            try? await spool.close()
            throw StartupError.cannotListen(server.listen.map(\.description).joined(separator: ", "), "\(error)")
        }
        do {
            operations = try await OperationsServices.make(
                configuration: configuration, configFile: configFile, spool: spool, role: role, listener: listener,
                forwarding: forwarding, hangups: hangups, group: group, http: http, logger: logger)
        } catch {
            // Closes the SMTP sockets too: they are channels of this group.
            dnsPool.shutdown()
            try? await http.shutdown()
            try? await group.shutdownGracefully()
            try? await spool.close()
            throw error
        }
        self.configuration = configuration
        self.spool = spool
        self.listener = listener
        self.forwarding = forwarding
        self.group = group
        self.dnsPool = dnsPool
        self.logger = logger
        self.lock = lock
        self.http = http
    }

    public func run() async throws {
        let services = ServiceGroup(configuration: .init(
            // Stopped in reverse: forwarding, then the listener drains, and the admin listener last.
            services: operations.map { .init(service: $0) } + [.init(service: listener)]
                + (forwarding.map { [.init(service: $0)] } ?? []),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await services.run()
        if let forwarding { await OperationsServices.releaseLeases(of: forwarding.leaseOwner, in: spool, logger: logger) }
        dnsPool.shutdown()
        try await http.shutdown()
        try await group.shutdownGracefully()
        try await spool.close()
        lock?.release()
        logger.info("stopped")
    }

    /// Bodies of large messages are written here while they arrive. Whatever is left from a
    /// crash was never acknowledged, so it is removed.
    static func prepareIncomingDirectory(forSpoolAt path: String) throws -> String {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("incoming").path
        let files = FileManager.default
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in (try? files.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".tmp") {
            try? files.removeItem(atPath: "\(directory)/\(name)")
        }
        return directory
    }

    /// `[inbox] journal_address` as the session reads addresses; nil when it is not set.
    static func journalIntake(_ configuration: BackstopConfiguration, configFile: String) throws -> JournalIntake? {
        guard let address = configuration.inbox.journalAddress else { return nil }
        guard let journal = JournalIntake(address: address, retention: configuration.inbox.journalRetention,
                                          openingLimit: BackstopDefaults.Inbox.journalOpeningBytes) else {
            throw ConfigError(file: configFile, location: .key(section: "inbox", key: "journal_address"),
                              problem: "\(address) is not an address a sender could write in RCPT TO")
        }
        return journal
    }
}

public enum StartupError: Error, CustomStringConvertible {
    case cannotListen(String, String)

    public var description: String {
        switch self {
        case let .cannotListen(addresses, why):
            return "cannot listen on \(addresses): \(why) (is another server using the port? see [server] listen)"
        }
    }
}
