/// The SMTP server session as a value-type state machine: commands in, actions out.
///
/// It checks each command against the session state and the relay policy, then says what to
/// do; the channel handler only carries actions out. No I/O here, so every rule is testable
/// without sockets.
public struct SessionStateMachine: Sendable {
    public enum Action: Equatable, Sendable {
        case reply(SMTPReply)
        /// Reply, then close the connection.
        case replyAndClose(SMTPReply)
        /// Close without a word (cross-protocol attacks).
        case close
        /// Switch the framer to DATA content.
        case beginData
        /// Switch the framer to read `size` octets of BDAT content. `discard`: read and drop.
        case beginChunk(size: Int, first: Bool, last: Bool, discard: Bool)
        /// Send this reply, then start the TLS handshake; input already buffered is dropped.
        case startTLS(SMTPReply)
        /// The message is complete and clean: commit it to the spool, then call `committed`.
        case commit(MailTransaction)
        /// Drop the content collected so far: a chunk was refused, and the transaction with it.
        case discardContent
        /// Ask the `RecipientVerifier` about this address (as written at RCPT), then call
        /// `recipientVerified`. No further command may be fed until then.
        case verifyRecipient(String)
    }

    enum Phase: Equatable, Sendable {
        case awaitingHello
        case ready
        case inTransaction
        case receivingData
        case receivingChunk(discard: Bool, last: Bool)
        /// A BDAT chunk was refused: further chunks are read and refused until RSET.
        case chunkingFailed
        case committing
        /// Waiting for the verdict on a recipient (`.verifyRecipient`).
        case verifyingRecipient
        case closed
    }

    public let settings: SessionSettings
    public let policy: RelayPolicy
    public let tlsAvailable: Bool
    public private(set) var tlsActive = false
    public private(set) var clientHelo: String?
    public private(set) var esmtp = false
    public private(set) var transaction: MailTransaction?
    public private(set) var errorCount = 0
    private(set) var phase: Phase = .awaitingHello
    /// What the last EHLO advertised, and so what this session enforces.
    public private(set) var offered: OfferedExtensions
    /// What the next EHLO or HELO will advertise (`offer`).
    private var upcoming: OfferedExtensions?

    public init(settings: SessionSettings, policy: RelayPolicy, tlsAvailable: Bool) {
        self.settings = settings
        self.policy = policy
        self.tlsAvailable = tlsAvailable
        self.offered = .own(settings)
    }

    /// The largest message this session accepts: its settings' limit, or less when the
    /// primaries take less.
    public var messageSizeLimit: Int { min(settings.maxMessageSize, offered.maxMessageSize) }

    /// What the primaries can take now; nil when nothing is known (Backstop's own limits). It
    /// takes effect at the next EHLO or HELO, so a session enforces what it advertised.
    public mutating func offer(_ extensions: OfferedExtensions?) {
        upcoming = extensions ?? .own(settings)
    }

    public var isClosed: Bool { phase == .closed }
    /// True while message content is arriving: a shutdown lets such sessions finish.
    public var isReceivingMessage: Bool {
        switch phase {
        case .receivingData, .receivingChunk, .committing: return true
        default: return transaction?.usesChunking == true
        }
    }

    // MARK: - Commands

    /// `primaryTakesMail` is asked at MAIL only: true while every primary host is up and
    /// `accept_when = "primary-down"`, when new mail is sent back to the primary with a
    /// tempfail, not refused as an error of the client.
    public mutating func receive(_ command: SMTPCommand, primaryTakesMail: @autoclosure () -> Bool) -> [Action] {
        switch command {
        case .ehlo(let name): return hello(name, extended: true)
        case .helo(let name): return hello(name, extended: false)
        case let .mail(path, parameters): return mail(path, parameters, primaryTakesMail: primaryTakesMail())
        case let .rcpt(mailbox, parameters): return recipient(mailbox, parameters)
        case .data: return data()
        case let .bdat(size, last): return chunk(size: size, last: last)
        case .rset:
            transaction = nil
            if phase != .awaitingHello { phase = .ready }
            return [.reply(Replies.resetOk)]
        case .noop: return [.reply(Replies.ok)]
        case .quit:
            phase = .closed
            return [.replyAndClose(SMTPReply(221, .init(2, 0, 0), "\(settings.hostname) closing connection"))]
        case .vrfy(let argument):
            if argument.isEmpty { return refuse(SMTPReply(501, .init(5, 5, 4), "Syntax: VRFY <address>")) }
            return [.reply(Replies.cannotVerify)]
        case .expn: return refuse(Replies.notImplemented)
        case .help: return [.reply(Replies.help)]
        case .startTLS: return startTLS()
        case .auth: return refuse(Replies.authNotOffered)
        case .forbidden:
            phase = .closed
            return [.close]
        }
    }

