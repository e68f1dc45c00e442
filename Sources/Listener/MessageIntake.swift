import Foundation
import Logging
import SMTPProtocol
import Spool
import SpoolContract

/// Takes a finished transaction into the spool and says what the client hears: builds the
/// envelope and the `Received:` field, stores through the `MessageStore`, and turns any doubt
/// about durability into a tempfail, so the sender keeps the message and retries.
///
/// It knows nothing of channels: the handler hands it the body once the last byte is written.
struct MessageIntake: Sendable {
    /// The sending client as the session knows it, for the envelope and the `Received:` field.
    struct Client: Sendable, Equatable {
        var address: String
        var helo: String?
        var esmtp: Bool
        var tls: Bool
    }

    let store: any MessageStore
    let hostname: String
    let logger: Logger
    /// Told after a message is stored that was not stored before (a duplicate wakes nothing).
    let messageStored: @Sendable () -> Void
    /// Removes a body file the store did not take. It blocks: the caller runs it off the loop.
    let discardBodyFile: @Sendable (String) async -> Void
    /// SPF, DKIM, DMARC and ARC for each message (`[auth]`); nil checks nothing.
    let authenticator: MessageAuthenticator?
    /// Journal copies for the inbox (`[inbox] journal_address`); nil takes none.
    let journal: JournalIntake?
    /// The session's relay rules: a journal copy's recipients must pass them as RCPT would.
    let policy: RelayPolicy
    let maxRecipients: Int
    /// The content filter each message is shown to after authentication (`[filter]`); nil: none.
    var contentFilter: ContentFiltering? = nil

    /// The reply for the client, and the policy refusal it carries, if any, for the refusal counts.
    struct Answer: Sendable {
        var reply: SMTPReply
        var refusal: ClientRefusal?
    }

    /// Stores one message; returns the reply for the end of DATA or of the last BDAT chunk.
    /// `size`: bytes of the body, for the log; `body`: waits for the body, or throws if
    /// writing it failed. `senderCheck`: the SPF checks started at MAIL FROM, if any.
    func accept(_ transaction: MailTransaction, from client: Client, messageID: String?, size: Int,
                queueID: QueueID, at receivedAt: Date, senderCheck: MessageAuthenticator.SenderCheck?,
                body: @Sendable () async throws -> MessageBody) async -> Answer {
        var envelope = transaction.envelope(queueID: queueID, clientAddress: client.address,
                                            clientHelo: client.helo ?? "", messageID: messageID, receivedAt: receivedAt)
        var header = ReceivedHeader.make(
            clientHelo: client.helo ?? "unknown", clientAddress: client.address, hostname: hostname,
            queueID: queueID.rawValue, esmtp: client.esmtp, tls: client.tls,
            smtpUTF8: transaction.parameters.smtpUTF8, recipients: transaction.recipients.map(\.mailbox.text),
            at: Int(receivedAt.timeIntervalSince1970))
        let receipt: StoredReceipt
        let journalCopy = journal.flatMap { $0.takes(transaction) ? $0 : nil }
        var journalCopyUntil: Date?
        do {
            var content = try await body()
            if journalCopy != nil, authenticator == nil {
                await discard(content)
                return Answer(reply: Replies.journalNotProven)
            }
            if let authenticator {
                let check = senderCheck ?? authenticator.begin(clientAddress: client.address, helo: client.helo ?? "",
                                                                 mailFrom: transaction.sender.address, now: Int(receivedAt.timeIntervalSince1970))
                let outcome: AuthenticationOutcome
                do {
                    outcome = try await authenticator.finish(check, message: content, now: Int(receivedAt.timeIntervalSince1970))
                    if case .refuse(let reply) = outcome.verdict {
                        logger.notice("message from=<\(envelope.sender)> refused: \(reply.lines.joined(separator: " "))")
                        await discard(content)
                        return Answer(reply: reply)
                    }
                    if journalCopy != nil, !authenticator.provesOwnDomain(outcome) {
                        logger.notice("journal copy from=<\(envelope.sender)> refused: no SPF or DKIM pass for a relay domain")
                        await discard(content)
                        return Answer(reply: Replies.journalNotProven)
                    }
                    content = try ForgedResultsRemoval.remove(outcome.forgedResults, from: content)
                } catch {
                    await discard(content)
                    throw error
                }
                // Our Received: first, then what we found about the message.
                header += outcome.traceFields
            }
            if let journalCopy {
                let recipients = try journalRecipients(of: content, limit: journalCopy.openingLimit)
                // A copy that names none of our recipients is kept for its own address, seen by nobody.
                if !recipients.isEmpty { envelope.recipients = recipients }
                let (seconds, attoseconds) = journalCopy.retention.components
                journalCopyUntil = receivedAt.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
            }
            if let contentFilter {
                let request = FilterRequest(clientAddress: client.address, helo: client.helo ?? "", sender: transaction.sender.address,
                                            recipients: envelope.recipients.map(\.address), queueID: queueID.rawValue,
                                            traceFields: header, content: content)
                switch await filter(request, with: contentFilter) {
                case .refuse(let refusal):
                    await discard(content)
                    return Answer(reply: refusal.reply, refusal: refusal)
                case .accept(let fields):
                    header += fields
                }
            }
            var message = IncomingMessage(envelope: envelope, receivedHeader: header, body: content)
            message.journalCopyUntil = journalCopyUntil
            receipt = try await store(message)
        } catch {
            logger.error("message refused with a tempfail, spool error: \(error)")
            return Answer(reply: Self.reply(for: error))
        }
        let journalNote = journalCopyUntil == nil ? "" : ", journal copy for the inbox only"
        logger.info("\(receipt.queueID): from=<\(envelope.sender)>, size=\(size), nrcpt=\(envelope.recipients.count)\(journalNote)")
        ListenerMetrics.messageAccepted()
        if !receipt.isDuplicate { messageStored() }
        return Answer(reply: Replies.queued(receipt.queueID.rawValue))
    }

