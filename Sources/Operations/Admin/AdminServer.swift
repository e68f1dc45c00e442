import BackstopDefaults
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The admin HTTP listener (`[admin] listen`) on SwiftNIO's HTTP/1.1 codec: one request per
/// connection, answered by `AdminRoutes`. It is bound before `serve` reports success, so a
/// taken port stops startup like the SMTP port does.
final class AdminServer: Service, Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let routes: AdminRoutes
    private let server: NIOAsyncChannel<Connection, Never>
    private let logger: Logger
    /// A client that sends nothing is dropped after this long.
    static let requestTimeout = TimeAmount(BackstopDefaults.Admin.requestTimeout)
    /// Connections served at once; more are closed unanswered. The process's descriptors are
    /// shared with the SMTP listener, which a flood of admin connections must not starve.
    private let maxConnections: Int
    private let openConnections = Atomic<Int>(0)

    var localAddress: SocketAddress? { server.channel.localAddress }

    init(host: String, port: Int, routes: AdminRoutes, group: any EventLoopGroup, logger: Logger,
         maxConnections: Int) async throws {
        self.routes = routes
        self.maxConnections = maxConnections
        self.logger = logger
        server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    func run() async throws {
        logger.info("admin HTTP listening on \(localAddress.map(\.description) ?? "?")")
        let routes = self.routes
        let logger = self.logger
        await cancelWhenGracefulShutdown {
            try? await self.server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        guard self.openConnections.add(1, ordering: .relaxed).newValue <= self.maxConnections else {
                            self.openConnections.subtract(1, ordering: .relaxed)
                            try? await connection.executeThenClose { _, _ in }
                            continue
                        }
                        group.addTask {
                            defer { self.openConnections.subtract(1, ordering: .relaxed) }
                            await Self.serve(connection, routes: routes, logger: logger)
                        }
                    }
                }
            }
        }
    }

    /// Closes the socket when the server never ran (startup failed after binding).
    func close() async {
        try? await server.channel.close()
    }

    private static func serve(_ connection: Connection, routes: AdminRoutes, logger: Logger) async {
        let timeout = connection.channel.eventLoop.scheduleTask(in: requestTimeout) { [channel = connection.channel] in
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let request): head = request
                case .body: continue
                case .end:
                    guard let request = head else { return }
                    let path = String(request.uri.prefix { $0 != "?" })
                    let response = await routes.respond(to: .init(
                        method: request.method.rawValue, path: path,
                        authorization: request.headers.first(name: "Authorization")))
                    if response.status >= 500 { logger.warning("admin \(path): \(response.status)") }
                    try await write(response, for: request, to: outbound)
                    return
                }
            }
        }
    }

    private static func write(_ response: AdminRoutes.Response, for request: HTTPRequestHead,
                              to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        // The page is self-contained: nothing may load from anywhere, no script may run.
        headers.add(name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: response.status),
                                    headers: headers)
        try await outbound.write(.head(head))
        if request.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body)))) }
        try await outbound.write(.end(nil))
    }
}