    /// Bytes came after DATA before its reply was sent. RFC 2920 §3.1 makes DATA the last
    /// command of a group: the client waits for 354. Reading those bytes as commands when DATA
    /// is refused would run message content as commands (a relay pipelining someone else's
    /// message would let it smuggle one), so the session ends, as Postfix and Exim end it.
    public mutating func pipelinedAfterData() -> [Action] {
        transaction = nil
        phase = .closed
        return [.replyAndClose(Replies.synchronizationError)]
    }

    /// A line the framer or parser refused.
    public mutating func refuse(_ reply: SMTPReply) -> [Action] {
        errorCount += 1
        if errorCount >= settings.maxErrors {
            phase = .closed
            return [.reply(reply), .replyAndClose(Replies.tooManyErrors)]
        }
        return [.reply(reply)]
    }

    private mutating func hello(_ name: String, extended: Bool) -> [Action] {
        clientHelo = name
        esmtp = extended
        if let upcoming { offered = upcoming }
        transaction = nil
        phase = .ready
        // The name is echoed for the client's logs, unless the line would then pass the 512
        // octets a reply line may have (RFC 5321 §4.5.3.1.5): a command line has room for more.
        let echoed = "\(settings.hostname) greets \(name)"
        let greeting = echoed.utf8.count + 6 <= 512 ? echoed : settings.hostname
        guard extended else { return [.reply(SMTPReply(250, nil, greeting))] }
        var lines = [greeting, "PIPELINING", "SIZE \(messageSizeLimit)"]
        if offered.eightBitMIME { lines.append("8BITMIME") }
        if offered.smtpUTF8 { lines.append("SMTPUTF8") }
        lines += ["ENHANCEDSTATUSCODES", "CHUNKING", "DSN"]
        if tlsAvailable, !tlsActive { lines.append("STARTTLS") }
        lines.append("HELP")
        return [.reply(SMTPReply(250, nil, lines))]
    }

    private mutating func mail(_ path: ReversePath, _ parameters: MailParameters, primaryTakesMail: Bool) -> [Action] {
        switch phase {
        case .awaitingHello: return refuse(Replies.needHelo)
        case .ready: break
        default: return refuse(Replies.nestedMail)
        }
        if primaryTakesMail { return [.reply(Replies.primaryIsUp)] }
        if let size = parameters.size, size > messageSizeLimit { return refuse(Replies.messageTooBig) }
        if parameters.smtpUTF8, !offered.smtpUTF8 { return refuse(Replies.smtpUTF8NotAvailable) }
        if parameters.body == .eightBitMIME, !offered.eightBitMIME { return refuse(Replies.eightBitMIMENotAvailable) }
        if case .mailbox(let mailbox) = path, mailbox.isInternationalized, !parameters.smtpUTF8 {
            return refuse(Replies.needSMTPUTF8)
        }
        if case .mailbox(let mailbox) = path, let refusal = SenderPolicy.refusal(of: mailbox) { return refuse(refusal) }
        transaction = MailTransaction(sender: path, parameters: parameters)
        phase = .inTransaction
        return [.reply(Replies.senderOk)]
    }

