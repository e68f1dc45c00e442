import Foundation
import Spool
import SpoolContract
import Testing

/// Connection, recipient, size, loop and error limits, and hygiene against non-SMTP clients.
@Suite("Limits", .timeLimit(.minutes(2)))
struct LimitTests {
    static let ok = Reply(code: 250, lines: ["2.0.0 Ok"])

    /// Connects and reads the 220 greeting.
    static func session(_ server: BackstopInstance, from source: String? = nil) async throws -> RawSMTPConnection {
        let connection = try RawSMTPConnection(port: server.port, from: source)
        let greeting = try await connection.readReply()
        #expect(greeting.code == 220, "greeting: \(greeting)")
        return connection
    }

    /// Greeting, EHLO, MAIL and RCPT done.
    static func transaction(_ server: BackstopInstance, mail: String = "MAIL FROM:<a@sender.test>") async throws -> RawSMTPConnection {
        let connection = try await session(server)
        #expect(try await connection.command("EHLO client.test").code == 250)
        #expect(try await connection.command(mail).code == 250)
        #expect(try await connection.command("RCPT TO:<u@example.test>").code == 250)
        return connection
    }

    static func spooledCount(_ server: BackstopInstance) async throws -> Int {
        try await withSpool(at: server.spoolPath) { try await $0.queuedMessageIDs().count }
    }

