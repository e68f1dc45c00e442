import NIOCore
import NIOEmbedded
@testable import SMTPProtocol
import Testing
@testable import Listener

/// The handler's timeouts on an `EmbeddedChannel`: its deadlines run on the loop's clock, so
/// the test moves virtual time and sees each timeout at its very moment.
@Suite("Session timeouts on virtual time")
struct SessionTimeoutTests {
    static let timeout = "421 4.4.2 Timeout exceeded, closing connection"
    static let transaction = "EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\n"

    /// A session past the greeting.
    static func session(_ settings: SessionSettings) throws -> EmbeddedSession {
        let session = try EmbeddedSession(settings: settings)
        #expect(try session.replies().first?.hasPrefix("220 ") == true)
        return session
    }

    /// A session that has just been told 354.
    static func sessionInData(_ settings: SessionSettings) throws -> EmbeddedSession {
        let session = try self.session(settings)
        try session.send(transaction + "DATA\r\n")
        #expect(try session.replies().last?.hasPrefix("354 ") == true)
        return session
    }

    /// Nothing said and still connected until `limit` has passed, then the timeout and a close.
    static func expectTimeout(of session: EmbeddedSession, after limit: TimeAmount,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        session.advance(by: limit - .nanoseconds(1))
        #expect(try session.replies().isEmpty, sourceLocation: sourceLocation)
        #expect(session.channel.isActive, "not a moment before the timeout", sourceLocation: sourceLocation)
        session.advance(by: .nanoseconds(1))
        #expect(try session.replies() == [timeout], sourceLocation: sourceLocation)
        #expect(!session.channel.isActive, sourceLocation: sourceLocation)
    }

    @Test("an idle client gets 421 4.4.2 after the command timeout, and is disconnected")
    func commandTimeout() throws {
        let session = try Self.session(SessionSettings(hostname: testHostname, commandTimeout: .seconds(300)))
        try Self.expectTimeout(of: session, after: .seconds(300))
    }

    @Test("each command starts the wait for the next one")
    func commandRestartsTheWait() throws {
        let session = try Self.session(SessionSettings(hostname: testHostname, commandTimeout: .seconds(300)))
        session.advance(by: .seconds(299))
        try session.send("NOOP\r\n")
        #expect(try session.replies() == ["250 2.0.0 Ok"])
        try Self.expectTimeout(of: session, after: .seconds(300))
    }

    @Test("a command trickled in a byte at a time gets 421 4.4.2 at the command timeout all the same")
    func trickledCommand() throws {
        let session = try Self.session(SessionSettings(hostname: testHostname, commandTimeout: .seconds(300)))
        // A byte every 10 s, each well within the timeout; the line would take 330 s.
        var elapsed = TimeAmount.zero
        for byte in "EHLO slow.and.steady.client.test\r\n".utf8 {
            session.advance(by: .seconds(10))
            elapsed = elapsed + .seconds(10)
            guard session.channel.isActive else { break }
            try session.channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(elapsed == .seconds(300), "timed out when the command timeout passed")
        #expect(try session.replies() == [Self.timeout])
        #expect(!session.channel.isActive)
    }

    @Test("after 354 the first content must come within data_initiation_timeout")
    func dataInitiationTimeout() throws {
        let session = try Self.sessionInData(SessionSettings(hostname: testHostname, commandTimeout: .seconds(300),
                                                             dataInitiationTimeout: .seconds(120)))
        try Self.expectTimeout(of: session, after: .seconds(120))
        #expect(session.store.messages.isEmpty)
    }

    @Test("without min_data_rate each block of content buys data_block_timeout")
    func dataBlockTimeout() throws {
        let session = try Self.sessionInData(SessionSettings(hostname: testHostname, dataInitiationTimeout: .seconds(120),
                                                             dataTimeout: .seconds(180), minDataRate: 0))
        session.advance(by: .seconds(100))
        try session.send("Subject: slow\r\n\r\n")
        session.advance(by: .seconds(170))
        try session.send("first line\r\n")
        try Self.expectTimeout(of: session, after: .seconds(180))
        #expect(session.store.messages.isEmpty)
    }

    @Test("the next BDAT chunk of a message under way waits data_block_timeout, not data_initiation_timeout")
    func chunkTimeout() throws {
        let session = try Self.session(SessionSettings(hostname: testHostname, dataInitiationTimeout: .seconds(60),
                                                       dataTimeout: .seconds(180), minDataRate: 0))
        try session.send(Self.transaction + "BDAT 5\r\nhello")
        #expect(try session.replies().last == "250 2.0.0 5 octets received")
        try session.send("BDAT 5 LAST\r\n")
        try Self.expectTimeout(of: session, after: .seconds(180))
    }

    @Test("content trickled in a byte at a time runs out of time at min_data_rate, though each byte comes within the block timeout")
    func trickledContent() throws {
        let session = try Self.sessionInData(SessionSettings(hostname: testHostname, dataInitiationTimeout: .seconds(1),
                                                             dataTimeout: .seconds(1), minDataRate: 500))
        // A byte every 300 ms buys 2 ms each: time runs out at 1.006 s, before the fourth byte.
        var sent = 0
        for byte in "Subject: slow\r\n\r\nvery very slow\r\n.\r\n".utf8 {
            session.advance(by: .milliseconds(300))
            guard session.channel.isActive else { break }
            try session.channel.writeInbound(ByteBuffer(bytes: [byte]))
            sent += 1
        }
        #expect(sent == 3)
        #expect(try session.replies() == [Self.timeout])
        #expect(!session.channel.isActive)
        #expect(session.store.messages.isEmpty)
    }

    @Test("a sender that keeps the rate gets its content read to the end")
    func rateKept() throws {
        let session = try Self.sessionInData(SessionSettings(hostname: testHostname, dataInitiationTimeout: .seconds(1),
                                                             dataTimeout: .seconds(1), minDataRate: 500))
        // 500 bytes every 900 ms: the rate buys a second for each block.
        let line = String(repeating: "x", count: 498) + "\r\n"
        for _ in 0..<20 {
            session.advance(by: .milliseconds(900))
            try session.send(line)
        }
        #expect(try session.replies().isEmpty)
        #expect(session.channel.isActive)
    }
}

@Suite("The MAIL step asks whether the primary takes mail")
struct PrimaryTakesMailSessionTests {
    @Test("while the primary takes mail, MAIL gets 451 4.4.3 and the session stays open")
    func sentToPrimary() throws {
        let session = try EmbeddedSession(settings: SessionSettings(hostname: testHostname), primaryTakesMail: true)
        _ = try session.replies()
        try session.send("EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\n")
        let replies = try session.replies()
        #expect(replies.contains("451 4.4.3 The primary mail host is up; deliver there, this is a backup MX"), "\(replies)")
        #expect(replies.last?.hasPrefix("503 5.5.1") == true, "no transaction was started: \(replies)")
        #expect(session.channel.isActive)
    }

    @Test("otherwise MAIL starts a transaction")
    func keptHere() throws {
        let session = try EmbeddedSession(settings: SessionSettings(hostname: testHostname), primaryTakesMail: false)
        _ = try session.replies()
        try session.send("EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\n")
        #expect(try session.replies().suffix(2) == ["250 2.1.0 Sender ok", "250 2.1.5 Recipient ok"])
    }
}
