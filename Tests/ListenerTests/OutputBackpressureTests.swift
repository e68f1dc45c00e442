import NIOCore
import NIOEmbedded
@testable import SMTPProtocol
import Testing
@testable import Listener

@Suite("Replies a client does not read")
struct OutputBackpressureTests {
    static let pipelined = String(repeating: "NOOP\r\nHELP\r\nRSET\r\n", count: 3)

    @Test("while the channel is unwritable nothing more is read or answered; once writable, the rest is answered in order and reading resumes")
    func pausesWhileUnwritable() throws {
        let session = try EmbeddedSession(settings: SessionSettings(hostname: testHostname))
        #expect(try session.replies().first?.hasPrefix("220 ") == true)
        try session.send("EHLO client.test\r\n")
        #expect(try session.replies().first?.hasPrefix("250-") == true)

        session.setWritable(false)
        let readsBefore = session.probe.reads
        session.channel.read()
        #expect(session.probe.reads == readsBefore, "no read is asked for while the client is not reading")
        try session.send(Self.pipelined)
        #expect(try session.replies().isEmpty, "commands already read wait for the client")
        #expect(session.probe.reads == readsBefore)

        session.setWritable(true)
        let replies = try session.replies()
        #expect(replies.filter { $0.hasPrefix("250 ") }.count == 6, "NOOP and RSET, three times: \(replies)")
        #expect(replies.filter { $0.hasPrefix("214 ") }.count == 3, "HELP, three times: \(replies)")
        #expect(session.probe.reads == readsBefore + 1, "the read held back is asked for")
        #expect(session.channel.isActive)
    }

    @Test("a client that sends commands and never reads gets the command timeout, and is closed at once")
    func commandTimeoutWhileUnwritable() throws {
        let settings = SessionSettings(hostname: testHostname, commandTimeout: .seconds(5))
        let session = try EmbeddedSession(settings: settings)
        _ = try session.replies()
        session.probe.holdsWrites = true
        try session.send("EHLO client.test\r\n")
        session.setWritable(false)
        try session.send(Self.pipelined)
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(session.channel.isActive, "still within the command timeout")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!session.channel.isActive, "the timeout reply cannot go out, so the close does not wait for it")
    }

    @Test("the reply before a close waits at most close_linger for a client that does not take it")
    func closeLinger() throws {
        let settings = SessionSettings(hostname: testHostname, closeLinger: .seconds(3))
        let session = try EmbeddedSession(settings: settings)
        _ = try session.replies()
        session.probe.holdsWrites = true
        try session.send("QUIT\r\n")
        #expect(session.channel.isActive, "the 221 is still on its way")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(session.channel.isActive)
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!session.channel.isActive)
    }

    @Test("past max_pending_output bytes of replies not taken, the session is closed and reads nothing more")
    func closedPastTheBound() throws {
        let settings = SessionSettings(hostname: testHostname, maxPendingOutput: 4096)
        let session = try EmbeddedSession(settings: settings)
        _ = try session.replies()
        // The channel stays writable: only the session's own count can stop this.
        session.probe.holdsWrites = true
        try session.send("EHLO client.test\r\n" + String(repeating: "HELP\r\n", count: 1000))
        #expect(!session.channel.isActive)
        let helpReply = Replies.help.wireFormat.utf8.count
        #expect(session.probe.heldWrites * helpReply < 4096 + 2 * helpReply + 512,
                "stopped at the bound: \(session.probe.heldWrites) replies written")
    }
}
