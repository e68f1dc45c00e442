@testable import SMTPProtocol
import Testing
@testable import Listener

/// MAIL refuses senders a DSN could not safely go to, by syntax alone: no DNS lookup at MAIL.
@Suite("Sender policy at MAIL")
struct SenderPolicyTests {
    @Test("address literals and names that cannot be mail domains are refused", arguments: [
        ("MAIL FROM:<root@[10.0.0.5]>", "553 5.1.7"),
        ("MAIL FROM:<root@[127.0.0.1]>", "553 5.1.7"),
        ("MAIL FROM:<root@[IPv6:::1]>", "553 5.1.7"),
        ("MAIL FROM:<@relay.test:root@[10.0.0.5]>", "553 5.1.7"),
        ("MAIL FROM:<a@localhost>", "550 5.1.8"),
        ("MAIL FROM:<a@intranet>", "550 5.1.8"),
        ("MAIL FROM:<a@host.123>", "550 5.1.8"),
        ("MAIL FROM:<a@10.0.0.5>", "550 5.1.8"),
    ])
    func refused(line: String, expected: String) {
        var machine = makeMachine()
        _ = machine.send("EHLO c.test")
        #expect(codes(onlyReply(machine.send(line))) == expected)
        #expect(machine.transaction == nil)
        // The session goes on: a proper sender is accepted next.
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.senderOk)])
    }

    @Test("test and internal senders without DNS, and the null sender, are accepted", arguments: [
        "MAIL FROM:<>", "MAIL FROM:<a@sender.test>", "MAIL FROM:<a@x.example>", "MAIL FROM:<a@host.123a>",
        "MAIL FROM:<a@mail.xn--bcher-kva.example>", "MAIL FROM:<jörg@bücher.test> SMTPUTF8",
    ])
    func accepted(line: String) {
        var machine = makeMachine()
        _ = machine.send("EHLO c.test")
        #expect(machine.send(line) == [.reply(Replies.senderOk)])
    }
}
