#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import NIOSSL
import SMTPProtocol

/// One TCP connection to a primary, seen from async code: commands out, replies in, each step
/// under its timeout. It knows nothing of SMTP's sequence; `SMTPClient` and `SMTPSession` do.
final class SMTPConnection: Sendable {
    let channel: Channel
    private let handler: NIOLoopBound<ReplyHandler>

    private init(channel: Channel, handler: NIOLoopBound<ReplyHandler>) {
        self.channel = channel
        self.handler = handler
    }

    static func open(to host: PrimaryHost, group: EventLoopGroup, timeout: Duration) async throws(ConnectionFailure) -> SMTPConnection {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ReplyHandler(eventLoop: channel.eventLoop))
                }
            }
        do {
            let channel = if let address = host.address {
                try await bootstrap.connect(to: SocketAddress(ipAddress: address.description, port: host.port)).get()
            } else {
                try await bootstrap.connect(host: host.name, port: host.port).get()
            }
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ReplyHandler.self), eventLoop: channel.eventLoop)
            }.get()
            return SMTPConnection(channel: channel, handler: handler)
        } catch {
            throw classifyConnectError(error)
        }
    }

    func readReply(_ step: SMTPStep, timeout: Duration) async throws(ConnectionFailure) -> SMTPReply {
        let handler = self.handler
        return try await onLoop { resume in
            handler.value.nextReply(step: step, timeout: TimeAmount(timeout), completion: resume)
        }.get()
    }

    /// Replies to a pipelined group (RFC 2920), read in one trip to the event loop: each under
    /// its own timeout, started when the one before it is in; the first failure ends the read.
    func readReplies(_ steps: [(step: SMTPStep, timeout: Duration)]) async throws(ConnectionFailure) -> [SMTPReply] {
        let handler = self.handler
        let timed = steps.map { (step: $0.step, timeout: TimeAmount($0.timeout)) }
        return try await onLoop { resume in
            handler.value.nextReplies(timed, completion: resume)
        }.get()
    }

    /// Writes and flushes a command line; a failed write shows up at the next read.
    func send(_ line: String) {
        send(group: [line])
    }

    /// Writes and flushes command lines as one write, each owing a reply: a pipelined group
    /// (RFC 2920). One trip to the event loop notes the replies owed, then writes.
    func send(group lines: [String]) {
        let handler = self.handler
        let channel = self.channel
        var written = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 2 })
        for line in lines {
            written.writeString(line)
            written.writeStaticString("\r\n")
        }
        let buffer = written
        channel.eventLoop.execute {
            for _ in lines { handler.value.expectReply() }
            channel.writeAndFlush(buffer, promise: nil)
        }
    }

    /// Writes and flushes `buffer`, then waits while the channel is full, so content streams at
    /// the primary's pace. A channel that stays full for `timeout` is closed. With
    /// `expectingReply` (the end of DATA) a reply is owed to what is written.
    func write(_ buffer: ByteBuffer, expectingReply: Bool, step: SMTPStep, timeout: Duration) async throws(ConnectionFailure) {
        let handler = self.handler
        let channel = self.channel
        // One trip to the event loop: the reply owed, the write and the wait for room.
        let failure = await onLoop { resume in
            let replyHandler = handler.value
            if expectingReply { replyHandler.expectReply() }
            channel.writeAndFlush(buffer, promise: nil)
            replyHandler.awaitWritable(step: step, timeout: TimeAmount(timeout), completion: resume)
        }
        if let failure { throw failure }
    }

    /// The end of DATA: writes the last of the content (ending in the final dot) as `write`
    /// does, then reads the reply to it under `replyTimeout`, in one trip to the event loop.
    func finishData(_ buffer: ByteBuffer, step: SMTPStep, timeout: Duration,
                    replyStep: SMTPStep, replyTimeout: Duration) async throws(ConnectionFailure) -> SMTPReply {
        let handler = self.handler
        let channel = self.channel
        return try await onLoop { (resume: @escaping (Result<SMTPReply, ConnectionFailure>) -> Void) in
            let replyHandler = handler.value
            replyHandler.expectReply()
            channel.writeAndFlush(buffer, promise: nil)
            replyHandler.awaitWritable(step: step, timeout: TimeAmount(timeout)) { failure in
                if let failure { return resume(.failure(failure)) }
                replyHandler.nextReply(step: replyStep, timeout: TimeAmount(replyTimeout), completion: resume)
            }
        }.get()
    }

    /// Runs `body` on the channel's event loop and waits for the value it hands to its
    /// argument. The handler calls that exactly once (a value, a failure or a timeout), which
    /// is what an unsafe continuation asks; a future per step cost more than the step.
    private func onLoop<Value: Sendable>(
        _ body: @escaping @Sendable (_ resume: @escaping (Value) -> Void) -> Void
    ) async -> Value {
        let loop = channel.eventLoop
        return await withUnsafeContinuation { continuation in
            loop.execute { body { continuation.resume(returning: $0) } }
        }
    }

    /// Switches to TLS after the primary's 220 to STARTTLS and waits for the handshake.
    func startTLS(context: NIOSSLContext, serverHostname: String?, timeout: Duration) async throws(ConnectionFailure) {
        let handler = self.handler
        let channel = self.channel
        do {
            try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
                let replyHandler = handler.value
                if replyHandler.hasUnreadInput {
                    replyHandler.fail(.tlsFailed("the primary sent data after its STARTTLS reply; possible injection, connection dropped"))
                    return channel.eventLoop.makeFailedFuture(ConnectionFailure.tlsFailed("plaintext after STARTTLS reply"))
                }
                let done = replyHandler.awaitHandshake(timeout: TimeAmount(timeout))
                do {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
                    try channel.pipeline.syncOperations.addHandler(tls, position: .first)
                } catch {
                    replyHandler.fail(.tlsFailed(ReplyHandler.describeTLSError(error)))
                }
                return done
            }.get()
        } catch {
            throw error as? ConnectionFailure ?? .tlsFailed("\(error)")
        }
    }

    func close() async {
        try? await channel.close()
    }

    private static func classifyConnectError(_ error: Error) -> ConnectionFailure {
        switch error {
        case let error as NIOConnectionError:
            if let dnsError = error.dnsAError ?? error.dnsAAAAError, error.connectionErrors.isEmpty {
                return .unreachable("cannot resolve \(error.host): \(dnsError)")
            }
            let refused = error.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
            if refused { return .connectRefused }
            if error.connectionErrors.contains(where: { if case ChannelError.connectTimeout = $0.error { return true }; return false }) {
                return .timeout(.connect)
            }
            return .unreachable(error.description)
        case let error as IOError where error.errnoCode == ECONNREFUSED:
            return .connectRefused
        case ChannelError.connectTimeout:
            return .timeout(.connect)
        default:
            return .unreachable("\(error)")
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
