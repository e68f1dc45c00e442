import NIOCore
import SMTPProtocol
import Spool
import SpoolContract
#if canImport(Glibc)
import Glibc
#endif

// The answers a session waits for: the spool's commit and a recipient's verdict.
extension SMTPServerHandler {
    func commit(_ transaction: MailTransaction, context: ChannelHandlerContext) {
        guard let assembler else {
            perform(machine.committed(Replies.spoolError), context: context)
            return
        }
        self.assembler = nil
        awaitingAnswer = true
        let queueID = QueueID.generate()
        let envelope = transaction.envelope(queueID: queueID, clientAddress: clientAddress,
                                            clientHelo: machine.clientHelo ?? "", messageID: assembler.headers.messageID)
        let header = ReceivedHeader.make(
            clientHelo: machine.clientHelo ?? "unknown", clientAddress: clientAddress,
            hostname: environment.settings.hostname, queueID: queueID.rawValue, esmtp: machine.esmtp,
            tls: machine.tlsActive, smtpUTF8: transaction.parameters.smtpUTF8,
            recipients: transaction.recipients.map(\.mailbox.text), at: Int(envelope.receivedAt.timeIntervalSince1970))
        let spool = environment.spool
        let operations = environment.spillFileOperations
        let threadPool = environment.threadPool
        let size = assembler.size
        let eventLoop = context.eventLoop
        let stored = assembler.finish().flatMap { body in
            let promise = eventLoop.makePromise(of: StoredReceipt.self)
            promise.completeWithTask {
                let started = ContinuousClock.now
                defer { ListenerMetrics.commitTook(ContinuousClock.now - started) }
                return try await spool.store(IncomingMessage(envelope: envelope, receivedHeader: header, body: body))
            }
            return promise.futureResult.flatMapError { error in
                guard case .file(let path) = body else { return eventLoop.makeFailedFuture(error) }
                return removeBodyFile(path, operations: operations, threadPool: threadPool, eventLoop: eventLoop)
                    .flatMapThrowing { throw error }
            }
        }
        stored.assumeIsolated().whenComplete { result in
            self.awaitingAnswer = false
            let reply: SMTPReply
            switch result {
            case .success(let receipt):
                self.logger.info("\(receipt.queueID): from=<\(envelope.sender)>, size=\(size), nrcpt=\(envelope.recipients.count)")
                reply = Replies.queued(receipt.queueID.rawValue)
                ListenerMetrics.messageAccepted()
                if !receipt.isDuplicate { self.environment.messageStored() }
            case .failure(let error):
                self.logger.error("message refused with a tempfail, spool error: \(error)")
                reply = Self.reply(for: error)
            }
            self.perform(self.machine.committed(reply), context: context)
            self.resumeAfterAnswer(context: context)
        }
    }

    /// Asks the verifier while the session waits, as it does for a commit: a pipelining
    /// client's later commands are answered only after this RCPT.
    func verify(_ address: String, context: ChannelHandlerContext) {
        guard let verifier = environment.recipientVerifier else {
            perform(machine.recipientVerified(.accept), context: context)
            return
        }
        awaitingAnswer = true
        let promise = context.eventLoop.makePromise(of: RecipientVerdict.self)
        let client = clientAddress
        promise.completeWithTask { await verifier.verify(address, client: client) }
        promise.futureResult.assumeIsolated().whenSuccess { verdict in
            self.awaitingAnswer = false
            self.perform(self.machine.recipientVerified(verdict), context: context)
            self.resumeAfterAnswer(context: context)
        }
    }

    /// After a commit or a verdict: input kept meanwhile is processed, then every reply goes
    /// out. Flushing last matters: a pipelining client waits for the replies to commands it
    /// sent long ago, and no further read will come to flush them.
    func resumeAfterAnswer(context: ChannelHandlerContext) {
        process(context: context)
        flush(context: context)
        if !closing { armTimeout(context: context) }
        resumeReading(context: context)
    }

    /// Any doubt about durability is a tempfail: the sender keeps the message and retries.
    static func reply(for error: any Error) -> SMTPReply {
        if let spoolError = error as? SpoolError, case .diskFull = spoolError { return Replies.spoolFull }
        if let ioError = error as? IOError, ioError.errnoCode == ENOSPC { return Replies.spoolFull }
        return Replies.spoolError
    }
}
