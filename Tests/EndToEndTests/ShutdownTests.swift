import Foundation
import Spool
import SpoolContract
import Testing

/// SIGTERM is a graceful stop: a message in the middle of DATA is finished and acknowledged,
/// idle sessions are told 421 4.3.2, and the process exits 0.
@Suite("Graceful shutdown", .timeLimit(.minutes(2)))
struct ShutdownTests {
    @Test("SIGTERM during DATA: that message still gets its 250, idle sessions get 421 4.3.2, exit 0")
    func sigtermLetsDataFinish() async throws {
        try await withBackstop(BackstopOptions(server: [])) { server in
            let sending = try RawSMTPConnection(port: server.port)
            #expect(try await sending.readReply().code == 220)
            #expect(try await sending.command("EHLO sender.test").code == 250)
            #expect(try await sending.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await sending.command("RCPT TO:<u@example.test>").code == 250)
            #expect(try await sending.command("DATA").code == 354)
            let firstHalf = Array("Subject: in flight\r\n\r\nfirst half\r\n".utf8)
            try await sending.send(firstHalf)

            let idle = try RawSMTPConnection(port: server.port)
            #expect(try await idle.readReply().code == 220)
            #expect(try await idle.command("EHLO idle.test").code == 250)

            server.process.signal(SIGTERM)
            // The idle session hears of the shutdown: that is the event that says SIGTERM was handled.
            let goodbye = try await idle.readReply()
            #expect(goodbye.isExactly(421, "4.3.2"), "\(goodbye)")
            #expect(try await idle.isClosedByPeer())
            #expect(server.process.isRunning, "backstop must wait for the message in DATA")
            let late = try RawSMTPConnection(port: server.port)
            let refused = try await late.readReply()
            #expect(refused.isExactly(421, "4.3.2"), "a sender connecting while sessions drain is told to retry: \(refused)")
            #expect(try await late.isClosedByPeer())

            let secondHalf = Array("second half\r\n".utf8)
            let reply = try await sending.command(String(decoding: secondHalf, as: UTF8.self) + ".")
            #expect(reply.code == 250 && reply.text.hasPrefix("2.0.0 Ok: queued as "), "\(reply)")
            let afterwards = try await sending.readReply()
            #expect(afterwards.isExactly(421, "4.3.2"), "once the message is done the session is closed: \(afterwards)")

            let status = await server.process.waitForExit(within: .seconds(10))
            #expect(status == .exited(0), "\(String(describing: status)); log:\n\(server.log)")

            try await withSpool(at: server.spoolPath) { spool async throws in
                let id = try #require(try await spool.queuedMessageIDs().first)
                #expect(reply.text.hasSuffix(id.rawValue))
                #expect(try await spool.storedMessage(id.rawValue)?.data == firstHalf + secondHalf)
            }
        }
    }
}
