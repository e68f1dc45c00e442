import FuzzSupport
import NIOCore
import SMTPProtocol

/// One SMTP session driven from raw client bytes the way `SMTPServerHandler` drives it: the
/// framer cuts the stream, the parser reads command lines, the state machine decides, and the
/// spool and recipient verifier answer at once. No sockets, no spool.
///
/// Every action is checked as it happens: replies are well-formed, a commit carries at least
/// one recipient and only recipients the relay policy accepts, each of its addresses parses
/// again to the same mailbox, content with a violation is never committed, and nothing happens
/// after the session closed.
struct SessionReplay {
    static let settings = SessionSettings(hostname: "mx2.example.net", maxMessageSize: 4096, maxErrors: 20)
    static let policy = RelayPolicy(domains: ["example.org", ".example.com"])

    private var machine: SessionStateMachine
    private var framer: InboundFramer
    private var inbound = ByteBuffer()
    private var contentSize = 0
    /// Every reply in order, with a marker where the session closed.
    private(set) var transcript: [String] = []
    private(set) var commits = 0
    /// Closed, or STARTTLS began: what follows needs a TLS peer, and the fresh session after
    /// the handshake is the same machine from the start, which the fuzzer reaches anyway.
    private(set) var stopped = false

    init(tlsAvailable: Bool) {
        machine = SessionStateMachine(settings: Self.settings, policy: Self.policy, tlsAvailable: tlsAvailable)
        framer = InboundFramer(maxCommandLength: Self.settings.maxCommandLength,
                               maxTextLineLength: Self.settings.maxLineLength)
    }

    mutating func receive(_ bytes: some Collection<UInt8>) {
        guard !stopped else { return }
        inbound.writeBytes(bytes)
        // As the handler does: ask even with nothing buffered, a zero-octet chunk still ends.
        while !stopped, let event = framer.next(&inbound) { handle(event) }
        if !stopped, framer.isReadingCommands, inbound.readableBytes > Self.settings.maxCommandLength {
            violated("the framer holds \(inbound.readableBytes) octets of an unfinished command line")
        }
    }

    private mutating func handle(_ event: InboundEvent) {
        switch event {
        case .command(let line):
            switch CommandParser.parse(line) {
            case .success(let command): perform(machine.receive(command, primaryTakesMail: true))
            case .failure(let reply): perform(machine.refuse(reply))
            }
        case .commandTooLong: perform(machine.refuse(Replies.lineTooLong))
        case .commandBadLineEnding: perform(machine.refuse(Replies.bareLineEnding))
        case .content(let bytes): contentSize += bytes.readableBytes
        case .dataEnd(let violation):
            perform(machine.messageComplete(received(violation)), contentRejection: rejection(violation))
        case .chunkEnd(let violation):
            perform(machine.chunkComplete(received(violation)), contentRejection: rejection(violation))
        }
    }

    /// No header scanning here: the content carries no `Received:` fields the machine counts.
    private func received(_ violation: ContentViolation?) -> ReceivedContent {
        ReceivedContent(violation: violation, size: contentSize, receivedFields: 0)
    }

    /// Why the machine must not commit this content, if it must not.
    private func rejection(_ violation: ContentViolation?) -> SMTPReply? {
        violation?.reply ?? (contentSize > Self.settings.maxMessageSize ? Replies.messageTooBig : nil)
    }

    private mutating func perform(_ actions: [SessionStateMachine.Action], contentRejection: SMTPReply? = nil) {
        for action in actions {
            if stopped { violated("\(action) after the session closed") }
            switch action {
            case .reply(let reply):
                record(reply)
            case .replyAndClose(let reply):
                record(reply)
                close()
            case .close:
                close()
            case .beginData:
                framer.beginData()
                contentSize = 0
            case let .beginChunk(size, first, last, _):
                guard size >= 0 else { violated("BDAT chunk of \(size) octets") }
                framer.beginChunk(size: size, first: first, last: last)
                if first { contentSize = 0 }
            case .startTLS(let reply):
                record(reply)
                transcript.append("TLS")
                stopped = true
            case .commit(let transaction):
                if let contentRejection { violated("content refused with \(contentRejection) was committed") }
                if transaction.recipients.isEmpty { violated("a commit without recipients") }
                for recipient in transaction.recipients where Self.policy.decide(recipient.mailbox) != nil {
                    violated("open relay: \(recipient.mailbox) was committed")
                }
                // What is stored and forwarded reads back as what was accepted.
                for recipient in transaction.recipients { checkParsesAgain(recipient.mailbox, allowUTF8: true) }
                if case .mailbox(let sender) = transaction.sender { checkParsesAgain(sender, allowUTF8: true) }
                commits += 1
                perform(machine.committed(Replies.queued("0A0000000001")))
            case .discardContent:
                if contentRejection == nil { violated("clean content was discarded") }
            case .verifyRecipient:
                perform(machine.recipientVerified(.accept))
            }
        }
    }

    private mutating func record(_ reply: SMTPReply) {
        checkWellFormed(reply)
        transcript.append(reply.description)
    }

    private mutating func close() {
        guard machine.isClosed else { violated("the handler closes while the machine is still open") }
        transcript.append("closed")
        stopped = true
    }
}
