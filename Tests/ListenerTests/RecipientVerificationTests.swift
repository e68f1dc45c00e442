import Foundation
@testable import SMTPProtocol
import BackstopSync
import Testing
@testable import Listener

@Suite("Recipient verification in the session state machine")
struct RecipientVerificationMachineTests {
    private func inTransaction(directory: (any RecipientDirectory)? = nil, maxErrors: Int = 20) -> SessionStateMachine {
        var machine = makeMachine(maxErrors: maxErrors, directory: directory, verify: true)
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>"])
        return machine
    }

    @Test("an open recipient is handed to the verifier, and nothing else happens until the verdict")
    func asksTheVerifier() {
        var machine = inTransaction()
        #expect(machine.send("RCPT TO:<Bob@Example.org>") == [.verifyRecipient("Bob@Example.org")])
        #expect(machine.phase == .verifyingRecipient)
        #expect(machine.transaction?.recipients.isEmpty == true)
    }

    @Test("each verdict gives its RCPT reply", arguments: [
        (RecipientVerdict.accept, "250 2.1.5", 1, 0, 0),
        (.confirmed, "250 2.1.5", 1, 0, 0),
        (.refuse, "550 5.1.1", 0, 1, 1),
        (.tempfail, "450 4.1.1", 0, 1, 0),
    ])
    func verdicts(verdict: RecipientVerdict, expected: String, accepted: Int, refused: Int, errors: Int) {
        var machine = inTransaction()
        _ = machine.send("RCPT TO:<bob@example.org>")
        let reply = onlyReply(machine.recipientVerified(verdict))
        #expect(codes(reply) == expected)
        #expect(machine.phase == .inTransaction)
        #expect(machine.transaction?.recipients.count == accepted)
        #expect(machine.transaction?.refusedRecipients == refused)
        #expect(machine.errorCount == errors, "only a refusal counts against the client")
        if verdict == .refuse { #expect(reply == Replies.unknownUser) }
        if verdict == .tempfail { #expect(reply == Replies.recipientNotVerified) }
    }

    @Test("what the relay rules, the recipients file or the transaction settle costs no callout")
    func settledWithoutVerifier() {
        var machine = inTransaction(directory: SetDirectory(["alice@example.org"]))
        #expect(machine.send("RCPT TO:<bob@other.test>") == [.reply(Replies.relayDenied)])
        #expect(machine.send("RCPT TO:<bob%other.test@example.org>") == [.reply(Replies.relayDenied)])
        #expect(machine.send("RCPT TO:<ALICE@example.org>") == [.reply(Replies.recipientOk)], "listed in the file")
        #expect(machine.send("RCPT TO:<carol@example.org>") == [.verifyRecipient("carol@example.org")], "not listed")
        _ = machine.recipientVerified(.accept)
        #expect(machine.send("RCPT TO:<carol@example.org>") == [.reply(Replies.recipientOk)], "already accepted")
        #expect(machine.transaction?.recipients.map(\.mailbox.text) == ["ALICE@example.org", "carol@example.org"])
    }

    @Test("a recipient is marked verified when the file lists it or the primary confirms it, and only then")
    func verifiedMark() {
        var machine = inTransaction(directory: SetDirectory(["alice@example.org"]))
        _ = machine.send("RCPT TO:<alice@example.org>")
        _ = machine.send("RCPT TO:<carol@example.org>")
        _ = machine.recipientVerified(.confirmed)
        _ = machine.send("RCPT TO:<dave@example.org>")
        _ = machine.recipientVerified(.accept)
        #expect(machine.transaction?.recipients.map(\.verified) == [true, true, false])

        var open = makeMachine(maxErrors: 20, directory: nil, verify: false)
        open.play(["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<anyone@example.org>"])
        #expect(open.transaction?.recipients.map(\.verified) == [false], "no file, no callout: accepted unverified")
    }

    @Test("beyond max_recipients the overshoot reply comes first, without a callout")
    func overshootFirst() {
        var machine = SessionStateMachine(
            settings: SessionSettings(hostname: testHostname, maxRecipients: 1),
            policy: RelayPolicy(domains: testDomains, verifiesRecipients: true), tlsAvailable: false)
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<one@example.org>"])
        _ = machine.recipientVerified(.accept)
        #expect(machine.send("RCPT TO:<two@example.org>") == [.reply(Replies.tooManyRecipients)])
    }

    @Test("DATA after every recipient was refused or tempfailed by verification is 554")
    func dataWithoutRecipients() {
        var machine = inTransaction()
        _ = machine.send("RCPT TO:<ghost@example.org>")
        _ = machine.recipientVerified(.refuse)
        _ = machine.send("RCPT TO:<later@example.org>")
        _ = machine.recipientVerified(.tempfail)
        #expect(machine.send("DATA") == [.reply(Replies.noValidRecipients)])
    }

    @Test("refusals by verification count toward max_errors")
    func refusalsCountAsErrors() {
        var machine = inTransaction(maxErrors: 2)
        _ = machine.send("RCPT TO:<one@example.org>")
        #expect(machine.recipientVerified(.refuse) == [.reply(Replies.unknownUser)])
        _ = machine.send("RCPT TO:<two@example.org>")
        #expect(machine.recipientVerified(.refuse) == [.reply(Replies.unknownUser), .replyAndClose(Replies.tooManyErrors)])
        #expect(machine.isClosed)
    }

    @Test("without verification the file refuses what it does not list, and no file accepts all")
    func withoutVerification() throws {
        let mailbox = try RelayPolicyTests.recipient("<carol@example.org>")
        #expect(RelayPolicy(domains: testDomains, directory: SetDirectory(["alice@example.org"])).decision(mailbox)
            == .refuse(Replies.unknownUser))
        #expect(RelayPolicy(domains: testDomains).decision(mailbox) == .accept)
        #expect(RelayPolicy(domains: testDomains, verifiesRecipients: true).decision(mailbox) == .verify)
        #expect(RelayPolicy(domains: testDomains, verifiesRecipients: true).decide(mailbox) == nil)
    }
}

/// A verifier with fixed answers that counts what it was asked, and answers after a pause so
/// pipelined commands are really held back.
final class ScriptedVerifier: RecipientVerifier {
    private let verdicts: [String: RecipientVerdict]
    private let asked = Locked<[String]>([])

