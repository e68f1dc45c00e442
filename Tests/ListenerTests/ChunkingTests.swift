@testable import SMTPProtocol
import Testing
@testable import Listener

@Suite("SessionStateMachine: BDAT (RFC 3030)")
struct ChunkingTests {
    static let transaction = ["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"]

    @Test("chunks: first, middle, last; octet counts; commit; ready again")
    func chunks() throws {
        var machine = makeMachine()
        machine.play(Self.transaction)
        #expect(machine.send("BDAT 100") == [.beginChunk(size: 100, first: true, last: false, discard: false)])
        #expect(machine.isReceivingMessage)
        #expect(machine.chunkComplete(cleanContent)
            == [.reply(SMTPReply(250, .init(2, 0, 0), "100 octets received"))])
        #expect(machine.isReceivingMessage, "between chunks the message is still arriving")

        #expect(machine.send("BDAT 50") == [.beginChunk(size: 50, first: false, last: false, discard: false)])
        #expect(machine.chunkComplete(cleanContent)
            == [.reply(SMTPReply(250, .init(2, 0, 0), "150 octets received"))])

        #expect(machine.send("BDAT 25 LAST") == [.beginChunk(size: 25, first: false, last: true, discard: false)])
        let actions = machine.chunkComplete(cleanContent)
        guard actions.count == 1, case .commit(let transaction) = actions[0] else {
            Issue.record("expected a commit, got \(actions)")
            return
        }
        #expect(transaction.usesChunking)
        #expect(transaction.chunkedBytes == 175)
        #expect(transaction.recipients.map(\.mailbox.text) == ["bob@example.org"])

        let queued = Replies.queued("0123456789AB")
        #expect(machine.committed(queued) == [.reply(queued)])
        #expect(machine.phase == .ready)
        #expect(!machine.isReceivingMessage)
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.senderOk)])
    }

    @Test("a single chunk that is also the last", arguments: [0, 1, 4096])
    func singleLastChunk(size: Int) {
        var machine = makeMachine()
        machine.play(Self.transaction)
        #expect(machine.send("BDAT \(size) LAST") == [.beginChunk(size: size, first: true, last: true, discard: false)])
        let actions = machine.chunkComplete(cleanContent)
        guard case .commit(let transaction) = actions.first else {
            Issue.record("expected a commit, got \(actions)")
            return
        }
        #expect(transaction.chunkedBytes == size)
    }

    static let refusedChunks: [Dialog] = [
        Dialog(name: "BDAT before EHLO", setup: [], line: "BDAT 10", expected: "503 5.5.1"),
        Dialog(name: "BDAT before MAIL", setup: ["EHLO c.test"], line: "BDAT 10", expected: "503 5.5.1"),
        Dialog(name: "BDAT LAST before MAIL", setup: ["EHLO c.test"], line: "BDAT 10 LAST", expected: "503 5.5.1"),
        Dialog(name: "BDAT before RCPT", setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>"], line: "BDAT 10",
               expected: "503 5.5.1"),
        Dialog(name: "BDAT with only refused recipients",
               setup: ["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@other.test>"], line: "BDAT 10 LAST",
               expected: "554 5.5.1"),
    ]

    /// The chunk's octets follow the command whatever happens, so they are read (and dropped)
    /// before the refusal is sent; otherwise they would be taken for commands.
    @Test("a refused chunk is read and dropped, then answered", arguments: refusedChunks)
    func refusedChunk(dialog: Dialog) {
        var machine = makeMachine()
        machine.play(dialog.setup)
        let last = dialog.line.hasSuffix("LAST")
        #expect(machine.send(dialog.line) == [.beginChunk(size: 10, first: false, last: last, discard: true)],
                "no reply before the chunk has been read")
        #expect(codes(onlyReply(machine.chunkComplete(cleanContent))) == dialog.expected)
        #expect(!machine.isClosed)
    }

    @Test("after a chunk refused before MAIL the session is where it was")
    func refusedChunkBeforeMail() {
        var machine = makeMachine()
        _ = machine.send("BDAT 3")
        _ = machine.chunkComplete(cleanContent)
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.needHelo)])
        machine.play(["EHLO c.test"])
        _ = machine.send("BDAT 3")
        _ = machine.chunkComplete(cleanContent)
        #expect(machine.send("MAIL FROM:<a@sender.test>") == [.reply(Replies.senderOk)])
    }

    @Test("a refused chunk inside a transaction fails it until RSET")
    func failedTransactionNeedsRset() {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>"])
        _ = machine.send("BDAT 5")
        #expect(machine.chunkComplete(cleanContent) == [.reply(Replies.needRecipient)])
        #expect(machine.send("BDAT 5 LAST") == [.beginChunk(size: 5, first: false, last: true, discard: true)])
        #expect(machine.chunkComplete(cleanContent) == [.reply(Replies.bdatFailed)])
        #expect(machine.send("DATA") == [.reply(Replies.dataAfterBDAT)])
        #expect(machine.send("RSET") == [.reply(Replies.resetOk)])
        machine.play(["MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"])
        #expect(machine.send("BDAT 5 LAST") == [.beginChunk(size: 5, first: true, last: true, discard: false)])
    }

    @Test("bad content in a chunk fails the transaction; later chunks are dropped")
    func chunkContentRejected() {
        var machine = makeMachine()
        machine.play(Self.transaction)
        _ = machine.send("BDAT 10")
        #expect(machine.chunkComplete(ReceivedContent(violation: .bareLineFeed, size: 10, receivedFields: 0))
            == [.discardContent, .reply(Replies.badLineEndingInData)])
        #expect(machine.send("BDAT 10 LAST") == [.beginChunk(size: 10, first: false, last: true, discard: true)])
        #expect(codes(onlyReply(machine.chunkComplete(cleanContent))) == "503 5.5.1")
        #expect(machine.send("RSET") == [.reply(Replies.resetOk)])
        #expect(machine.phase == .ready)
    }

    @Test("a chunk larger than the message limit is refused with 552 and the connection closed", arguments: [
        (["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"], "BDAT 1001"),
        (["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"], "BDAT 1001 LAST"),
        (["EHLO c.test"], "BDAT 5000"),
        ([], "BDAT 999999999999999999"),
    ])
    func oversizeChunk(setup: [String], line: String) {
        var machine = makeMachine(maxMessageSize: 1000)
        machine.play(setup)
        #expect(machine.send(line) == [.replyAndClose(Replies.messageTooBig)])
        #expect(codes(Replies.messageTooBig) == "552 5.3.4")
        #expect(machine.isClosed)
    }

    @Test("chunks that add up past the limit are refused at the chunk that crosses it")
    func cumulativeOversize() {
        var machine = makeMachine(maxMessageSize: 1000)
        machine.play(Self.transaction)
        #expect(machine.send("BDAT 600") == [.beginChunk(size: 600, first: true, last: false, discard: false)])
        _ = machine.chunkComplete(cleanContent)
        #expect(machine.send("BDAT 400") == [.beginChunk(size: 400, first: false, last: false, discard: false)])
        _ = machine.chunkComplete(cleanContent)
        #expect(machine.send("BDAT 1 LAST") == [.replyAndClose(Replies.messageTooBig)])
    }

    @Test("DATA after BDAT in the same transaction is refused")
    func dataAfterBDAT() {
        var machine = makeMachine()
        machine.play(Self.transaction)
        _ = machine.send("BDAT 10")
        _ = machine.chunkComplete(cleanContent)
        let reply = onlyReply(machine.send("DATA"))
        #expect(reply == Replies.dataAfterBDAT)
        #expect(codes(reply) == "503 5.5.1")
        #expect(machine.send("BDAT 5 LAST") == [.beginChunk(size: 5, first: false, last: true, discard: false)],
                "the transaction itself goes on")
    }
}

