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
}
