@testable import SMTPProtocol
import Testing
@testable import Listener

@Suite("SessionStateMachine: commands")
struct SessionStateMachineTests {
    @Test("happy path: EHLO, MAIL, RCPT, DATA, commit, 250, ready again")
    func happyPath() throws {
        var machine = makeMachine()
        #expect(codes(onlyReply(machine.send("EHLO client.test"))) == "250 -")
        #expect(machine.send("MAIL FROM:<alice@sender.test> BODY=8BITMIME RET=HDRS ENVID=QQ1") == [.reply(Replies.senderOk)])
        #expect(machine.send("RCPT TO:<bob@example.org> NOTIFY=FAILURE ORCPT=rfc822;bob@example.org")
            == [.reply(Replies.recipientOk)])
        #expect(machine.send("RCPT TO:<carol@mx.example.com>") == [.reply(Replies.recipientOk)])
        #expect(machine.send("DATA") == [.reply(Replies.startData), .beginData])
        #expect(machine.isReceivingMessage)

        let actions = machine.messageComplete(cleanContent)
        guard actions.count == 1, case .commit(let transaction) = actions[0] else {
            Issue.record("expected a commit, got \(actions)")
            return
        }
        #expect(transaction.sender.address == "alice@sender.test")
        #expect(transaction.parameters.body == .eightBitMIME)
        #expect(transaction.parameters.ret == .headers)
        #expect(transaction.parameters.envelopeID == "QQ1")
        #expect(transaction.recipients.map(\.mailbox.text) == ["bob@example.org", "carol@mx.example.com"])
        #expect(transaction.recipients[0].parameters.notify == .on([.failure]))
        #expect(transaction.recipients[0].parameters.originalRecipient == "rfc822;bob@example.org")
        #expect(machine.phase == .committing)

