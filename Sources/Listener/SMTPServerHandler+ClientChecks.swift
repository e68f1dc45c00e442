import NIOCore
import SMTPProtocol

// The client's standing, apart from what it sends: DNS lists asked at connect while the
// greeting waits, a client that talks before the greeting, per-address rates at MAIL and
// RCPT. The decisions are `ClientReputation`'s and `ClientRates`'s; this carries them out.
extension SMTPServerHandler {
    /// Asks the lists at once: the answers arrive during the greeting delay (or before the
    /// client's EHLO), and no command is processed until they did.
    func checkReputation(_ reputation: ClientReputation, context: ChannelHandlerContext) {
        reputationPending = true
        let client = clientAddress
        let started = ContinuousClock.now
        let promise = context.eventLoop.makePromise(of: ReputationVerdict.self)
        promise.completeWithTask { await reputation.assess(client) }
        promise.futureResult.assumeIsolated().whenSuccess { verdict in
            self.reputationPending = false
            self.reputationRefusal = verdict.refusal
            self.allowListed = verdict.listings.contains { $0.weight < 0 }
            let took = ContinuousClock.now - started
            ListenerMetrics.reputationChecked(took: took)
            let listed = verdict.listings.map { "\($0.zone) (\($0.weight))" }.joined(separator: ", ")
            let milliseconds = took.components.seconds * 1000 + took.components.attoseconds / 1_000_000_000_000_000
            self.logger.info("reputation of [\(client)]: score \(verdict.score)\(listed.isEmpty ? "" : ", listed by \(listed)") in \(milliseconds) ms")
            for why in verdict.unanswered {
                self.logger.warning("DNS list not answered for [\(client)], counted as not listed: \(why)")
            }
            if self.greeted, !self.closing { self.resumeAfterAnswer(context: context) }
        }
    }

    func delayGreeting(by delay: Duration, context: ChannelHandlerContext) {
        greeted = false
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        greetingTask = context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
            let (handler, context) = loopBound.value
            guard !handler.closing else { return }
            handler.greet(context: context)
            handler.resumeReading(context: context)
        }
    }

    func greet(context: ChannelHandlerContext) {
        greeted = true
        send(SMTPReply(220, nil, "\(environment.settings.hostname) ESMTP Backstop"), context: context)
        flush(context: context)
    }

    /// Input before the greeting: a sender that does not wait for it is a bot, not an MTA
    /// (RFC 5321 §3.1 has the client wait), so it is refused and disconnected, as postscreen does.
    func refuseTalkingFirst(context: ChannelHandlerContext) {
        greetingTask?.cancel()
        greeted = true
        let delay = environment.clientChecks?.pregreet ?? .zero
        let refusal = ClientRefusal(
            reply: SMTPReply(554, .init(5, 5, 1), "Protocol error: [\(clientAddress)] talked before the greeting"),
            reason: .pregreet, rule: "[reputation] pregreet = \(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)ms")
        record(refusal)
        sendingClientRefusal = true
        send(refusal.reply, context: context)
        sendingClientRefusal = false
        close(context: context)
    }

    /// Whether `command` is refused for who sends it: a listed client at MAIL, a client past
    /// its rates or taken for a harvester at MAIL and RCPT. Other commands pass.
    func clientRefusal(before command: SMTPCommand) -> ClientRefusal? {
        switch command {
        case .mail:
            if let reputationRefusal { return reputationRefusal }
            return environment.clientChecks?.rates?.admitMessage(from: clientAddress)
        case .rcpt:
            return environment.clientChecks?.rates?.admitRecipient(from: clientAddress)
        default:
            return nil
        }
    }

    /// The refusal counts as the client's error, so one that keeps trying is closed. A refused
    /// RCPT (`recipient`) also counts as a refused recipient, for DATA's 554 when none was accepted.
    func refuse(_ refusal: ClientRefusal, recipient: Bool, context: ChannelHandlerContext) {
        record(refusal)
        sendingClientRefusal = true
        defer { sendingClientRefusal = false }
        perform(recipient ? machine.refuseRecipient(refusal.reply) : machine.refuse(refusal.reply), context: context)
    }

    /// A recipient was refused as unknown; enough of them make the client a harvester.
    func unknownRecipientRefused() {
        guard environment.clientChecks?.rates?.unknownRecipient(from: clientAddress) == true else { return }
        logger.notice("[\(clientAddress)] drew too many unknown-recipient refusals: refused for an hour")
    }

    func record(_ refusal: ClientRefusal) {
        logger.notice("refused [\(clientAddress)]: reason=\(refusal.reason.rawValue) rule=\(refusal.rule): \(refusal.reply)")
        ListenerMetrics.clientRefused(refusal.reason)
        environment.clientChecks?.refusals.record(refusal.reason)
    }
}
