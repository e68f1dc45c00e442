import NIOCore
import NIOEmbedded
import SMTPProtocol
import Testing
@testable import Forwarder

@Suite("ReplyHandler on an EmbeddedChannel")
struct ReplyHandlerTests {
    private func setUp() throws -> (EmbeddedChannel, ReplyHandler) {
        let channel = EmbeddedChannel()
        let handler = ReplyHandler(eventLoop: channel.eventLoop)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        return (channel, handler)
    }

    @Test func queuesRepliesThatArriveBeforeTheReader() throws {
        let (channel, handler) = try setUp()
        try channel.writeInbound(ByteBuffer(string: "220 mx ready\r\n250-mx\r\n250 PIPE"))
        #expect(try handler.nextReply(step: .greeting, timeout: .seconds(1)).wait() == SMTPReply(220, nil, "mx ready"))
        let ehlo = handler.nextReply(step: .ehlo, timeout: .seconds(1))
        #expect(handler.hasUnreadInput)
        try channel.writeInbound(ByteBuffer(string: "LINING\r\n"))
        #expect(try ehlo.wait() == SMTPReply(250, nil, ["mx", "PIPELINING"]))
        #expect(!handler.hasUnreadInput)
    }

    @Test func timeoutFailsTheReaderAndClosesTheChannel() throws {
        let (channel, handler) = try setUp()
        let reply = handler.nextReply(step: .rcpt, timeout: .seconds(300))
        channel.embeddedEventLoop.advanceTime(by: .seconds(299))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(throws: ConnectionFailure.timeout(.rcpt)) { try reply.wait() }
        #expect(!channel.isActive)
        #expect(throws: ConnectionFailure.timeout(.rcpt)) {
            try handler.nextReply(step: .quit, timeout: .seconds(1)).wait()
        }
    }

    @Test("each reader gets its own whole timeout, though one timer serves them all")
    func laterReadersKeepTheirOwnDeadlines() throws {
        let (channel, handler) = try setUp()
        let loop = channel.embeddedEventLoop
        // Answered at 10 s: the timer armed for its 300 s stays, and must not cut the next short.
        let mail = handler.nextReply(step: .mail, timeout: .seconds(300))
        loop.advanceTime(by: .seconds(10))
        try channel.writeInbound(ByteBuffer(string: "250 ok\r\n"))
        #expect(try mail.wait().code == 250)
        let rcpt = handler.nextReply(step: .rcpt, timeout: .seconds(300))
        loop.advanceTime(by: .seconds(299))
        #expect(channel.isActive, "the first reader's timer fired at 300 s; the second is due at 310 s")
        loop.advanceTime(by: .seconds(1))
        #expect(throws: ConnectionFailure.timeout(.rcpt)) { try rcpt.wait() }
        #expect(!channel.isActive)
    }

    @Test("a shorter timeout after a longer one fires on time")
    func shorterTimeoutAfterLongerOne() throws {
        let (channel, handler) = try setUp()
        let loop = channel.embeddedEventLoop
        let greeting = handler.nextReply(step: .greeting, timeout: .seconds(300))
        try channel.writeInbound(ByteBuffer(string: "220 mx\r\n"))
        #expect(try greeting.wait().code == 220)
        let quit = handler.nextReply(step: .quit, timeout: .seconds(5))
        loop.advanceTime(by: .milliseconds(4_999))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        #expect(throws: ConnectionFailure.timeout(.quit)) { try quit.wait() }
    }

    @Test func garbageIsAProtocolViolation() throws {
        let (channel, handler) = try setUp()
        let reply = handler.nextReply(step: .greeting, timeout: .seconds(1))
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n"))
        #expect {
            try reply.wait()
        } throws: { error in
            guard case .protocolViolation = error as? ConnectionFailure else { return false }
            return true
        }
        #expect(!channel.isActive)
    }

    @Test func closeWhileWaitingNamesTheStep() throws {
        let (channel, handler) = try setUp()
        let reply = handler.nextReply(step: .dataEnd, timeout: .seconds(1))
        try channel.close().wait()
        #expect(throws: ConnectionFailure.closed(.dataEnd)) { try reply.wait() }
        #expect(throws: ConnectionFailure.closed(.quit)) {
            try handler.nextReply(step: .quit, timeout: .seconds(1)).wait()
        }
    }

    @Test("a server that sends replies to no command is dropped once a few are queued unread")
    func unaskedRepliesAreCapped() throws {
        let (channel, handler) = try setUp()
        try channel.writeInbound(ByteBuffer(string: "220 mx ready\r\n"))
        let spew = String(repeating: "250 ok\r\n", count: ReplyHandler.maxUnexpectedQueued)
        try channel.writeInbound(ByteBuffer(string: spew))
        #expect(channel.isActive, "a few spare replies are tolerated")
        try channel.writeInbound(ByteBuffer(string: String(repeating: "250 ok\r\n", count: 1000)))
        #expect(!channel.isActive)
        #expect {
            for _ in 0...ReplyHandler.maxUnexpectedQueued + 1 { _ = try handler.nextReply(step: .rset, timeout: .seconds(1)).wait() }
        } throws: { error in
            guard case .protocolViolation = error as? ConnectionFailure else { return false }
            return true
        }
    }

    @Test("a pipelined group's replies all queue, however many recipients it has")
    func pipelinedRepliesAreExpected() throws {
        let (channel, handler) = try setUp()
        for _ in 0..<202 { handler.expectReply() }  // MAIL, 200 RCPT, DATA
        try channel.writeInbound(ByteBuffer(string: "220 mx ready\r\n250 sender ok\r\n"
            + String(repeating: "250 rcpt ok\r\n", count: 200) + "354 go ahead\r\n"))
        #expect(channel.isActive)
        for _ in 0..<202 { _ = try handler.nextReply(step: .rcpt, timeout: .seconds(1)).wait() }
        #expect(try handler.nextReply(step: .data, timeout: .seconds(1)).wait().code == 354)
    }

    @Test("a write into a channel with room goes on at once")
    func writableChannelCompletesAtOnce() throws {
        let (_, handler) = try setUp()
        var outcome: ConnectionFailure?? = .none
        handler.awaitWritable(step: .dataBlock, timeout: .seconds(1)) { outcome = .some($0) }
        #expect(outcome == .some(nil))
    }

    @Test("a write into a full channel waits until it drains, under one timer")
    func fullChannelWaitsForRoom() throws {
        let (channel, handler) = try setUp()
        channel.isWritable = false
        var outcome: ConnectionFailure?? = .none
        handler.awaitWritable(step: .dataBlock, timeout: .seconds(180)) { outcome = .some($0) }
        channel.embeddedEventLoop.advanceTime(by: .seconds(179))
        #expect(outcome == .none, "still full, and within the timeout")
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(outcome == .some(nil))
        // The timer armed for the write must not fire at 180 s on the reader after it.
        let reply = handler.nextReply(step: .dataEnd, timeout: .seconds(600))
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "250 queued\r\n"))
        #expect(try reply.wait().code == 250)
    }

    @Test("a channel that stays full past the timeout fails the write with the step and closes")
    func fullChannelTimesOut() throws {
        let (channel, handler) = try setUp()
        channel.isWritable = false
        var outcome: ConnectionFailure?? = .none
        handler.awaitWritable(step: .dataBlock, timeout: .seconds(180)) { outcome = .some($0) }
        channel.embeddedEventLoop.advanceTime(by: .seconds(180))
        #expect(outcome == .some(.timeout(.dataBlock)))
        #expect(!channel.isActive)
    }

    @Test("a write after the connection closed fails with the step")
    func writeAfterCloseFails() throws {
        let (channel, handler) = try setUp()
        try channel.close().wait()
        var outcome: ConnectionFailure?? = .none
        handler.awaitWritable(step: .dataBlock, timeout: .seconds(1)) { outcome = .some($0) }
        #expect(outcome == .some(.closed(.dataBlock)))
    }

    @Test("a pipelined group's replies come back in order, queued or not, each under its own timeout")
    func pipelinedGroupInOrder() throws {
        let (channel, handler) = try setUp()
        for _ in 0..<3 { handler.expectReply() }
        try channel.writeInbound(ByteBuffer(string: "220 mx\r\n250 sender ok\r\n"))
        _ = try handler.nextReply(step: .greeting, timeout: .seconds(1)).wait()
        var result: Result<[SMTPReply], ConnectionFailure>?
        handler.nextReplies([(.mail, .seconds(300)), (.rcpt, .seconds(300)), (.data, .seconds(300))]) { result = $0 }
        #expect(result == nil)
        try channel.writeInbound(ByteBuffer(string: "250 rcpt ok\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(299))
        #expect(result == nil)
        try channel.writeInbound(ByteBuffer(string: "354 go ahead\r\n"))
        #expect(try result?.get().map(\.code) == [250, 250, 354])
    }

    @Test("a pipelined group ends at the first timeout, naming its step")
    func pipelinedGroupTimesOut() throws {
        let (channel, handler) = try setUp()
        for _ in 0..<2 { handler.expectReply() }
        try channel.writeInbound(ByteBuffer(string: "220 mx\r\n250 sender ok\r\n"))
        _ = try handler.nextReply(step: .greeting, timeout: .seconds(1)).wait()
        var result: Result<[SMTPReply], ConnectionFailure>?
        handler.nextReplies([(.mail, .seconds(300)), (.rcpt, .seconds(300))]) { result = $0 }
        channel.embeddedEventLoop.advanceTime(by: .seconds(300))
        #expect(result == .failure(.timeout(.rcpt)))
        #expect(!channel.isActive)
    }
}