    /// Asks the filter; no answer is logged and decided by `[filter] on_error`.
    private func filter(_ request: FilterRequest, with filtering: ContentFiltering) async -> ContentFiltering.Decision {
        do {
            let answer = try await filtering.filter.check(request)
            logger.info("\(request.queueID): content filter: action=\(answer.action.rawValue), score=\(ContentFiltering.format(answer.score))")
            return ContentFiltering.decision(for: answer)
        } catch {
            logger.error("\(request.queueID): content filter gave no answer (on_error=\(filtering.onError.rawValue)): \(error)")
            return filtering.decision(forFailure: "\(error)")
        }
    }

    /// The recipients a journal copy names that the relay rules accept, each once, at most
    /// `maxRecipients` of them.
    private func journalRecipients(of content: MessageBody, limit: Int) throws -> [EnvelopeRecipient] {
        var seen: Set<[UInt8]> = []
        var recipients: [EnvelopeRecipient] = []
        for candidate in JournalRecipients.addresses(in: try JournalRecipients.opening(of: content, limit: limit)) {
            guard recipients.count < maxRecipients,
                  let mailbox = try? PathParser.parseMailbox(candidate[...], allowUTF8: true) else { continue }
            if case .refuse = policy.decision(mailbox) { continue }
            if seen.insert(Array(mailbox.normalized.utf8)).inserted { recipients.append(EnvelopeRecipient(address: mailbox.text)) }
        }
        return recipients
    }

    private func discard(_ content: MessageBody) async {
        if case .file(let path) = content { await discardBodyFile(path) }
    }

    /// A body file is the store's once it is committed; after a failure it is left to us.
    private func store(_ message: IncomingMessage) async throws -> StoredReceipt {
        let started = ContinuousClock.now
        defer { ListenerMetrics.commitTook(ContinuousClock.now - started) }
        do {
            return try await store.store(message)
        } catch {
            if case .file(let path) = message.body { await discardBodyFile(path) }
            throw error
        }
    }

    /// Disk full is `452 4.3.1`; every other failure `451 4.3.0`.
    static func reply(for error: any Error) -> SMTPReply {
        if let error = error as? any DiskFullReporting, error.isDiskFull { return Replies.spoolFull }
        return Replies.spoolError
    }
}

/// An error that can tell a full disk from other failures.
protocol DiskFullReporting: Error {
    var isDiskFull: Bool { get }
}

extension SpoolError: DiskFullReporting {
    var isDiskFull: Bool {
        if case .diskFull = self { return true }
        return false
    }
}
