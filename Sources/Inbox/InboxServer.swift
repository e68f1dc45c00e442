import BackstopDefaults
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SpoolContract

/// What the inbox reads and writes: accounts and sessions, the queue (read only), and the
/// primary's health history for the banner.
public typealias InboxStore = InboxAccounts & QueueViews & HealthHistory

/// Where and how the inbox serves.
public struct InboxServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// Nil serves plain HTTP, which configuration allows on loopback only.
    public var tls: TLSConfiguration?
    public var sessionLifetime: Duration

    public init(host: String, port: Int, tls: TLSConfiguration?, sessionLifetime: Duration) {
        self.host = host
        self.port = port
        self.tls = tls
        self.sessionLifetime = sessionLifetime
    }
}

/// The emergency inbox: an HTTPS server (Hummingbird) where users read the mail Backstop holds
/// for them. It never changes the queue. Runs as a service of `backstop serve`'s group.
public struct InboxServer: Service {
    private let application: Application<RouterResponder<InboxRequestContext>>
    private let logger: Logger

    /// Builds the routes and the TLS server; throws when the TLS configuration is unusable.
    /// Hashes a dummy password once, so that unknown users cost what known ones do.
    public init(settings: InboxServerSettings, store: any InboxStore, group: any EventLoopGroup, logger: Logger) async throws {
        // Hummingbird binds only when it runs; a port in use is found here, before serve starts.
        do {
            let probe = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: settings.host, port: settings.port).get()
            try await probe.close()
        } catch {
            throw InboxStartupError(address: "\(settings.host):\(settings.port)", reason: "\(error)")
        }
        self.logger = logger
        let dummyHash = try await PasswordHasher.hash(SessionToken.make())
        let handlers = InboxHandlers(
            store: store, sessionLifetime: settings.sessionLifetime, dummyHash: dummyHash,
            throttle: LoginThrottle(limit: BackstopDefaults.Inbox.throttleFailures, window: BackstopDefaults.Inbox.throttleWindow,
                                    block: BackstopDefaults.Inbox.throttleBlock, capacity: BackstopDefaults.Inbox.throttleEntries),
            logger: logger)
        let router = Router(context: InboxRequestContext.self)
        router.add(middleware: InboxSecurityHeaders(tls: settings.tls != nil))
        handlers.register(on: router)
        let scheme = settings.tls == nil ? "http" : "https"
        application = Application(
            router: router,
            server: try settings.tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port),
                                                    serverName: "Backstop"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                logger.notice("inbox listening on \(scheme)://\(settings.host):\(port)/")
            },
            eventLoopGroupProvider: .shared(group),
            logger: logger)
    }

    /// A failure of the inbox does not take the relay down with it: it is logged, and the
    /// service waits for the shutdown of the rest.
    public func run() async throws {
        do {
            try await application.run()
        } catch {
            logger.error("the emergency inbox stopped: \(error); mail is still accepted and replayed")
            try? await gracefulShutdown()
        }
    }
}

public struct InboxStartupError: Error, CustomStringConvertible {
    let address: String
    let reason: String

    public var description: String {
        "cannot listen on \(address) for the emergency inbox: \(reason) (is another server using the port? see [inbox] listen, \"\" turns it off)"
    }
}

/// Each request knows the client's address, for the throttle and the log.
public struct InboxRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    public var maxUploadSize: Int { BackstopDefaults.Inbox.maxRequestBody }
}
