import Foundation
import NIOCore
import NIOPosix
@testable import SMTPProtocol
import Spool
import SpoolContract
import Testing
@testable import Listener

@Suite("SMTPListener graceful shutdown", .timeLimit(.minutes(1)))
struct ShutdownTests {
    @Test("a session in DATA finishes with 250; an idle one gets 421 4.3.2; nothing new is accepted")
    func gracefulShutdown() async throws {
        // One event loop: the shutdown reaches every session before anything the test sends later.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RunningListener.start(settings: SessionSettings(hostname: testHostname), group: group,
                                                     shutdownGrace: .seconds(30))
        defer { try? FileManager.default.removeItem(at: server.directory) }

        let sending = try await server.connect()
        _ = try await sending.readReply()
        try await sending.send("EHLO sending.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
        #expect(try await sending.readReplies(4).map(\.code) == [250, 250, 250, 354])
        let firstHalf = Array("Subject: in flight\r\n\r\nfirst half\r\n".utf8)
        try await sending.send(firstHalf)

        let idle = try await server.connect()
        _ = try await idle.readReply()
        try await idle.send("EHLO idle.test\r\n")
        #expect(try await idle.readReply().code == 250)

        await server.triggerGracefulShutdown()
        #expect(try await idle.readReply().codes == "421 4.3.2")
        #expect(await idle.readUntilClosed().isEmpty)

        let secondHalf = Array("second half\r\n".utf8)
        try await sending.send(secondHalf + Array(".\r\n".utf8))
        let queued = try await sending.readReply()
        #expect(queued.codes == "250 2.0.0")
        #expect(try await sending.readReply().codes == "421 4.3.2", "after its message, the session is closed too")
        #expect(await sending.readUntilClosed().isEmpty)

        try await server.waitUntilStopped()
        await #expect(throws: (any Error).self, "the listening socket is closed") {
            _ = try await server.connect()
        }
        let queueID = try #require(queued.queueID)
        let stored = try #require(try await server.spool.messageData(of: queueID))
        _ = splitReceived(stored, body: firstHalf + secondHalf)
        try server.spool.close()
        try await group.shutdownGracefully()
    }
}
