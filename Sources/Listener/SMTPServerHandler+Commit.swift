import Foundation
import NIOCore
import SMTPProtocol
import Spool
import SpoolContract

// The answers a session waits for: the spool's commit and a recipient's verdict.
extension SMTPServerHandler {
    /// Hands the message to the intake once its last byte is written; the reply comes from
    /// the intake, after the store committed or failed.
    func commit(_ transaction: MailTransaction, context: ChannelHandlerContext) {
        guard let assembler else {
            perform(machine.committed(Replies.spoolError), context: context)
            return
        }
        self.assembler = nil
        let senderCheck = self.senderCheck
        self.senderCheck = nil
        awaitingAnswer = true
        let client = MessageIntake.Client(address: clientAddress, helo: machine.clientHelo, esmtp: machine.esmtp,
                                          tls: machine.tlsActive)
        let intake = self.intake
        let messageID = assembler.headers.messageID
        let size = assembler.size
        let queueID = QueueID.generate()
        let receivedAt = Date()
        let body = assembler.finish()
        let promise = context.eventLoop.makePromise(of: MessageIntake.Answer.self)
        promise.completeWithTask {
            await intake.accept(transaction, from: client, messageID: messageID, size: size, queueID: queueID,
                                at: receivedAt, senderCheck: senderCheck, body: { try await body.get() })
        }
        promise.futureResult.assumeIsolated().whenSuccess { answer in
            self.awaitingAnswer = false
            if let refusal = answer.refusal {
                // Counted by its own reason, not by its status code.
                self.record(refusal)
                self.sendingClientRefusal = true
            }
            self.perform(self.machine.committed(answer.reply), context: context)
            self.sendingClientRefusal = false
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
}