    private mutating func recipient(_ mailbox: Mailbox, _ parameters: RecipientParameters) -> [Action] {
        guard phase == .inTransaction, var current = transaction else {
            return refuse(phase == .awaitingHello ? Replies.needHelo : Replies.needMail)
        }
        if current.usesChunking { return refuse(Replies.recipientAfterBDAT) }
        if mailbox.isInternationalized, !current.parameters.smtpUTF8 { return refuse(Replies.needSMTPUTF8) }
        let decision = policy.decision(mailbox)
        if case .refuse(let refusal) = decision {
            current.refusedRecipients += 1
            transaction = current
            return refuse(refusal)
        }
        if current.recipients.contains(where: { $0.mailbox.isSameRecipient(as: mailbox) }) {
            return [.reply(Replies.recipientOk)]
        }
        // Not an error: a legitimate sender pipelining a long list must not be cut off for it,
        // it sends the rest in another transaction (RFC 5321 §4.5.3.1.8).
        guard current.recipients.count < settings.maxRecipients else { return [.reply(Replies.tooManyRecipients)] }
        // With a recipients file, the policy accepts outright only the addresses it lists.
        let recipient = MailTransaction.Recipient(mailbox: mailbox, parameters: parameters,
                                                  verified: decision == .accept && policy.directory != nil)
        if decision == .verify {
            // Checked last, so duplicates and overshoot cost no callout to the primary.
            pendingRecipient = recipient
            phase = .verifyingRecipient
            return [.verifyRecipient(mailbox.text)]
        }
        current.recipients.append(recipient)
        transaction = current
        return [.reply(Replies.recipientOk)]
    }

    private var pendingRecipient: MailTransaction.Recipient?

    /// A RCPT refused before the relay rules saw it (a rate, greylisting): it counts as a refused
    /// recipient, so that DATA without any accepted one gets 554, as after other refusals.
    public mutating func refuseRecipient(_ reply: SMTPReply) -> [Action] {
        if phase == .inTransaction, var current = transaction {
            current.refusedRecipients += 1
            transaction = current
        }
        return refuse(reply)
    }

    /// The verifier's answer to `.verifyRecipient`; the RCPT's reply follows from it. A refusal
    /// counts as the client's error, as a refusal by the recipients file does; a tempfail does
    /// not, the client did nothing wrong. Both count as refused recipients for DATA's 554.
    public mutating func recipientVerified(_ verdict: RecipientVerdict) -> [Action] {
        guard phase == .verifyingRecipient, let recipient = pendingRecipient, var current = transaction else { return [] }
        pendingRecipient = nil
        phase = .inTransaction
        switch verdict {
        case .accept, .confirmed:
            var recipient = recipient
            recipient.verified = verdict == .confirmed
            current.recipients.append(recipient)
            transaction = current
            return [.reply(Replies.recipientOk)]
        case .refuse:
            current.refusedRecipients += 1
            transaction = current
            return refuse(Replies.unknownUser)
        case .tempfail:
            current.refusedRecipients += 1
            transaction = current
            return [.reply(Replies.recipientNotVerified)]
        }
    }

    private mutating func data() -> [Action] {
        switch phase {
        case .awaitingHello: return refuse(Replies.needHelo)
        case .inTransaction: break
        case .chunkingFailed: return refuse(Replies.dataAfterBDAT)
        default: return refuse(Replies.needMail)
        }
        guard let current = transaction else { return refuse(Replies.needMail) }
        if current.usesChunking { return refuse(Replies.dataAfterBDAT) }
        guard !current.recipients.isEmpty else {
            return refuse(current.refusedRecipients > 0 ? Replies.noValidRecipients : Replies.needRecipient)
        }
        phase = .receivingData
        return [.reply(Replies.startData), .beginData]
    }

