import NIOCore
import SMTPProtocol

// Greylisting at RCPT: the triple is looked up in the spool while the session waits, as for
// a recipient verdict; only a recipient the relay rules would take is greylisted.
extension SMTPServerHandler {
    /// The greylist to ask before `command`: a RCPT in a transaction, from a client no allow
    /// list vouches for, to an address the relay rules do not refuse anyway.
    func greylistCheck(for command: SMTPCommand) -> Greylist? {
        guard let greylist = environment.greylist, !allowListed, case .rcpt(let mailbox, _) = command,
              machine.transaction != nil else { return nil }
        if case .refuse = machine.policy.decision(mailbox) { return nil }
        return greylist
    }

    func checkGreylist(_ command: SMTPCommand, with greylist: Greylist, context: ChannelHandlerContext) {
        guard case .rcpt(let mailbox, _) = command, let sender = machine.transaction?.sender.address else {
            perform(machine.receive(command, primaryTakesMail: environment.primaryTakesMail()), context: context)
            return
        }
        awaitingAnswer = true
        let client = clientAddress
        let promise = context.eventLoop.makePromise(of: Greylist.Verdict.self)
        promise.completeWithTask { await greylist.check(client: client, sender: sender, recipient: mailbox.text) }
        promise.futureResult.assumeIsolated().whenSuccess { verdict in
            self.awaitingAnswer = false
            switch verdict {
            case .pass:
                self.perform(self.machine.receive(command, primaryTakesMail: self.environment.primaryTakesMail()), context: context)
            case .retry(let refusal):
                self.refuse(refusal, recipient: true, context: context)
            }
            self.resumeAfterAnswer(context: context)
        }
    }
}