        let queued = Replies.queued("0123456789AB")
        #expect(machine.committed(queued) == [.reply(queued)])
        #expect(machine.phase == .ready)
        #expect(machine.transaction == nil)
        #expect(!machine.isReceivingMessage)
        #expect(machine.send("MAIL FROM:<>") == [.reply(Replies.senderOk)], "a second transaction may start")
    }

    @Test("EHLO advertises the extensions; STARTTLS only when TLS is available and not yet active",
          arguments: [(false, false), (true, false), (true, true)])
    func ehloAdvertisement(tlsAvailable: Bool, tlsEstablished: Bool) throws {
        var machine = makeMachine(tls: tlsAvailable)
        if tlsEstablished {
            machine.play(["EHLO client.test"])
            #expect(machine.send("STARTTLS") == [.startTLS(Replies.readyForTLS)])
            machine.tlsEstablished()
        }
        let reply = try #require(onlyReply(machine.send("EHLO client.test")))
        #expect(reply.code == 250)
        #expect(reply.lines[0] == "\(testHostname) greets client.test")
        let keywords = Array(reply.lines.dropFirst())
        for keyword in ["PIPELINING", "SIZE 10000000", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"] {
            #expect(keywords.contains(keyword), "EHLO must offer \(keyword)")
        }
        #expect(keywords.contains("STARTTLS") == (tlsAvailable && !tlsEstablished))
        #expect(!keywords.contains { $0.hasPrefix("AUTH") }, "a backup MX offers no AUTH")
        #expect(machine.esmtp)
    }

    @Test("HELO greets on one line and allows a transaction")
    func helo() throws {
        var machine = makeMachine(tls: true)
        let reply = try #require(onlyReply(machine.send("HELO client.test")))
        #expect(reply.code == 250)
        #expect(reply.lines == ["\(testHostname) greets client.test"])
        #expect(!machine.esmtp)
        #expect(machine.clientHelo == "client.test")
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.senderOk)])
    }

    @Test("a client name as long as a command line allows is not echoed past 512 octets a reply line",
          arguments: ["EHLO", "HELO"])
    func longClientName(_ verb: String) throws {
        var machine = makeMachine()
        let fits = String(repeating: "a", count: 512 - 6 - "\(testHostname) greets ".utf8.count)
        let fitting = try #require(onlyReply(machine.send("\(verb) \(fits)")))
        #expect(fitting.lines[0] == "\(testHostname) greets \(fits)")
        let longest = String(repeating: "b", count: 510 - verb.utf8.count - 1)
        let reply = try #require(onlyReply(machine.send("\(verb) \(longest)")))
        #expect(reply.code == 250)
        #expect(reply.lines[0] == testHostname)
        for line in reply.wireFormat.split(separator: "\r\n") { #expect(line.utf8.count + 2 <= 512) }
        #expect(machine.clientHelo == longest, "the name is still kept for the Received: header")
    }

    static let sequenceErrors: [Dialog] = [
        Dialog(name: "MAIL before EHLO", setup: [], line: "MAIL FROM:<a@sender.test>", expected: "503 5.5.1"),
        Dialog(name: "RCPT before EHLO", setup: [], line: "RCPT TO:<bob@example.org>", expected: "503 5.5.1"),
        Dialog(name: "DATA before EHLO", setup: [], line: "DATA", expected: "503 5.5.1"),
        Dialog(name: "RCPT before MAIL", setup: ["EHLO c.test"], line: "RCPT TO:<bob@example.org>", expected: "503 5.5.1"),
        Dialog(name: "DATA before MAIL", setup: ["EHLO c.test"], line: "DATA", expected: "503 5.5.1"),
        Dialog(name: "DATA before RCPT", setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>"], line: "DATA",
               expected: "503 5.5.1"),
        Dialog(name: "nested MAIL", setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>"], line: "MAIL FROM:<b@sender.test>",
               expected: "503 5.5.1"),
        Dialog(name: "nested MAIL after RCPT",
               setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"],
               line: "MAIL FROM:<b@sender.test>", expected: "503 5.5.1"),
        Dialog(name: "DATA with only refused recipients (RFC 2920)",
               setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@other.test>", "RCPT TO:<x@example.com>"],
               line: "DATA", expected: "554 5.5.1"),
        Dialog(name: "RCPT after RSET", setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>", "RSET"],
               line: "RCPT TO:<bob@example.org>", expected: "503 5.5.1"),
    ]

    @Test("commands out of sequence", arguments: sequenceErrors)
    func sequenceError(dialog: Dialog) {
        var machine = makeMachine()
        machine.play(dialog.setup)
        let before = machine.errorCount
        #expect(codes(onlyReply(machine.send(dialog.line))) == dialog.expected)
        #expect(machine.errorCount == before + 1, "a refusal counts as an error")
        #expect(!machine.isClosed)
    }

    @Test("DATA with one accepted and one refused recipient goes ahead")
    func dataWithSomeRefused() {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@other.test>", "RCPT TO:<bob@example.org>"])
        #expect(machine.send("DATA") == [.reply(Replies.startData), .beginData])
    }

    @Test("RSET clears the transaction but not the greeting")
    func rset() {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"])
        #expect(machine.transaction != nil)
        #expect(machine.send("RSET") == [.reply(Replies.resetOk)])
        #expect(machine.transaction == nil)
        #expect(machine.phase == .ready)
        #expect(machine.send("DATA") == [.reply(Replies.needMail)])
        #expect(machine.send("MAIL FROM:<b@sender.test>") == [.reply(Replies.senderOk)])
    }

    @Test("RSET before EHLO still requires EHLO")
    func rsetBeforeHello() {
        var machine = makeMachine()
        #expect(machine.send("RSET") == [.reply(Replies.resetOk)])
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.needHelo)])
    }

    @Test("EHLO in the middle of a transaction starts over")
    func ehloResets() {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>", "EHLO c.test"])
        #expect(machine.transaction == nil)
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.senderOk)])
    }

    static let simpleCommands: [Dialog] = [
        Dialog(name: "NOOP", setup: [], line: "NOOP", expected: "250 2.0.0"),
        Dialog(name: "VRFY", setup: ["EHLO c.test"], line: "VRFY bob", expected: "252 2.5.0"),
        Dialog(name: "VRFY before EHLO", setup: [], line: "VRFY <bob@example.org>", expected: "252 2.5.0"),
        Dialog(name: "VRFY without argument", setup: [], line: "VRFY", expected: "501 5.5.4"),
        Dialog(name: "EXPN", setup: ["EHLO c.test"], line: "EXPN staff", expected: "502 5.5.1"),
        Dialog(name: "AUTH", setup: ["EHLO c.test"], line: "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", expected: "502 5.5.1"),
        Dialog(name: "HELP", setup: [], line: "HELP", expected: "214 2.0.0"),
        Dialog(name: "HELP MAIL", setup: ["EHLO c.test"], line: "HELP MAIL", expected: "214 2.0.0"),
        Dialog(name: "unknown verb", setup: ["EHLO c.test"], line: "XYZZY", expected: "500 5.5.2"),
        Dialog(name: "STARTTLS without TLS", setup: ["EHLO c.test"], line: "STARTTLS", expected: "502 5.5.1"),
        Dialog(name: "STARTTLS during a transaction", tls: true, setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>"],
               line: "STARTTLS", expected: "503 5.5.1"),
        Dialog(name: "STARTTLS before EHLO", tls: true, setup: [], line: "STARTTLS", expected: "503 5.5.1"),
    ]

    @Test("commands answered with one reply", arguments: simpleCommands)
    func simpleCommand(dialog: Dialog) {
        var machine = makeMachine(tls: dialog.tls)
        machine.play(dialog.setup)
        #expect(codes(onlyReply(machine.send(dialog.line))) == dialog.expected)
        #expect(!machine.isClosed)
    }

    @Test("QUIT says 221 and closes")
    func quit() {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>"])
        let actions = machine.send("QUIT")
        guard actions.count == 1, case .replyAndClose(let reply) = actions[0] else {
            Issue.record("expected reply and close, got \(actions)")
            return
        }
        #expect(codes(reply) == "221 2.0.0")
        #expect(machine.isClosed)
    }

    @Test("web verbs close without a word", arguments: ["GET / HTTP/1.1", "POST /form HTTP/1.1", "CONNECT mx:25 HTTP/1.0"])
    func forbiddenVerb(line: String) {
        var machine = makeMachine()
        #expect(machine.send(line) == [.close])
        #expect(machine.isClosed)
    }

    @Test("STARTTLS: 220 and the switch, then a fresh session where STARTTLS is refused")
    func startTLS() throws {
        var machine = makeMachine(tls: true)
        machine.play(["EHLO c.test"])
        let actions = machine.send("STARTTLS")
        #expect(actions == [.startTLS(Replies.readyForTLS)])
        #expect(codes(Replies.readyForTLS) == "220 2.0.0")
        machine.tlsEstablished()
        #expect(machine.tlsActive)
        machine.play(["EHLO c.test"])
        #expect(codes(onlyReply(machine.send("STARTTLS"))) == "503 5.5.1")
        #expect(machine.send("STARTTLS") == [.reply(Replies.tlsAlreadyActive)])
    }

    @Test("after the TLS handshake the session starts over: MAIL needs a new EHLO")
    func tlsEstablishedResets() {
        var machine = makeMachine(tls: true)
        machine.play(["EHLO c.test"])
        _ = machine.send("STARTTLS")
        machine.tlsEstablished()
        #expect(machine.clientHelo == nil)
        #expect(machine.transaction == nil)
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.needHelo)])
        machine.play(["EHLO c.test"])
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.senderOk)])
    }
}

