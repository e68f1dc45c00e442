import BackstopDefaults
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
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

    /// Builds the routes and the TLS server; throws when the TLS configuration is unusable.
    /// Hashes a dummy password once, so that unknown users cost what known ones do.
    public init(settings: InboxServerSettings, store: any InboxStore, group: any EventLoopGroup, logger: Logger) async throws {
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

    public func run() async throws {
        try await application.run()
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
