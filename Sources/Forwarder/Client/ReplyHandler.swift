import NIOCore
import NIOSSL
import NIOTLS
import SMTPProtocol

/// The channel handler under `SMTPConnection`: frames the primary's replies and hands each to
/// the one reader waiting for it, under that reader's timeout.
///
/// Replies that arrive before anyone asks (a pipelined group, the greeting) are queued. Only
/// replies to commands sent are expected (`expectReply`); a server that sends more than
/// `maxUnexpectedQueued` replies nobody asked for, and nobody has read, is dropped, so it
/// cannot make the queue grow without bound. The first failure — a close, a parse error, a TLS error, a timeout — is terminal: the SMTP
/// dialogue cannot be resynchronised, so the channel is closed and every later read fails.
final class ReplyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// Told the reply, or the failure that ended the dialogue, exactly once.
    typealias ReplyCompletion = (Result<SMTPReply, ConnectionFailure>) -> Void

    private struct Waiter {
        let completion: ReplyCompletion
        let step: SMTPStep
        let deadline: NIODeadline
    }

    /// A write that left the channel full, waiting for it to drain.
    private struct WriteWaiter {
        let completion: (ConnectionFailure?) -> Void
        let step: SMTPStep
        let deadline: NIODeadline
    }

    private let eventLoop: EventLoop
    private var context: ChannelHandlerContext?
    private var parser = ReplyParser()
    private var pending: ByteBuffer?
    /// Each reply with whether a command asked for it.
    private var replies = CircularBuffer<(reply: SMTPReply, expected: Bool)>()
    /// Replies owed: one for the greeting, one per command sent, not yet received.
    private var owed = 1
    /// Queued replies that no command asked for.
    private var unexpectedQueued = 0

    /// A few spare replies are tolerated (a 421 before closing, a server counting differently).
    static let maxUnexpectedQueued = 8
    private var waiter: Waiter?
    private var writeWaiter: WriteWaiter?
    /// One timer serves every reader and writer in turn (see `armReplyTimer`).
    private var replyTimer: (deadline: NIODeadline, task: Scheduled<Void>)?
    private var failure: ConnectionFailure?
    private var isClosed = false
    private var handshake: (promise: EventLoopPromise<Void>, timeout: Scheduled<Void>)?

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// The next reply, failing with `.timeout(step)` when none completes within `timeout`.
    func nextReply(step: SMTPStep, timeout: TimeAmount) -> EventLoopFuture<SMTPReply> {
        let promise = eventLoop.makePromise(of: SMTPReply.self)
        nextReply(step: step, timeout: timeout) { result in
            switch result {
            case .success(let reply): promise.succeed(reply)
            case .failure(let failure): promise.fail(failure)
            }
        }
        return promise.futureResult
    }

    /// The next reply, handed to `completion` (at once when one is queued), or `.timeout(step)`
    /// when none completes within `timeout`. Without futures: replay reads several replies per
    /// message, and each future cost an allocation and runtime generic-metadata lookups.
    func nextReply(step: SMTPStep, timeout: TimeAmount, completion: @escaping ReplyCompletion) {
        precondition(waiter == nil, "one reader at a time")
        if let queued = popQueuedReply() { return completion(.success(queued)) }
        if let terminal = terminalFailure(at: step) { return completion(.failure(terminal)) }
        let deadline = eventLoop.now + timeout
        waiter = Waiter(completion: completion, step: step, deadline: deadline)
        armReplyTimer(for: deadline)
    }

    /// Replies to a pipelined group (RFC 2920), in order: each under its own timeout, started
    /// when the one before it is in; the first failure ends the read.
    func nextReplies(_ steps: [(step: SMTPStep, timeout: TimeAmount)],
                     completion: @escaping (Result<[SMTPReply], ConnectionFailure>) -> Void) {
        collectReplies(steps, from: 0, collected: [], completion: completion)
    }

    private func collectReplies(_ steps: [(step: SMTPStep, timeout: TimeAmount)], from first: Int, collected: [SMTPReply],
                                completion: @escaping (Result<[SMTPReply], ConnectionFailure>) -> Void) {
        var collected = collected
        var index = first
        // Replies already queued are taken in a loop, so a large group does not recurse.
        while index < steps.count, let queued = popQueuedReply() {
            collected.append(queued)
            index += 1
        }
        guard index < steps.count else { return completion(.success(collected)) }
        let soFar = collected
        nextReply(step: steps[index].step, timeout: steps[index].timeout) { [self] result in
            switch result {
            case .success(let reply): collectReplies(steps, from: index + 1, collected: soFar + [reply], completion: completion)
            case .failure(let failure): completion(.failure(failure))
            }
        }
    }

    /// After a write: `completion(nil)` once the channel can take more (at once when it can),
    /// so content streams at the primary's pace; the failure when the connection is gone, or
    /// `.timeout(step)` (and the connection closed) when it stays full for `timeout`.
    func awaitWritable(step: SMTPStep, timeout: TimeAmount, completion: @escaping (ConnectionFailure?) -> Void) {
        precondition(writeWaiter == nil, "one writer at a time")
        if let terminal = terminalFailure(at: step) { return completion(terminal) }
        guard let channel = context?.channel, channel.isActive else { return completion(.closed(step)) }
        if channel.isWritable { return completion(nil) }
        let deadline = eventLoop.now + timeout
        writeWaiter = WriteWaiter(completion: completion, step: step, deadline: deadline)
        armReplyTimer(for: deadline)
    }

    private func popQueuedReply() -> SMTPReply? {
        guard let queued = replies.popFirst() else { return nil }
        if !queued.expected { unexpectedQueued -= 1 }
        return queued.reply
    }

    /// The deadline the timer watches: the reader's or the writer's, whichever is waiting.
    private var pendingDeadline: (deadline: NIODeadline, step: SMTPStep)? {
        switch (waiter, writeWaiter) {
        case (let reader?, let writer?):
            reader.deadline <= writer.deadline ? (reader.deadline, reader.step) : (writer.deadline, writer.step)
        case (let reader?, nil): (reader.deadline, reader.step)
        case (nil, let writer?): (writer.deadline, writer.step)
        case (nil, nil): nil
        }
    }

    /// A timer per reply or write cost a scheduled task, its future and a cancel, several times
    /// per message. Readers and writers follow one another with about the same timeout, so a
    /// timer already due no later than `deadline` is kept: when it fires it looks at who is
    /// waiting then, and fails them or waits again until their own deadline.
    private func armReplyTimer(for deadline: NIODeadline) {
        if let armed = replyTimer, armed.deadline <= deadline { return }
        replyTimer?.task.cancel()
        let task = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            replyTimer = nil
            guard let pending = pendingDeadline else { return }
            if pending.deadline <= eventLoop.now {
                fail(.timeout(pending.step))
            } else {
                armReplyTimer(for: pending.deadline)
            }
        }
        replyTimer = (deadline, task)
    }

    /// A command that the server answers was sent (or is about to be).
    func expectReply() {
        owed += 1
    }

    /// True when the primary sent anything not yet read: after a STARTTLS 220 that is an attempt
    /// to inject plaintext into the TLS session (CVE-2011-0411), and the connection is abandoned.
    var hasUnreadInput: Bool {
        !replies.isEmpty || (pending?.readableBytes ?? 0) > 0 || parser.isInsideReply
    }

    /// Completes when the TLS handler reports the handshake done; fails with `.tlsFailed`.
    func awaitHandshake(timeout: TimeAmount) -> EventLoopFuture<Void> {
        let loop = eventLoop
        if let terminal = terminalFailure(at: .tlsHandshake) { return loop.makeFailedFuture(terminal) }
        let promise = loop.makePromise(of: Void.self)
        let scheduled = loop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            fail(.tlsFailed("no TLS handshake within \(timeout.nanoseconds / 1_000_000_000)s"))
        }
        handshake = (promise, scheduled)
        return promise.futureResult
    }

    /// Ends the dialogue with `failure` (unless another failure came first) and closes.
    func fail(_ failure: ConnectionFailure) {
        if self.failure == nil, !isClosed { self.failure = failure }
        let terminal = self.failure ?? failure
        // The timer holds this handler; a closed connection lets both go at once.
        replyTimer?.task.cancel()
        replyTimer = nil
        if let waiter {
            self.waiter = nil
            waiter.completion(.failure(terminal))
        }
        if let writeWaiter {
            self.writeWaiter = nil
            writeWaiter.completion(terminal)
        }
        if let handshake {
            self.handshake = nil
            handshake.timeout.cancel()
            handshake.promise.fail(terminal)
        }
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard failure == nil else { return }
        var buffer: ByteBuffer
        if var earlier = pending {
            earlier.writeBuffer(&bytes)
            buffer = earlier
        } else {
            buffer = bytes
        }
        pending = nil
        var complete: [SMTPReply] = []
        do {
            while let reply = try parser.next(&buffer) { complete.append(reply) }
        } catch {
            fail(.protocolViolation(error.description))
            return
        }
        if buffer.readableBytes > 0 {
            buffer.discardReadBytes()
            pending = buffer
        }
        complete.forEach(deliver)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        if handshake != nil, failure == nil { failure = .tlsFailed("the primary closed the connection during the handshake") }
        fail(failure ?? .closed(waiter?.step ?? writeWaiter?.step ?? .connect))
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let writeWaiter {
            self.writeWaiter = nil
            writeWaiter.completion(nil)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let step = waiter?.step ?? writeWaiter?.step ?? .connect
        if handshake != nil {
            fail(.tlsFailed(Self.describeTLSError(error)))
        } else if let failure = error as? ConnectionFailure {
            fail(failure)
        } else if case .uncleanShutdown? = error as? NIOSSLError {
            // TLS was up: a peer closing without close_notify is just a closed connection.
            fail(.closed(step))
        } else if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            fail(.tlsFailed(Self.describeTLSError(error)))
        } else {
            fail(.closed(step))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent, let handshake {
            self.handshake = nil
            handshake.timeout.cancel()
            handshake.promise.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func deliver(_ reply: SMTPReply) {
        let expected = owed > 0
        if expected { owed -= 1 }
        if let waiter {
            self.waiter = nil
            waiter.completion(.success(reply))
            return
        }
        guard failure == nil else { return }
        replies.append((reply, expected))
        if !expected {
            unexpectedQueued += 1
            if unexpectedQueued > Self.maxUnexpectedQueued {
                // The dialogue is lost: nothing queued may be read as an answer any more.
                replies.removeAll()
                unexpectedQueued = 0
                fail(.protocolViolation("the server sent more than \(Self.maxUnexpectedQueued) replies to no command"))
            }
        }
    }

    private func terminalFailure(at step: SMTPStep) -> ConnectionFailure? {
        if let failure {
            if case .closed = failure { return .closed(step) }
            return failure
        }
        return isClosed ? .closed(step) : nil
    }

    /// Turns BoringSSL's error stack into a sentence an operator can act on.
    static func describeTLSError(_ error: Error) -> String {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "the primary's certificate does not match its host name (\(extra)); fix the certificate or the [primary] hosts entry"
        }
        switch error as? NIOSSLError {
        case .handshakeFailed(let detail) where "\(detail)".contains("CERTIFICATE_VERIFY_FAILED"):
            return "the primary's certificate did not verify against the trust store (\(detail)); install its CA or set [primary] ca_file"
        case .uncleanShutdown:
            return "the primary closed the connection during the handshake"
        default:
            return "handshake failed: \(error)"
        }
    }
}
