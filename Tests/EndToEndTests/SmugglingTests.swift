import Foundation
import Spool
import SpoolContract
import Testing

/// SMTP smuggling: only <CRLF>.<CRLF> ends DATA. Every other "end of data" a downstream or
/// upstream MTA might honour is content, and a bare CR or LF makes the message refused, so a
/// second message hidden after a fake terminator can never be accepted.
@Suite("SMTP smuggling", .timeLimit(.minutes(2)))
struct SmugglingTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var bytes: [UInt8]
        var testDescription: String {
            bytes.map { switch $0 { case 13: "\\r"; case 10: "\\n"; case 0: "\\x00"; default: String(UnicodeScalar($0)) } }.joined()
        }
    }

    static let variants: [Variant] = [
        "\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\n", "\r\n.\r", "\r.\n", "\r.\r", "\n.\r", "\r\n\u{0}.\r\n",
    ].map { Variant(bytes: Array($0.utf8)) }

    static let smuggled = Array("MAIL FROM:<smuggled@evil.test>\r\nRCPT TO:<v@example.test>\r\nDATA\r\n\r\nsmuggled\r\n.\r\n".utf8)

    @Test("A fake end of data is content: one 550 5.6.0 for the whole thing, nothing spooled", arguments: variants)
    func fakeEndOfData(_ variant: Variant) async throws {
        try await withBackstop { server in
            let connection = try RawSMTPConnection(port: server.port)
            #expect(try await connection.readReply().code == 220)
            #expect(try await connection.command("EHLO client.test").code == 250)
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<v@example.test>").code == 250)
            #expect(try await connection.command("DATA").code == 354)
            // The smuggled part ends in a real <CRLF>.<CRLF>, so the server owes exactly one reply.
            try await connection.send(Array("Subject: x\r\n\r\nhello".utf8) + variant.bytes + Self.smuggled)
            let final = try await connection.readReply()
            #expect(final.isExactly(550, "5.6.0"), "final reply: \(final)")
            // Had the smuggled commands run, their replies would come before this NOOP's.
            let noop = try await connection.command("NOOP")
            #expect(noop == Reply(code: 250, lines: ["2.0.0 Ok"]), "reply after the message: \(noop)")
            #expect(try await connection.command("QUIT").code == 221)
            try await withSpool(at: server.spoolPath) { spool async throws in
                #expect(try await spool.queuedMessageIDs().isEmpty, "nothing may be spooled")
            }
        }
    }

    @Test("A bare LF or bare CR in a command line is refused with 500 5.5.2, and the line is not run")
    func bareLineEndingsInCommands() async throws {
        try await withBackstop { server in
            let connection = try RawSMTPConnection(port: server.port)
            #expect(try await connection.readReply().code == 220)
            #expect(try await connection.command("EHLO client.test").code == 250)
            try await connection.send("NOOP\n")
            #expect(try await connection.readReply().isExactly(500, "5.5.2"))
            // The bare LF ends a (refused) line, so the MAIL is not run and RCPT has no MAIL.
            try await connection.send("MAIL FROM:<a@sender.test>\nRCPT TO:<v@example.test>\r\n")
            #expect(try await connection.readReply().isExactly(500, "5.5.2"))
            #expect(try await connection.readReply().isExactly(503, "5.5.1"))
            // A bare CR inside a line: the QUIT after it must not run.
            try await connection.send("NOOP\rQUIT\r\n")
            #expect(try await connection.readReply().isExactly(500, "5.5.2"))
            #expect(try await connection.command("NOOP") == Reply(code: 250, lines: ["2.0.0 Ok"]))
        }
    }
}
