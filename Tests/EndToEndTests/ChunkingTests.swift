import Foundation
import Spool
import SpoolContract
import Testing

/// CHUNKING (RFC 3030): BDAT chunks are stored exactly; BDAT content is always consumed, even
/// when the command is refused, so it can never be run as commands.
@Suite("BDAT", .timeLimit(.minutes(2)))
struct ChunkingTests {
    static func ready(_ server: BackstopInstance) async throws -> RawSMTPConnection {
        let connection = try RawSMTPConnection(port: server.port)
        #expect(try await connection.readReply().code == 220)
        let ehlo = try await connection.command("EHLO client.test")
        #expect(ehlo.lines.contains("CHUNKING"), "\(ehlo)")
        return connection
    }

    @Test("Two chunks, the second LAST: 250 queued, stored bytes identical")
    func twoChunks() async throws {
        try await withBackstop { server in
            let connection = try await Self.ready(server)
            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<u@example.test>").code == 250)
            // No dot-stuffing in BDAT: a line ".\r\n" is plain content.
            let first = Array("Subject: chunked\r\n\r\nfirst chunk, ".utf8)
            let second = Array("then the second\r\n.\r\n..stays as is\r\n".utf8)
            try await connection.send(Array("BDAT \(first.count)\r\n".utf8) + first)
            let chunkReply = try await connection.readReply()
            #expect(chunkReply.code == 250, "\(chunkReply)")
            try await connection.send(Array("BDAT \(second.count) LAST\r\n".utf8) + second)
            let reply = try await connection.readReply()
            #expect(reply.code == 250 && reply.text.hasPrefix("2.0.0 Ok: queued as "), "\(reply)")
            let id = try #require(reply.text.split(separator: " ").last.map(String.init))
            try await withSpool(at: server.spoolPath) { spool async throws in
                let stored = try #require(try await spool.storedMessage(id))
                #expect(stored.data == first + second)
                #expect(stored.receivedHeader.contains("with ESMTP id \(id)"), "\(stored.receivedHeader)")
            }
        }
    }

    @Test("BDAT before MAIL: its bytes are consumed, then 503; DATA after BDAT: 503")
    func bdatOutOfSequence() async throws {
        try await withBackstop { server in
            let connection = try await Self.ready(server)
            // The chunk is made of commands; run as commands they would answer and hang up.
            let chunk = "QUIT\r\nQUIT\r\n"
            try await connection.send("BDAT \(chunk.utf8.count)\r\n\(chunk)")
            let refused = try await connection.readReply()
            #expect(refused.isExactly(503, "5.5.1"), "\(refused)")
            #expect(try await connection.command("NOOP") == Reply(code: 250, lines: ["2.0.0 Ok"]), "the chunk was consumed")

            #expect(try await connection.command("MAIL FROM:<a@sender.test>").code == 250)
            #expect(try await connection.command("RCPT TO:<u@example.test>").code == 250)
            try await connection.send("BDAT 5\r\nabc\r\n")
            #expect(try await connection.readReply().code == 250)
            let data = try await connection.command("DATA")
            #expect(data.isExactly(503, "5.5.1"), "\(data)")
            #expect(try await connection.command("RSET").code == 250)
            #expect(try await connection.command("QUIT").code == 221)
            try await withSpool(at: server.spoolPath) { spool async throws in
                #expect(try await spool.queuedMessageIDs().isEmpty)
            }
        }
    }
}
