import Foundation
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import SMTPProtocol

/// Runs one SMTP session on a channel: frames input, feeds the state machine, carries out its
/// actions. The decisions are elsewhere (the machine, `SessionDeadlines`, `MessageIntake`);
/// this is the channel's side: reads, writes, timers, TLS. It stops reading while the spool commits or a large body is being written, so a
/// pipelining client can never get ahead of what has been stored, and while the channel is
/// unwritable, so a client that sends commands but never reads their replies cannot make
/// them pile up: it is left waiting until a timeout closes the session.
final class SMTPServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    let environment: ListenerEnvironment
    let clientAddress: String
    var machine: SessionStateMachine
    private var framer: InboundFramer
    private var inbound: ByteBuffer?
    var assembler: MessageAssembler?
    var logger: Logger
    /// Waiting for the spool's commit or a recipient's verdict: input is kept but not
    /// processed, and no more is read.
    var awaitingAnswer = false
    private var readPending = false
    private var shutdownRequested = false
    /// When the session runs out of time, on the event loop's clock.
    private var deadlines: SessionDeadlines<LoopInstant>
    private var timeout: Scheduled<Void>?
    let intake: MessageIntake
    /// SPF of the transaction's sender, started when its content begins to arrive.
    var senderCheck: MessageAuthenticator.SenderCheck?
    /// The negotiated TLS version once STARTTLS completed, for the disconnect line.
    private var tlsVersion: String?
    /// Bytes of replies written and not yet taken by the socket.
    private var pendingOutput = 0
    /// Bytes of replies written since the last flush.
    private var unflushedOutput = 0
    /// Set while `process` runs: a flush inside it may report writability, which must not
    /// start a second pass over the same input.
    private var processing = false
    /// Set once the session is being closed: no more input is processed.
    var closing = false
    /// False until the 220 is sent: input before it is a client talking first.
    var greeted = true
    var greetingTask: Scheduled<Void>?
    /// The DNS lists are still being asked: no command is processed until they answered.
    var reputationPending = false
    /// The lists' refusal, given at the client's first MAIL.
    var reputationRefusal: ClientRefusal?
    /// An allow list (a DNS list of negative weight) lists the client: greylisting skips it.
    var allowListed = false
    /// Set while a client refusal is sent: it is counted by its own reason, not by its status code.
    var sendingClientRefusal = false

    init(environment: ListenerEnvironment, clientAddress: String) {
        self.environment = environment
        self.clientAddress = clientAddress
        let snapshot = environment.current
        self.machine = SessionStateMachine(settings: environment.settings, policy: snapshot.policy,
                                           tlsAvailable: snapshot.tls != nil)
        self.framer = InboundFramer(maxCommandLength: environment.settings.maxCommandLength,
                                    maxTextLineLength: environment.settings.maxLineLength)
        self.deadlines = SessionDeadlines(settings: environment.settings)
        var logger = environment.logger
        logger[metadataKey: "client"] = "\(clientAddress)"
        self.logger = logger
        let threadPool = environment.threadPool
        let operations = environment.spillFileOperations
        self.intake = MessageIntake(store: environment.store, hostname: environment.settings.hostname, logger: logger,
                                    messageStored: environment.messageStored,
                                    discardBodyFile: { path in try? await threadPool.runIfActive { operations.remove(path) } },
                                    authenticator: environment.authenticator, journal: environment.journal,
                                    policy: snapshot.policy, maxRecipients: environment.settings.maxRecipients,
                                    contentFilter: environment.contentFilter)
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        environment.sessions.add(context.channel)
        ListenerMetrics.connectionOpened()
        logger.info("connect from [\(clientAddress)]")
        if let reputation = environment.clientChecks?.reputation { checkReputation(reputation, context: context) }
        if let delay = environment.clientChecks?.pregreet, delay > .zero {
            delayGreeting(by: delay, context: context)
        } else {
            greet(context: context)
        }
        armTimeout(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        environment.sessions.remove(context.channel)
        closing = true
        timeout?.cancel()
        greetingTask?.cancel()
        dropAssembler()
        logger.info("disconnect from [\(clientAddress)] tls=\(tlsVersion ?? "none")")
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if machine.isClosed || closing { return }
        if !greeted {
            refuseTalkingFirst(context: context)
            return
        }
        let count = bytes.readableBytes
        if inbound == nil { inbound = bytes } else { inbound!.writeBuffer(&bytes) }
        if let deadline = deadlines.received(count, at: LoopInstant(context.eventLoop.now)) {
            schedule(at: deadline, context: context)
        }
        process(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        resumeReading(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if mayRead(context: context) {
            context.read()
        } else {
            readPending = true
        }
    }

    /// The client read some replies: what it sent meanwhile is processed, then read resumes.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, !processing, !closing {
            process(context: context)
            flush(context: context)
            resumeReading(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ShutdownRequested {
            shutdownRequested = true
            if !machine.isReceivingMessage { closeForShutdown(context: context) }
            return
        }
        if case TLSUserEvent.handshakeCompleted = event {
            let version = try? context.pipeline.syncOperations.nioSSL_tlsVersion()
            tlsVersion = version.map { Self.name(of: $0) } ?? "unknown"
            logger.info("TLS established from [\(clientAddress)]: \(tlsVersion ?? "unknown")")
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.info("lost connection: \(error)")
        context.close(promise: nil)
    }

    // MARK: - Input

    func process(context: ChannelHandlerContext) {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        // Ask the framer even when no input is left: a BDAT chunk that ended exactly at the end
        // of the input still owes its chunkEnd, and its reply must not wait for more bytes.
        while !awaitingAnswer, !reputationPending, greeted, !machine.isClosed, !closing {
            // Replies go out as they accumulate, so that a client that does not read them turns
            // the channel unwritable (also through TLS, which holds what is not flushed); then
            // the rest of the input waits.
            if unflushedOutput >= Self.flushThreshold { flush(context: context) }
            guard context.channel.isWritable else { break }
            var buffer = inbound ?? ByteBuffer()
            inbound = nil
            let event = framer.next(&buffer)
            inbound = buffer.readableBytes > 0 ? buffer : nil
            if isRunaway {
                cutOffRunawayMessage(context: context)
                break
            }
            guard let event else {
                if var rest = inbound { rest.discardReadBytes(); inbound = rest }
                break
            }
            handle(event, context: context)
            // Each command, and each end of a message or chunk, starts the wait for the next.
            if case .content = event {} else { armTimeout(context: context) }
        }
    }

    private func handle(_ event: InboundEvent, context: ChannelHandlerContext) {
        switch event {
        case .command(let line):
            switch CommandParser.parse(line) {
            case .success(.data) where inbound != nil:
                logger.notice("synchronization error: \(inbound?.readableBytes ?? 0) bytes sent after DATA before its reply")
                perform(machine.pipelinedAfterData(), context: context)
            case .success(let command):
                if let refusal = clientRefusal(before: command) {
                    let recipient = if case .rcpt = command { true } else { false }
                    refuse(refusal, recipient: recipient, context: context)
                } else if let greylist = greylistCheck(for: command) {
                    checkGreylist(command, with: greylist, context: context)
                } else {
                    switch command {
                    case .ehlo, .helo: machine.offer(environment.primaryLimits())
                    default: break
                    }
                    perform(machine.receive(command, primaryTakesMail: environment.primaryTakesMail()), context: context)
                }
            case .failure(let reply): perform(machine.refuse(reply), context: context)
            }
        case .commandTooLong:
            perform(machine.refuse(Replies.lineTooLong), context: context)
        case .commandBadLineEnding:
            perform(machine.refuse(Replies.bareLineEnding), context: context)
        case .content(let content):
            assembler?.append(content)
        case .dataEnd(let violation):
            perform(machine.messageComplete(received(violation)), context: context)
        case .chunkEnd(let violation):
            perform(machine.chunkComplete(received(violation)), context: context)
        }
    }

    private func received(_ violation: ContentViolation?) -> ReceivedContent {
        ReceivedContent(violation: violation, size: assembler?.size ?? 0,
                        receivedFields: assembler?.headers.receivedCount ?? 0)
    }

    /// DATA past twice the size limit: not a message a little too big, which is read to its
    /// end and refused so that the session stays in step, but a sender that never ends. Our
    /// own limit, not a primary's smaller one: a message too big for it is only refused.
    private var isRunaway: Bool {
        let limit = environment.settings.maxMessageSize
        return framer.dataOctets - limit > limit
    }

    private func cutOffRunawayMessage(context: ChannelHandlerContext) {
        logger.notice("message without end cut off after \(framer.dataOctets) bytes")
        inbound = nil
        dropAssembler()
        perform(machine.messageCutOff(), context: context)
    }

    // MARK: - Actions

    func perform(_ actions: [SessionStateMachine.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .reply(let reply):
                send(reply, context: context)
                if reply == Replies.unknownUser { unknownRecipientRefused() }
            case .replyAndClose(let reply):
                send(reply, context: context)
                close(context: context)
            case .close:
                close(context: context)
            case .beginData:
                framer.beginData()
                startAssembler(context: context)
            case let .beginChunk(size, first, last, discard):
                framer.beginChunk(size: size, first: first, last: last)
                if discard { dropAssembler() } else if first { startAssembler(context: context) }
            case .startTLS(let reply):
                startTLS(reply, context: context)
            case .commit(let transaction):
                commit(transaction, context: context)
            case .discardContent:
                dropAssembler()
            case .verifyRecipient(let address):
                verify(address, context: context)
            }
        }
        // RSET, EHLO, HELO, STARTTLS, a refusal or the end of the session abandon the
        // transaction: its content goes with it, spilled file included.
        if machine.transaction == nil || closing { dropAssembler() }
        if shutdownRequested, !machine.isReceivingMessage, !machine.isClosed { closeForShutdown(context: context) }
    }

    func send(_ reply: SMTPReply, context: ChannelHandlerContext) {
        guard !closing else { return }
        if !reply.isPositive { logger.debug("reply: \(reply)") }
        if !sendingClientRefusal { ListenerMetrics.replied(reply) }
        let buffer = context.channel.allocator.buffer(string: reply.wireFormat)
        let count = buffer.readableBytes
        pendingOutput += count
        unflushedOutput += count
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in self.pendingOutput -= count }
        context.write(wrapOutboundOut(buffer), promise: written)
        if pendingOutput > environment.settings.maxPendingOutput, !closing {
            logger.notice("closing: \(pendingOutput) bytes of replies not taken by the client")
            closing = true
            timeout?.cancel()
            context.close(promise: nil)
        }
    }

    /// Bytes of replies after which they are flushed without waiting for the end of the input.
    static let flushThreshold = 4096

    func flush(context: ChannelHandlerContext) {
        unflushedOutput = 0
        context.flush()
    }

    /// Closes once the last reply is written, so a slow reader still gets it; but at once if
    /// the client is not reading (the reply would never go out), and after `closeLinger` if
    /// the reply has not gone out by then.
    func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        timeout?.cancel()
        guard context.channel.isWritable else {
            context.close(promise: nil)
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let linger = context.eventLoop.scheduleTask(in: TimeAmount(environment.settings.closeLinger)) {
            loopBound.value.close(promise: nil)
        }
        unflushedOutput = 0
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
            .assumeIsolated().whenComplete { _ in
                linger.cancel()
                context.close(promise: nil)
            }
    }

    private func closeForShutdown(context: ChannelHandlerContext) {
        guard !machine.isClosed, !awaitingAnswer, !closing else { return }
        send(Replies.shuttingDown, context: context)
        close(context: context)
    }

    private func startAssembler(context: ChannelHandlerContext) {
        dropAssembler()
        let assembler = MessageAssembler(maxSize: machine.messageSizeLimit,
                                         memoryLimit: environment.settings.memoryBodyLimit,
                                         incomingDirectory: environment.incomingDirectory,
                                         threadPool: environment.threadPool, eventLoop: context.eventLoop,
                                         operations: environment.spillFileOperations)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        assembler.onDrained = { [weak self] in self?.resumeReading(context: loopBound.value) }
        self.assembler = assembler
        // Only a transaction with accepted recipients costs SPF lookups; they overlap the transfer.
        if let authenticator = environment.authenticator, let transaction = machine.transaction {
            senderCheck = authenticator.begin(clientAddress: clientAddress, helo: machine.clientHelo ?? "",
                                              mailFrom: transaction.sender.address, now: Int(Date().timeIntervalSince1970))
        }
    }

    private func dropAssembler() {
        assembler?.discard()
        assembler = nil
        senderCheck?.cancel()
        senderCheck = nil
    }

    /// Input is read only while it can be processed at once: not while an answer is awaited,
    /// a body's writes are behind, or the client is not reading its replies.
    private func mayRead(context: ChannelHandlerContext) -> Bool {
        // Before the greeting input is read, to catch a client that talks first.
        !awaitingAnswer && (!reputationPending || !greeted) && assembler?.needsBackpressure != true
            && context.channel.isWritable && !closing
    }

    func resumeReading(context: ChannelHandlerContext) {
        guard readPending, mayRead(context: context) else { return }
        readPending = false
        context.read()
    }

    // MARK: - Timeouts

    /// Starts the wait for the next command, or for the content that follows DATA or BDAT.
    func armTimeout(context: ChannelHandlerContext) {
        let wait: SessionDeadlines<LoopInstant>.Wait =
            framer.isReadingCommands ? .command : .content(received: assembler?.size ?? 0)
        schedule(at: deadlines.wait(for: wait, at: LoopInstant(context.eventLoop.now)), context: context)
    }

    private func schedule(at deadline: LoopInstant, context: ChannelHandlerContext) {
        timeout?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(deadline: deadline.deadline) {
            let (handler, context) = loopBound.value
            guard !handler.awaitingAnswer, !handler.machine.isClosed, !handler.closing,
                  let expiry = handler.deadlines.expiry(at: LoopInstant(context.eventLoop.now)) else { return }
            handler.logger.info("timeout \(expiry.waitingFor)")
            handler.send(expiry.reply, context: context)
            handler.close(context: context)
        }
    }

    // MARK: - STARTTLS

    /// The reply goes out in plaintext; everything the client sent after STARTTLS in the same
    /// stream is thrown away, never executed (CVE-2011-0411).
    private func startTLS(_ reply: SMTPReply, context: ChannelHandlerContext) {
        guard let tls = environment.current.tls else {
            perform(machine.refuse(Replies.tlsNotAvailable), context: context)
            return
        }
        send(reply, context: context)
        flush(context: context)
        if let dropped = inbound?.readableBytes, dropped > 0 {
            logger.notice("discarded \(dropped) bytes pipelined after STARTTLS")
        }
        inbound = nil
        framer = InboundFramer(maxCommandLength: environment.settings.maxCommandLength,
                               maxTextLineLength: environment.settings.maxLineLength)
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
        } catch {
            logger.error("TLS setup failed: \(error)")
            close(context: context)
            return
        }
        machine.tlsEstablished()
    }

    private static func name(of version: TLSVersion) -> String {
        switch version {
        case .tlsv1: "TLSv1"
        case .tlsv11: "TLSv1.1"
        case .tlsv12: "TLSv1.2"
        case .tlsv13: "TLSv1.3"
        }
    }
}