@Suite("SessionStateMachine: limits")
struct SessionLimitTests {
    @Test("the 101st recipient gets 452 4.5.3 with the default limit of 100")
    func maxRecipients() {
        var machine = makeMachine()
        #expect(machine.settings.maxRecipients == 100)
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>"])
        for index in 1...100 {
            #expect(machine.send("RCPT TO:<user\(index)@example.org>") == [.reply(Replies.recipientOk)])
        }
        let reply = onlyReply(machine.send("RCPT TO:<user101@example.org>"))
        #expect(codes(reply) == "452 4.5.3")
        #expect(machine.transaction?.recipients.count == 100)
        #expect(machine.send("RCPT TO:<user1@example.org>") == [.reply(Replies.recipientOk)],
                "a duplicate of an accepted recipient is not a new one")
        #expect(machine.send("DATA") == [.reply(Replies.startData), .beginData])
    }

    /// Domains are case-insensitive; local parts may not be (RFC 5321 §2.4), so `Bob` and `bob`
    /// are two recipients for the primary to tell apart.
    @Test("the same recipient twice is accepted once", arguments: [
        (["bob@example.org", "bob@example.org"], ["bob@example.org"]),
        (["bob@example.org", "bob@EXAMPLE.ORG"], ["bob@example.org"]),
        (["bob@mx.example.com", "bob@MX.Example.com", "bob@mx.example.com"], ["bob@mx.example.com"]),
        (["bob@example.org", "Bob@example.org"], ["bob@example.org", "Bob@example.org"]),
    ])
    func duplicateRecipients(addresses: [String], kept: [String]) {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>"])
        for address in addresses {
            #expect(machine.send("RCPT TO:<\(address)>") == [.reply(Replies.recipientOk)])
        }
        #expect(machine.transaction?.recipients.map(\.mailbox.text) == kept)
    }

    @Test("SIZE at MAIL against the maximum", arguments: [
        (9_999_999, "250 2.1.0"), (10_000_000, "250 2.1.0"), (10_000_001, "552 5.3.4"),
        (Int.max, "552 5.3.4"),
    ])
    func declaredSize(size: Int, expected: String) {
        var machine = makeMachine(maxMessageSize: 10_000_000)
        machine.play(["EHLO c.test"])
        #expect(codes(onlyReply(machine.send("MAIL FROM:<a@sender.test> SIZE=\(size)"))) == expected)
        #expect((machine.transaction != nil) == expected.hasPrefix("250"))
    }

    static let internationalized: [Dialog] = [
        Dialog(name: "non-ASCII sender without SMTPUTF8", setup: ["EHLO c.test"],
               line: "MAIL FROM:<jörg@sender.test>", expected: "553 5.6.7"),
        Dialog(name: "non-ASCII sender domain without SMTPUTF8", setup: ["EHLO c.test"],
               line: "MAIL FROM:<a@bücher.test>", expected: "553 5.6.7"),
        Dialog(name: "non-ASCII sender with SMTPUTF8", setup: ["EHLO c.test"],
               line: "MAIL FROM:<jörg@sender.test> SMTPUTF8", expected: "250 2.1.0"),
        Dialog(name: "non-ASCII recipient without SMTPUTF8", setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>"],
               line: "RCPT TO:<jörg@example.org>", expected: "553 5.6.7"),
        Dialog(name: "non-ASCII recipient with SMTPUTF8", setup: ["EHLO c.test", "MAIL FROM:<a@sender.test> SMTPUTF8"],
               line: "RCPT TO:<jörg@example.org>", expected: "250 2.1.5"),
        Dialog(name: "ASCII sender with SMTPUTF8", setup: ["EHLO c.test"],
               line: "MAIL FROM:<a@sender.test> SMTPUTF8", expected: "250 2.1.0"),
    ]

    @Test("non-ASCII addresses need SMTPUTF8", arguments: internationalized)
    func smtpUTF8(dialog: Dialog) {
        var machine = makeMachine()
        machine.play(dialog.setup)
        #expect(codes(onlyReply(machine.send(dialog.line))) == dialog.expected)
    }

    @Test("the 20th error is answered, then 421 and close", arguments: [
        "XYZZY", "DATA", "RCPT TO:<bob@other.test>", "EXPN staff", "MAIL FROM:<a@sender.test> SIZE=999999999",
    ])
    func maxErrors(line: String) {
        var machine = makeMachine()
        #expect(machine.settings.maxErrors == 20)
        machine.play(["EHLO c.test"])
        if line.hasPrefix("RCPT") { machine.play(["MAIL FROM:<a@sender.test>"]) }
        for _ in 1..<20 {
            let reply = onlyReply(machine.send(line))
            #expect(reply?.isPositive == false)
            #expect(!machine.isClosed)
        }
        #expect(machine.errorCount == 19)
        let actions = machine.send(line)
        #expect(actions.count == 2)
        guard actions.count == 2, case .reply(let reply) = actions[0], case .replyAndClose(let last) = actions[1] else {
            Issue.record("expected the reply and then 421, got \(actions)")
            return
        }
        #expect(!reply.isPositive)
        #expect(last == Replies.tooManyErrors)
        #expect(codes(last) == "421 4.7.0")
        #expect(machine.isClosed)
    }

    @Test("a lower error limit is honoured")
    func customMaxErrors() {
        var machine = makeMachine(maxErrors: 3)
        #expect(machine.send("XYZZY") == [.reply(Replies.unrecognized)])
        #expect(machine.send("XYZZY") == [.reply(Replies.unrecognized)])
        #expect(machine.send("XYZZY") == [.reply(Replies.unrecognized), .replyAndClose(Replies.tooManyErrors)])
    }

    @Test("content refused at the end of DATA ends the transaction")
    func dataRejected() {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>", "DATA"])
        #expect(machine.messageComplete(ReceivedContent(violation: nil, size: 100, receivedFields: 101)) == [.reply(Replies.tooManyHops)])
        #expect(codes(Replies.tooManyHops) == "554 5.4.6")
        #expect(machine.transaction == nil)
        #expect(machine.phase == .ready)
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.senderOk)])
    }

    @Test("a spool failure is a tempfail and the session goes on", arguments: [Replies.spoolError, Replies.spoolFull])
    func commitFailed(reply: SMTPReply) {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>", "DATA"])
        _ = machine.messageComplete(cleanContent)
        #expect(machine.committed(reply) == [.reply(reply)])
        #expect(reply.isTransientFailure)
        #expect(machine.phase == .ready)
        #expect(machine.transaction == nil)
    }
}

