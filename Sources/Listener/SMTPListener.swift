import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SMTPProtocol
import BackstopSync
import Synchronization

/// The SMTP server: binds the listen addresses, admits connections within the limits, and on
/// graceful shutdown lets sessions in the middle of a message finish within the grace period,
/// closes the rest with `421 4.3.2`, and answers new connections `421 4.3.2` until the last
/// session is done; then it stops listening.
public final class SMTPListener: Service, Sendable {
    public struct Address: Sendable, Equatable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public let environment: ListenerEnvironment
    private let addresses: [Address]
    private let group: any EventLoopGroup
    private let shutdownGrace: Duration
    private let serverChannels = Locked<[any Channel]>([])
    /// Set at graceful shutdown: a sender that connects meanwhile is told to come back (RFC 5321
    /// §3.8), which it treats as a temporary failure and retries, here or at another MX.
    private let draining = Atomic<Bool>(false)

    public init(addresses: [Address], environment: ListenerEnvironment, group: any EventLoopGroup,
                shutdownGrace: Duration) {
        self.addresses = addresses
        self.environment = environment
        self.group = group
        self.shutdownGrace = shutdownGrace
    }

    /// Binds every address (all or none) and returns the bound socket addresses.
    @discardableResult
    public func bind() async throws -> [SocketAddress] {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            // Unwritable well before a session's pending replies reach their bound: a client
            // that does not read is then not read from (see SMTPServerHandler). Replies are
            // small, so a small socket buffer serves every client that reads them, and keeps
            // the kernel from holding megabytes (autotuned) for one that does not.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: environment.settings.maxPendingOutput / 8,
                                                                    high: environment.settings.maxPendingOutput / 2))
            .childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(environment.settings.maxPendingOutput / 2))
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try initialize(channel)
                }
            }
        var bound: [any Channel] = []
        do {
            for address in addresses {
                bound.append(try await bootstrap.bind(host: address.host, port: address.port).get())
            }
        } catch {
            for channel in bound { try? await channel.close() }
            throw error
        }
        serverChannels.withLock { $0 = bound }
        return bound.compactMap(\.localAddress)
    }

    public var isBound: Bool { serverChannels.withLock { !$0.isEmpty } }

    public func run() async throws {
        if !isBound { try await bind() }
        let channels = serverChannels.withLock { $0 }
        environment.logger.info("listening on \(channels.compactMap(\.localAddress).map(\.description).joined(separator: ", "))")
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { tasks in
                for channel in channels { tasks.addTask { try? await channel.closeFuture.get() } }
            }
        } onGracefulShutdown: {
            self.draining.store(true, ordering: .relaxed)
            // The sockets stay open while the sessions finish, so that late senders hear 421
            // rather than nothing; then they close, and `run` returns.
            Task {
                await self.drainSessions()
                for channel in channels { channel.close(promise: nil) }
            }
        }
        // The listening sockets closed without a shutdown (an error): end the sessions too.
        await drainSessions()
    }

    /// Asks every session to finish, waits up to the grace period, then cuts the rest off.
    private func drainSessions() async {
        let sessions = environment.sessions.all
        guard !sessions.isEmpty else { return }
        environment.logger.info("shutting down: waiting up to \(shutdownGrace) for \(sessions.count) sessions")
        for channel in sessions { channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested()) }
        let grace = shutdownGrace
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for channel in sessions { try? await channel.closeFuture.get() }
            }
            tasks.addTask { try? await Task.sleep(for: grace) }
            await tasks.next()
            tasks.cancelAll()
        }
        for channel in environment.sessions.all { channel.close(promise: nil) }
    }

    private func initialize(_ channel: any Channel) throws {
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        if draining.load(ordering: .relaxed) {
            try channel.pipeline.syncOperations.addHandler(RefusingHandler(reply: Replies.shuttingDown))
            return
        }
        switch environment.limits.admit(address) {
        case .admitted:
            let limits = environment.limits
            channel.closeFuture.whenComplete { _ in limits.release(address) }
            try channel.pipeline.syncOperations.addHandler(SMTPServerHandler(environment: environment, clientAddress: address))
        case .tooManyInTotal:
            environment.logger.notice("refused [\(address)]: too many connections")
            try channel.pipeline.syncOperations.addHandler(RefusingHandler(reply: Replies.tooManyConnections))
        case .tooManyFromAddress:
            environment.logger.notice("refused [\(address)]: too many connections from this address")
            try channel.pipeline.syncOperations.addHandler(RefusingHandler(reply: Replies.tooManyConnectionsFromYou))
        }
    }
}

/// Says one reply and hangs up; for connections over the limits.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let reply: SMTPReply

    init(reply: SMTPReply) { self.reply = reply }

    func channelActive(context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: reply.wireFormat)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
