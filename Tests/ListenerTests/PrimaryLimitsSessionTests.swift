@testable import SMTPProtocol
import Testing
@testable import Listener

/// The session offers and enforces no more than the primaries take (`OfferedExtensions`):
/// a smaller SIZE, no SMTPUTF8, no 8BITMIME, from the EHLO that advertised it on.
@Suite("SessionStateMachine: what the primaries take")
struct PrimaryLimitsSessionTests {
    let narrow = OfferedExtensions(maxMessageSize: 10_000, smtpUTF8: false, eightBitMIME: false)

    private func keywords(_ machine: inout SessionStateMachine) throws -> [String] {
        Array(try #require(onlyReply(machine.send("EHLO client.test"))).lines.dropFirst())
    }

    @Test func ehloAdvertisesTheSmallerSizeAndLeavesOutWhatThePrimaryLacks() throws {
        var machine = makeMachine(maxMessageSize: 50_000)
        machine.offer(narrow)
        let offered = try keywords(&machine)
        #expect(offered.contains("SIZE 10000"))
        #expect(!offered.contains("SMTPUTF8"))
        #expect(!offered.contains("8BITMIME"))
        #expect(offered.contains("PIPELINING") && offered.contains("CHUNKING"))
        #expect(machine.messageSizeLimit == 10_000)
    }

    @Test func aPrimaryThatTakesMoreNeverRaisesOurOwnLimit() throws {
        var machine = makeMachine(maxMessageSize: 50_000)
        machine.offer(OfferedExtensions(maxMessageSize: 90_000, smtpUTF8: true, eightBitMIME: true))
        let offered = try keywords(&machine)
        #expect(offered.contains("SIZE 50000"))
        #expect(offered.contains("SMTPUTF8") && offered.contains("8BITMIME"))
    }

    @Test func nothingKnownMeansOurOwnLimits() throws {
        var machine = makeMachine(maxMessageSize: 50_000)
        machine.offer(nil)
        let offered = try keywords(&machine)
        #expect(offered.contains("SIZE 50000") && offered.contains("SMTPUTF8") && offered.contains("8BITMIME"))
    }

    @Test func anOfferTakesEffectAtTheNextEHLO() throws {
        var machine = makeMachine(maxMessageSize: 50_000)
        machine.play(["EHLO client.test"])
        machine.offer(narrow)
        #expect(machine.send("MAIL FROM:<a@sender.test> SIZE=20000") == [.reply(Replies.senderOk)],
                "the session keeps what it advertised")
        machine.play(["RSET"])
        #expect(try keywords(&machine).contains("SIZE 10000"))
        #expect(codes(onlyReply(machine.send("MAIL FROM:<a@sender.test> SIZE=20000"))) == "552 5.3.4")
    }

    @Test("MAIL parameters beyond what the primary takes are refused",
          arguments: [("MAIL FROM:<a@sender.test> SIZE=10001", "552 5.3.4"),
                      ("MAIL FROM:<a@sender.test> SMTPUTF8", "553 5.6.7"),
                      ("MAIL FROM:<josé@sender.test> SMTPUTF8", "553 5.6.7"),
                      ("MAIL FROM:<josé@sender.test>", "553 5.6.7"),
                      ("MAIL FROM:<a@sender.test> BODY=8BITMIME", "555 5.5.4"),
                      ("MAIL FROM:<a@sender.test> SIZE=10000 BODY=7BIT", "250 2.1.0")])
    func mailParameters(line: String, expected: String) throws {
        var machine = makeMachine(maxMessageSize: 50_000)
        machine.offer(narrow)
        machine.play(["EHLO client.test"])
        #expect(codes(onlyReply(machine.send(line))) == expected)
    }

    @Test func dataAndChunksPastTheSmallerSizeAreRefused() throws {
        var machine = makeMachine(maxMessageSize: 50_000)
        machine.offer(narrow)
        machine.play(["EHLO client.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>", "DATA"])
        let big = ReceivedContent(violation: nil, size: 20_000, receivedFields: 1)
        #expect(codes(onlyReply(machine.messageComplete(big))) == "552 5.3.4")

        machine.play(["MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"])
        #expect(machine.send("BDAT 20000 LAST") == [.replyAndClose(Replies.messageTooBig)])
    }
}
