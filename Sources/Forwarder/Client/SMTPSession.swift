import Logging
import NIOCore
import SMTPProtocol
import SpoolContract

/// Reads a message's stored bytes: `read(offset, maxLength)` returns up to `maxLength` octets
/// from `offset`, an empty array at the end (`DeliveryLedger.readContent`'s shape).
public typealias ContentReader = @Sendable (_ offset: Int, _ maxLength: Int) async throws -> [UInt8]

/// The result of sending one message over a session.
public struct MessageDelivery: Hashable, Sendable {
    /// One entry per pending recipient of the job, in the job's order.
    public var outcomes: [RecipientOutcome]
    /// Set when the session broke during this message; it cannot carry another one.
    public var connectionFailure: ConnectionFailure?
    /// True when the attempt got as far as judging the message (the primary answered MAIL, or
    /// the message cannot go to this primary at all): it counts toward the message's retries.
    public var reachedMessage: Bool
    /// The server took the message without offering the DSN extension, so NOTIFY went no
    /// further: Backstop reports "relayed" to who asked for success (RFC 3461 §5.2.2).
    public var passedWithoutDSN = false
}

/// An open, greeted connection to one primary host; carries messages one after another.
///
/// Use it from one task at a time: SMTP is a single dialogue.
public final class SMTPSession {
    public let host: PrimaryHost
    public let greeting: SMTPReply
    public let capabilities: EHLOCapabilities
    public let isSecure: Bool
    /// Set once the connection failed; every later message is deferred with it.
    public internal(set) var failure: ConnectionFailure?

    /// Octets read from the spool and written per DATA chunk.
    static let chunkSize = 64 * 1024

    let connection: SMTPConnection
    let timeouts: SMTPTimeouts
    private let logger: Logger
    /// A transaction was started and not completed: RSET before the next MAIL.
    private var needsReset = false

    init(connection: SMTPConnection, host: PrimaryHost, greeting: SMTPReply, capabilities: EHLOCapabilities,
         isSecure: Bool, timeouts: SMTPTimeouts, logger: Logger) {
        self.connection = connection
        self.host = host
        self.greeting = greeting
        self.capabilities = capabilities
        self.isSecure = isSecure
        self.timeouts = timeouts
        self.logger = logger
    }

    /// Sends `job` to its pending recipients and reports what the primary said for each.
    /// Never throws: every failure becomes a per-recipient outcome.
    public func deliver(_ job: DeliveryJob, content: ContentReader) async -> MessageDelivery {
        let recipients = job.pendingRecipients
        func all(_ problem: DeliveryProblem, reached: Bool) -> MessageDelivery {
            let disposition = RecipientDisposition(problem, remoteHost: host.description)
            return MessageDelivery(outcomes: recipients.map { RecipientOutcome(address: $0.address, disposition: disposition) },
                            connectionFailure: failure, reachedMessage: reached)
        }
        guard !recipients.isEmpty else { return MessageDelivery(outcomes: [], connectionFailure: failure, reachedMessage: false) }
        if let failure { return all(.connection(failure), reached: false) }
        if job.smtpUTF8, !capabilities.smtpUTF8 { return all(.needsSMTPUTF8, reached: true) }
        if let limit = capabilities.sizeLimit, limit > 0, job.size > limit {
            return all(.tooLarge(size: job.size, limit: limit), reached: true)
        }

        var transaction = Transaction(recipients: recipients, remoteHost: host.description)
        do {
            try await run(job, content: content, transaction: &transaction)
        } catch {
            failure = error
            logger.info("connection to the primary failed", metadata: ["host": "\(host)", "queue-id": "\(job.queueID)", "reason": "\(error)"])
        }
        if let step = transaction.closingStep, failure == nil {
            failure = .closed(step)
            await connection.close()
        }
        return MessageDelivery(
            outcomes: recipients.indices.map { index in
                RecipientOutcome(
                    address: recipients[index].address,
                    disposition: transaction.outcomes[index]
                        ?? RecipientDisposition(transaction.spoolProblem.map(DeliveryProblem.local) ?? .connection(failure ?? .closed(.dataEnd)),
                                                remoteHost: host.description))
            },
            connectionFailure: failure, reachedMessage: transaction.mailReply != nil, passedWithoutDSN: !capabilities.dsn)
    }

    /// Ends the session politely; the connection is closed whatever the primary answers.
    public func quit() async {
        if failure == nil {
            connection.send("QUIT")
            _ = try? await connection.readReply(.quit, timeout: timeouts.quit)
            failure = .closed(.quit)
        }
        await connection.close()
    }

    private struct Transaction {
        let recipients: [StoredRecipient]
        /// The host's `host:port`, for each diagnosis's Remote-MTA.
        let remoteHost: String
        var outcomes: [RecipientDisposition?]
        var mailReply: SMTPReply?
        /// The step answered 421: the primary is closing this connection (RFC 5321 §3.8).
        var closingStep: SMTPStep?
        /// The spool failed to supply the content mid-DATA; not the primary's fault.
        var spoolProblem: String?

        init(recipients: [StoredRecipient], remoteHost: String) {
            self.recipients = recipients
            self.remoteHost = remoteHost
            self.outcomes = Array(repeating: nil, count: recipients.count)
        }

        func rejected(_ reply: SMTPReply, at step: SMTPStep) -> RecipientDisposition {
            RecipientDisposition(.rejected(reply, at: step), remoteHost: remoteHost)
        }

        mutating func note(_ reply: SMTPReply, at step: SMTPStep) {
            if reply.code == 421, closingStep == nil { closingStep = step }
        }