    /// BDAT content always follows the command, so it is read even when the command is refused
    /// (RFC 3030 §4.2); only sizes we would refuse anyway end the connection instead.
    private mutating func chunk(size: Int, last: Bool) -> [Action] {
        let failed: SMTPReply?
        switch phase {
        case .awaitingHello: failed = Replies.needHelo
        case .ready: failed = Replies.needMail
        case .chunkingFailed: failed = Replies.bdatFailed
        case .inTransaction:
            if let transaction, transaction.recipients.isEmpty {
                failed = transaction.refusedRecipients > 0 ? Replies.noValidRecipients : Replies.needRecipient
            } else {
                failed = nil
            }
        default: failed = Replies.needMail
        }
        let already = transaction?.chunkedBytes ?? 0
        if size > messageSizeLimit - already {
            phase = .closed
            return [.replyAndClose(Replies.messageTooBig)]
        }
        if let failed {
            // Remember the refusal; it is sent once the chunk's bytes have been read.
            pendingChunkRefusal = failed
            phase = .receivingChunk(discard: true, last: last)
            return [.beginChunk(size: size, first: false, last: last, discard: true)]
        }
        let first = transaction?.usesChunking != true
        transaction?.usesChunking = true
        transaction?.chunkedBytes = already + size
        phase = .receivingChunk(discard: false, last: last)
        return [.beginChunk(size: size, first: first, last: last, discard: false)]
    }

    private var pendingChunkRefusal: SMTPReply?

    private mutating func startTLS() -> [Action] {
        guard tlsAvailable else { return refuse(Replies.tlsNotAvailable) }
        guard !tlsActive else { return refuse(Replies.tlsAlreadyActive) }
        guard phase == .ready else {
            return refuse(phase == .awaitingHello ? Replies.needHelo
                : SMTPReply(503, .init(5, 5, 1), "STARTTLS not allowed during a mail transaction"))
        }
        return [.startTLS(Replies.readyForTLS)]
    }

    /// RFC 3207 §4.2: after the handshake the session starts over, as if just connected.
    public mutating func tlsEstablished() {
        tlsActive = true
        clientHelo = nil
        esmtp = false
        transaction = nil
        phase = .awaitingHello
    }

    // MARK: - Message content

    /// The end of DATA. Content with a problem found on the way (bad line endings, size, a
    /// loop) is refused; clean content goes to the spool.
    public mutating func messageComplete(_ content: ReceivedContent) -> [Action] {
        guard let current = transaction else { return refuse(Replies.needMail) }
        if let rejection = rejection(of: content, complete: true) {
            transaction = nil
            phase = .ready
            return refuse(rejection)
        }
        phase = .committing
        return [.commit(current)]
    }

    /// Why content must be refused, if it must. The `Received:` fields are counted once the
    /// message is complete: a chunk that is not the last may not hold the whole header block.
    private func rejection(of content: ReceivedContent, complete: Bool) -> SMTPReply? {
        if let violation = content.violation { return violation.reply }
        if content.size > messageSizeLimit { return Replies.messageTooBig }
        if complete, content.receivedFields > settings.maxHops { return Replies.tooManyHops }
        return nil
    }

    /// Content without end, far past the size limit: refused, and the session is closed,
    /// since the end of the message that would bring it back in step may never come.
    public mutating func messageCutOff() -> [Action] {
        transaction = nil
        phase = .closed
        return [.replyAndClose(Replies.messageTooBig)]
    }

    /// The end of a BDAT chunk; after the last one the message goes to the spool. Whether it
    /// was the last is the machine's to remember: it said so in `.beginChunk`.
    public mutating func chunkComplete(_ content: ReceivedContent) -> [Action] {
        guard case .receivingChunk(let discard, let last) = phase else { return [] }
        if discard {
            let refusal = pendingChunkRefusal ?? Replies.bdatFailed
            pendingChunkRefusal = nil
            if transaction != nil { phase = .chunkingFailed }
            else { phase = clientHelo == nil ? .awaitingHello : .ready }
            return refuse(refusal)
        }
        if let rejection = rejection(of: content, complete: last) {
            phase = .chunkingFailed
            return [.discardContent] + refuse(rejection)
        }
        if last { return messageComplete(content) }
        phase = .inTransaction
        return [.reply(SMTPReply(250, .init(2, 0, 0), "\(transaction?.chunkedBytes ?? 0) octets received"))]
    }

    /// The spool's answer to `.commit`: the reply for the client ends the transaction.
    public mutating func committed(_ reply: SMTPReply) -> [Action] {
        transaction = nil
        phase = .ready
        if reply.isPositive { return [.reply(reply)] }
        return refuse(reply)
    }
}