    @Test("max_connections_per_ip = 2: the third from 127.0.0.1 gets 421 4.7.0; 127.0.0.2 is still served")
    func connectionsPerAddress() async throws {
        try await withBackstop(BackstopOptions(server: ["max_connections_per_ip = 2"])) { server in
            let first = try await Self.session(server)
            let second = try await Self.session(server)
            let third = try RawSMTPConnection(port: server.port)
            let refusal = try await third.readReply()
            #expect(refusal.isExactly(421, "4.7.0"), "\(refusal)")
            #expect(try await third.isClosedByPeer(), "the refused connection is closed")

            let other = try await Self.session(server, from: "127.0.0.2")
            #expect(try await other.command("EHLO other.client.test").code == 250)
            #expect(try await second.command("NOOP") == Self.ok)

            // A slot freed by QUIT is given back (the release follows the close; no event tells us when).
            #expect(try await first.command("QUIT").code == 221)
            #expect(try await first.isClosedByPeer())
            let deadline = ContinuousClock.now + .seconds(5)
            var readmitted = false
            while !readmitted, ContinuousClock.now < deadline {
                let again = try RawSMTPConnection(port: server.port)
                readmitted = try await again.readReply().code == 220
                if !readmitted { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(readmitted, "a connection slot freed by QUIT is reused")
        }
    }

    @Test("max_recipients = 3: the 4th RCPT gets 452 4.5.3, the first three get the message")
    func recipientsPerMessage() async throws {
        try await withBackstop(BackstopOptions(server: ["max_recipients = 3"])) { server in
            let connection = try await Self.session(server)
            #expect(try await connection.command("EHLO client.test").code == 250)
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            for index in 1...3 { #expect(try await connection.command("RCPT TO:<u\(index)@example.test>").code == 250) }
            let fourth = try await connection.command("RCPT TO:<u4@example.test>")
            #expect(fourth.isExactly(452, "4.5.3"), "\(fourth)")
            #expect(try await connection.command("DATA").code == 354)
            let queued = try await connection.command("Subject: three\r\n\r\nx\r\n.")
            #expect(queued.code == 250, "\(queued)")
            try await withSpool(at: server.spoolPath) { spool async throws in
                let id = try #require(try await spool.queuedMessageIDs().first)
                let envelope = try #require(try await spool.envelope(of: id))
                #expect(envelope.envelope.recipients.map(\.address) == ["u1@example.test", "u2@example.test", "u3@example.test"])
            }
        }
    }

    @Test("max_message_size: SIZE over it gets 552 5.3.4 at MAIL; undeclared oversize DATA gets 552 5.3.4 and is not stored")
    func messageSize() async throws {
        try await withBackstop(BackstopOptions(server: ["max_message_size = 10_000"])) { server in
            let connection = try await Self.session(server)
            let ehlo = try await connection.command("EHLO client.test")
            #expect(ehlo.lines.contains("SIZE 10000"), "\(ehlo)")
            for size in ["99999999999999999999999999", "10001"] {
                let reply = try await connection.command("MAIL FROM:<a@sender.test> SIZE=\(size)")
                #expect(reply.isExactly(552, "5.3.4"), "SIZE=\(size): \(reply)")
            }
            #expect(try await connection.command("MAIL FROM:<a@sender.test> SIZE=10000").code == 250)
            #expect(try await connection.command("RSET").code == 250)
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<u@example.test>").code == 250)
            #expect(try await connection.command("DATA").code == 354)

            // 10_001 bytes of content without a SIZE declaration: refused at the end.
            let line = String(repeating: "x", count: 98) + "\r\n"
            var content = "Subject: big\r\n\r\n" + String(repeating: line, count: 99)
            let exact = content + String(repeating: "y", count: 10_000 - content.utf8.count - 2) + "\r\n"
            content = exact.replacingOccurrences(of: "Subject: big", with: "Subject: big!")
            #expect(exact.utf8.count == 10_000 && content.utf8.count == 10_001)
            let refused = try await connection.command(content + ".")
            #expect(refused.isExactly(552, "5.3.4"), "\(refused)")
            #expect(try await connection.command("NOOP") == Self.ok, "the session stays in step after the refusal")

            // Exactly the limit is fine.
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<u@example.test>").code == 250)
            #expect(try await connection.command("DATA").code == 354)
            let accepted = try await connection.command(exact + ".")
            #expect(accepted.code == 250, "\(accepted)")
            #expect(try await Self.spooledCount(server) == 1, "only the message within the limit is stored")
        }
    }

    static func message(hops: Int) -> String {
        var text = ""
        for hop in 0..<hops { text += "Received: from hop\(hop).test by relay\(hop).test; Sat, 21 Nov 2026 06:00:00 +0000\r\n" }
        return text + "Subject: loop\r\n\r\nround and round\r\n"
    }

    @Test("More than 100 Received: headers is a loop: 554 5.4.6; 100 are accepted")
    func mailLoop() async throws {
        try await withBackstop { server in
            let connection = try await Self.transaction(server)
            #expect(try await connection.command("DATA").code == 354)
            let looping = try await connection.command(Self.message(hops: 101) + ".")
            #expect(looping.isExactly(554, "5.4.6"), "\(looping)")
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<u@example.test>").code == 250)
            #expect(try await connection.command("DATA").code == 354)
            let hundred = try await connection.command(Self.message(hops: 100) + ".")
            #expect(hundred.code == 250, "\(hundred)")
            #expect(try await Self.spooledCount(server) == 1)
        }
    }

    @Test("20 bad commands: 421 and the connection is closed")
    func tooManyErrors() async throws {
        try await withBackstop { server in
            let connection = try await Self.session(server)
            try await connection.send(String(repeating: "XYZZY\r\n", count: 20))
            for index in 1...20 {
                let reply = try await connection.readReply()
                #expect(reply.isExactly(500, "5.5.2"), "bad command \(index): \(reply)")
            }
            let closing = try await connection.readReply()
            #expect(closing.code == 421 && closing.enhancedCode?.hasPrefix("4.") == true, "\(closing)")
            #expect(try await connection.isClosedByPeer())
        }
    }

    @Test("An HTTP request is cut off at once, without a single SMTP reply")
    func httpRequestIsDropped() async throws {
        try await withBackstop { server in
            let connection = try await Self.session(server)
            try await connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: e2e\r\n\r\n")
            let after = try await connection.readUntilClosed()
            #expect(after.isEmpty, "the server answered: \(String(decoding: after, as: UTF8.self))")
        }
        try await withBackstop { server in
            // A proxy that does not wait for the greeting gets the greeting and nothing more.
            let connection = try RawSMTPConnection(port: server.port)
            try await connection.send("POST /submit HTTP/1.1\r\n\r\n")
            let everything = String(decoding: try await connection.readUntilClosed(), as: UTF8.self)
            #expect(everything.hasPrefix("220 ") && everything.components(separatedBy: "\r\n").count == 2, "\(everything.debugDescription)")
        }
    }

    @Test("AUTH is not offered and refused with 502")
    func authIsRefused() async throws {
        try await withBackstop { server in
            let connection = try await Self.session(server)
            let ehlo = try await connection.command("EHLO client.test")
            #expect(!ehlo.lines.contains { $0.uppercased().hasPrefix("AUTH") }, "\(ehlo)")
            let auth = try await connection.command("AUTH PLAIN AHVzZXIAcGFzcw==")
            #expect(auth.isExactly(502, "5.5.1"), "\(auth)")
            #expect(try await connection.command("NOOP") == Self.ok)
        }
    }
}