@Suite("SessionStateMachine: judging received content")
struct ReceivedContentTests {
    static let transaction = ["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"]

    @Test("DATA: a framing violation, a size over the limit or more Received fields than max_hops refuse the message", arguments: [
        (ReceivedContent(violation: .bareCarriageReturn, size: 10, receivedFields: 0), "550 5.6.0"),
        (ReceivedContent(violation: .nulByte, size: 10, receivedFields: 0), "550 5.6.0"),
        (ReceivedContent(violation: nil, size: 1_001, receivedFields: 0), "552 5.3.4"),
        (ReceivedContent(violation: nil, size: 1_000, receivedFields: 101), "554 5.4.6"),
    ])
    func refused(content: ReceivedContent, expected: String) {
        var machine = makeMachine(maxMessageSize: 1_000)
        machine.play(Self.transaction + ["DATA"])
        #expect(codes(onlyReply(machine.messageComplete(content))) == expected)
        #expect(machine.transaction == nil)
    }

    @Test("DATA: exactly the size limit and exactly max_hops Received fields are taken")
    func atTheLimits() {
        var machine = makeMachine(maxMessageSize: 1_000)
        machine.play(Self.transaction + ["DATA"])
        let actions = machine.messageComplete(ReceivedContent(violation: nil, size: 1_000, receivedFields: 100))
        guard actions.count == 1, case .commit = actions[0] else {
            Issue.record("expected a commit, got \(actions)")
            return
        }
    }

    @Test("BDAT: Received fields are counted at the last chunk only; a refused chunk discards the content")
    func loopAtTheLastChunk() {
        var machine = makeMachine()
        machine.play(Self.transaction)
        let looping = ReceivedContent(violation: nil, size: 100, receivedFields: 101)
        _ = machine.send("BDAT 100")
        #expect(codes(onlyReply(machine.chunkComplete(looping))) == "250 2.0.0")
        _ = machine.send("BDAT 10 LAST")
        #expect(machine.chunkComplete(looping) == [.discardContent, .reply(Replies.tooManyHops)])
        #expect(machine.send("BDAT 10 LAST") == [.beginChunk(size: 10, first: false, last: true, discard: true)],
                "the transaction stays failed until RSET")
    }
}