@Suite("SessionStateMachine: MAIL while the primary takes mail")
struct PrimaryTakesMailTests {
    @Test("MAIL gets 451 4.4.3, starts no transaction and is not counted as the client's error")
    func sentToPrimary() {
        var machine = makeMachine(maxErrors: 2)
        machine.play(["EHLO client.test"])
        for _ in 0..<3 {
            #expect(machine.send("MAIL FROM:<alice@sender.test>", primaryTakesMail: true) == [.reply(Replies.primaryIsUp)])
        }
        #expect(machine.transaction == nil)
        #expect(machine.errorCount == 0)
        #expect(!machine.isClosed)
        #expect(machine.send("MAIL FROM:<alice@sender.test>", primaryTakesMail: false) == [.reply(Replies.senderOk)])
    }

    @Test("the order of checks stands: MAIL before EHLO or inside a transaction is refused as before")
    func sequenceFirst() {
        var machine = makeMachine()
        #expect(machine.send("MAIL FROM:<alice@sender.test>", primaryTakesMail: true) == [.reply(Replies.needHelo)])
        machine.play(["EHLO client.test", "MAIL FROM:<alice@sender.test>"])
        #expect(machine.send("MAIL FROM:<alice@sender.test>", primaryTakesMail: true) == [.reply(Replies.nestedMail)])
    }

    @Test("the question is asked at MAIL only")
    func askedAtMailOnly() throws {
        var machine = makeMachine()
        var asked = 0
        func primaryTakesMail() -> Bool {
            asked += 1
            return false
        }
        for line in ["EHLO client.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>", "NOOP", "RSET"] {
            guard case .success(let command) = CommandParser.parse(Array(line.utf8)) else {
                Issue.record("\(line) does not parse")
                return
            }
            _ = machine.receive(command, primaryTakesMail: primaryTakesMail())
        }
        #expect(asked == 1)
    }
}
