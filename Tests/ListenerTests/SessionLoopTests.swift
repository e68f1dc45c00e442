import NIOCore
import NIOEmbedded
import Testing
@testable import Listener
@testable import SMTPProtocol

/// The loop guard on an `EmbeddedChannel`: the `Received:` fields are counted once the
/// message is complete, at the end of DATA or of the last BDAT chunk.
@Suite("Loop detection at the end of the message")
struct SessionLoopTests {
    static let transaction = "EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\n"
    /// One field more than `maxHops` allows.
    static let looping = String(repeating: "Received: from a.test by b.test; Sun, 6 Dec 2026 06:00:00 +0000\r\n", count: 101)
        + "Subject: loop\r\n\r\nbody\r\n"

    static func session() throws -> EmbeddedSession {
        let session = try EmbeddedSession(settings: SessionSettings(hostname: testHostname, maxHops: 100))
        _ = try session.replies()
        return session
    }

    @Test("DATA with more Received fields than max_hops gets 554 5.4.6")
    func data() throws {
        let session = try Self.session()
        try session.send(Self.transaction + "DATA\r\n")
        _ = try session.replies()
        try session.send(Self.looping + ".\r\n")
        #expect(try session.replies() == ["554 5.4.6 Too many Received: headers: mail loop detected"])
        #expect(session.store.messages.isEmpty)
    }

    @Test("BDAT: a chunk that is not the last is taken; the last one, which the loop is judged on, gets 554 5.4.6")
    func chunks() throws {
        let session = try Self.session()
        try session.send(Self.transaction + "BDAT \(Self.looping.utf8.count)\r\n" + Self.looping)
        #expect(try session.replies().last == "250 2.0.0 \(Self.looping.utf8.count) octets received")
        try session.send("BDAT 6 LAST\r\nmore\r\n")
        #expect(try session.replies() == ["554 5.4.6 Too many Received: headers: mail loop detected"])
        #expect(session.store.messages.isEmpty)
        #expect(session.channel.isActive)
    }
}