    init(_ verdicts: [String: RecipientVerdict]) { self.verdicts = verdicts }

    var questions: [String] { asked.withLock { $0 } }

    func verify(_ address: String) async -> RecipientVerdict {
        asked.withLock { $0.append(address) }
        try? await Task.sleep(for: .milliseconds(50))
        return verdicts[address.lowercased()] ?? .accept
    }
}

@Suite("Recipient verification over sockets", .timeLimit(.minutes(1)))
struct RecipientVerificationSocketTests {
    @Test("pipelined RCPTs wait for their verdicts, replies stay in order, only accepted recipients are stored")
    func pipelined() async throws {
        let verifier = ScriptedVerifier(["ghost@example.org": .refuse, "later@example.org": .tempfail])
        try await withListener(verifier: verifier) { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send("""
                EHLO client.test\r
                MAIL FROM:<alice@sender.test>\r
                RCPT TO:<bob@example.org>\r
                RCPT TO:<ghost@example.org>\r
                RCPT TO:<later@example.org>\r
                RCPT TO:<nobody@other.test>\r
                DATA\r

                """)
            let replies = try await client.readReplies(7)
            #expect(replies.map(\.codes) == ["250 -", "250 2.1.0", "250 2.1.5", "550 5.1.1", "450 4.1.1", "550 5.7.1", "354 -"])
            try await client.send("Subject: verified\r\n\r\nhello\r\n.\r\nQUIT\r\n")
            let queued = try await client.readReply()
            #expect(queued.codes == "250 2.0.0")
            #expect(try await client.readReply().codes == "221 2.0.0")

            let queueID = try #require(queued.queueID)
            let envelope = try #require(try await server.spool.envelope(of: queueID)).envelope
            #expect(envelope.recipients.map(\.address) == ["bob@example.org"])
            #expect(verifier.questions == ["bob@example.org", "ghost@example.org", "later@example.org"],
                    "outside the relay domains nothing is asked")
        }
    }
}