        /// Sets every recipient still without an outcome.
        mutating func settleRemaining(_ outcome: RecipientDisposition, only accepted: [Int]? = nil) {
            for index in accepted ?? Array(outcomes.indices) where outcomes[index] == nil {
                outcomes[index] = outcome
            }
        }
    }

    private func run(_ job: DeliveryJob, content: ContentReader, transaction: inout Transaction) async throws(ConnectionFailure) {
        if needsReset {
            connection.send("RSET")
            let reply = try await connection.readReply(.rset, timeout: timeouts.rset)
            guard reply.code / 100 == 2 else { throw .protocolViolation("the primary refused RSET: \(reply)") }
        }
        needsReset = true
        let mail = MailCommand.mail(job, capabilities: capabilities)
        let rcpts = transaction.recipients.map { MailCommand.rcpt($0, capabilities: capabilities) }

        let mailReply: SMTPReply
        var rcptReplies: [SMTPReply] = []
        var dataReply: SMTPReply?
        if capabilities.pipelining {
            // RFC 2920 §3.1: MAIL, every RCPT and DATA go as one group; replies come in order.
            connection.send(group: [mail] + rcpts + ["DATA"])
            let replies = try await connection.readReplies(
                [(.mail, timeouts.mail)] + rcpts.map { _ in (.rcpt, timeouts.rcpt) } + [(.data, timeouts.dataInitiation)])
            mailReply = replies[0]
            rcptReplies = Array(replies[1..<replies.count - 1])
            dataReply = replies[replies.count - 1]
        } else {
            connection.send(mail)
            mailReply = try await connection.readReply(.mail, timeout: timeouts.mail)
            if mailReply.code / 100 == 2 {
                for rcpt in rcpts {
                    connection.send(rcpt)
                    rcptReplies.append(try await connection.readReply(.rcpt, timeout: timeouts.rcpt))
                }
                if rcptReplies.contains(where: { $0.code / 100 == 2 }) {
                    connection.send("DATA")
                    dataReply = try await connection.readReply(.data, timeout: timeouts.dataInitiation)
                }
            }
        }
        transaction.mailReply = mailReply
        transaction.note(mailReply, at: .mail)
        rcptReplies.forEach { transaction.note($0, at: .rcpt) }
        if let dataReply { transaction.note(dataReply, at: .data) }

        guard mailReply.code / 100 == 2 else {
            transaction.settleRemaining(transaction.rejected(mailReply, at: .mail))
            try await abandonData(dataReply)
            return
        }
        var accepted: [Int] = []
        for (index, reply) in rcptReplies.enumerated() {
            if reply.code / 100 == 2 {
                accepted.append(index)
            } else {
                transaction.outcomes[index] = transaction.rejected(reply, at: .rcpt)
            }
        }
        guard !accepted.isEmpty else {
            try await abandonData(dataReply)
            return
        }
        guard let dataReply, dataReply.code == 354 else {
            if let dataReply { transaction.settleRemaining(transaction.rejected(dataReply, at: .data)) }
            return
        }
        let final = try await sendContent(of: job, content: content, transaction: &transaction)
        transaction.note(final, at: .dataEnd)
        needsReset = false
        let outcome = final.code / 100 == 2 ? RecipientDisposition.delivered(final) : transaction.rejected(final, at: .dataEnd)
        transaction.settleRemaining(outcome, only: accepted)
    }

    /// Pipelined DATA went out although the transaction failed. A server that still said 354
    /// gets an empty message, ended at once; the next MAIL starts with RSET anyway.
    private func abandonData(_ dataReply: SMTPReply?) async throws(ConnectionFailure) {
        guard dataReply?.code == 354 else { return }
        connection.send(".")
        _ = try await connection.readReply(.dataEnd, timeout: timeouts.dataTermination)
    }

    /// Sends the content and the final dot; returns the reply to them.
    private func sendContent(of job: DeliveryJob, content: ContentReader,
                             transaction: inout Transaction) async throws(ConnectionFailure) -> SMTPReply {
        var stuffer = DotStuffer()
        var offset = 0
        while true {
            let chunk: [UInt8]
            do {
                chunk = try await content(offset, Self.chunkSize)
            } catch {
                // Closing without the final dot makes the primary discard the partial message.
                logger.error("cannot read the message from the spool", metadata: ["queue-id": "\(job.queueID)", "error": "\(error)"])
                transaction.spoolProblem = "reading the message from the spool failed: \(error)"
                await connection.close()
                throw .closed(.dataBlock)
            }
            var buffer = connection.channel.allocator.buffer(capacity: chunk.count + chunk.count / 64 + 5)
            if chunk.isEmpty {
                stuffer.finish(into: &buffer)
                return try await finishData(buffer)
            }
            stuffer.stuff(chunk, into: &buffer)
            offset += chunk.count
            // A short chunk is the last one (`DeliveryLedger.readContent`): the end of data goes
            // in the same write, saving a spool read and a write per message that fits a chunk.
            if chunk.count < Self.chunkSize {
                stuffer.finish(into: &buffer)
                return try await finishData(buffer)
            }
            try await connection.write(buffer, expectingReply: false, step: .dataBlock, timeout: timeouts.dataBlock)
        }
    }

    /// The last write, ending in the final dot, and the reply to it: one trip to the event loop.
    private func finishData(_ buffer: ByteBuffer) async throws(ConnectionFailure) -> SMTPReply {
        try await connection.finishData(buffer, step: .dataBlock, timeout: timeouts.dataBlock,
                                        replyStep: .dataEnd, replyTimeout: timeouts.dataTermination)
    }
}
