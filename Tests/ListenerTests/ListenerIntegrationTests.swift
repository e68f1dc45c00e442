import Foundation
import NIOCore
import NIOPosix
@testable import SMTPProtocol
import Spool
import SpoolContract
import Testing
@testable import Listener

/// The listener over real loopback sockets, with a real spool.
@Suite("SMTPListener over sockets", .timeLimit(.minutes(2)))
struct ListenerIntegrationTests {
    @Test("pipelined commands in one write get their replies in order; the message is stored byte for byte")
    func pipelinedMessage() async throws {
        try await withListener { server in
            let client = try await server.connect()
            #expect(try await client.readReply().codes == "220 -")
            try await client.send("""
                EHLO client.test\r
                MAIL FROM:<alice@sender.test> BODY=8BITMIME\r
                RCPT TO:<bob@example.org>\r
                RCPT TO:<nobody@other.test>\r
                RCPT TO:<carol@mx.example.com>\r
                DATA\r

                """)
            let replies = try await client.readReplies(6)
            #expect(replies.map(\.code) == [250, 250, 250, 550, 250, 354])
            #expect(replies[0].lines.contains("PIPELINING"))
            #expect(replies.dropFirst().map(\.codes) == ["250 2.1.0", "250 2.1.5", "550 5.7.1", "250 2.1.5", "354 -"])

            // Dot-stuffed on the wire, unstuffed in the spool; 8-bit text and a line of 998 octets.
            let body = Array("""
                From: Alice <alice@sender.test>\r
                Subject: Grüße\r
                \r
                .a line that starts with a dot\r
                ..two dots\r
                \(String(repeating: "x", count: 998))\r
                last line without anything special\r

                """.utf8)
            let wire = "From: Alice <alice@sender.test>\r\nSubject: Grüße\r\n\r\n"
                + "..a line that starts with a dot\r\n...two dots\r\n\(String(repeating: "x", count: 998))\r\n"
                + "last line without anything special\r\n.\r\nQUIT\r\n"
            try await client.send(wire)
            let queued = try await client.readReply()
            #expect(queued.codes == "250 2.0.0")
            #expect(try await client.readReply().codes == "221 2.0.0")
            #expect(await client.readUntilClosed().isEmpty)

            let queueID = try #require(queued.queueID)
            let stored = try #require(try await server.spool.messageData(of: queueID))
            let header = try #require(splitReceived(stored, body: body))
            #expect(header.hasPrefix("Received: from client.test ([127.0.0.1])\r\n"))
            #expect(header.contains("by \(testHostname) (Backstop) with ESMTP id \(queueID.rawValue)"))
            #expect(!header.contains("for <"), "two recipients: the header names neither")

            let envelope = try #require(try await server.spool.envelope(of: queueID)).envelope
            #expect(envelope.sender == "alice@sender.test")
            #expect(envelope.recipients.map(\.address) == ["bob@example.org", "carol@mx.example.com"])
            #expect(envelope.bodyType == .eightBitMIME)
            #expect(envelope.clientHelo == "client.test")
            #expect(envelope.clientAddress == "127.0.0.1")
        }
    }

    @Test("BDAT chunks, pipelined with their content, are stored as sent")
    func chunkedMessage() async throws {
        try await withListener { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            let first = Array("Subject: chunks\r\n\r\nline one\r\n.not stuffed\r\n".utf8)
            let second = Array("line two\r\n".utf8)
            var wire = Array("EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.org>\r\nBDAT \(first.count)\r\n".utf8)
            wire += first + Array("BDAT \(second.count) LAST\r\n".utf8) + second
            try await client.send(wire)
            let replies = try await client.readReplies(5)
            #expect(replies.map(\.codes) == ["250 -", "250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0"])
            #expect(replies[3].lines == ["2.0.0 \(first.count) octets received"])
            let queueID = try #require(replies[4].queueID)
            let stored = try #require(try await server.spool.messageData(of: queueID))
            let header = try #require(splitReceived(stored, body: first + second))
            #expect(header.contains("for <bob@example.org>"), "one recipient: the header names it")
            await client.close()
        }
    }

    /// A client that waits for each chunk's reply sends nothing after the chunk: the chunk must
    /// end as soon as its last octet is in, not when more input arrives.
    @Test("BDAT in lock step: each chunk is answered as soon as its octets are in", arguments: [
        ["Subject: one\r\n\r\nsingle chunk\r\n"],
        ["Subject: two\r\n\r\nfirst\r\n", "second\r\n"],
        ["Subject: empty last\r\n\r\nbody\r\n", ""],
        ["", "Subject: empty first\r\n\r\nbody\r\n"],
    ])
    func chunksInLockStep(chunks: [String]) async throws {
        try await withListener { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send("EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.org>\r\n")
            #expect(try await client.readReplies(3).map(\.code) == [250, 250, 250])
            var sent = 0
            var last: TestReply?
            for (index, chunk) in chunks.enumerated() {
                let isLast = index == chunks.count - 1
                let octets = Array(chunk.utf8)
                try await client.send(Array("BDAT \(octets.count)\(isLast ? " LAST" : "")\r\n".utf8) + octets)
                sent += octets.count
                let reply = try await client.readReply()
                #expect(reply.codes == "250 2.0.0")
                if !isLast { #expect(reply.lines == ["2.0.0 \(sent) octets received"]) }
                last = reply
            }
            let queueID = try #require(last?.queueID)
            let stored = try #require(try await server.spool.messageData(of: queueID))
            _ = splitReceived(stored, body: Array(chunks.joined().utf8))
            await client.close()
        }
    }

    @Test("a message larger than the memory limit is spilled to a temporary file and stored intact")
    func largeMessage() async throws {
        let settings = SessionSettings(hostname: testHostname, memoryBodyLimit: 64 << 10)
        try await withListener(settings: settings) { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send("EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(4).map(\.code) == [250, 250, 250, 354])

            let body = messageBody(size: 5 << 20)
            try await client.send(body)
            try await waitUntil("the body is written to the incoming directory") { server.temporaryFiles().count == 1 }
            try await client.send(".\r\n")
            let reply = try await client.readReply()
            #expect(reply.codes == "250 2.0.0")

            let queueID = try #require(reply.queueID)
            let stored = try #require(try await server.spool.messageData(of: queueID))
            _ = splitReceived(stored, body: body)
            try await waitUntil("the temporary file is removed after the commit") { server.temporaryFiles().isEmpty }
            await client.close()
        }
    }

    @Test("a message over the size limit is refused with 552 and leaves nothing behind")
    func oversizedMessage() async throws {
        let settings = SessionSettings(hostname: testHostname, maxMessageSize: 1 << 20, memoryBodyLimit: 64 << 10)
        try await withListener(settings: settings) { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send("EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(4).map(\.code) == [250, 250, 250, 354])
            // Half as much again as the limit: too big, yet read to its end (past twice the limit it is cut off).
            try await client.send(messageBody(size: 3 << 19))
            try await waitUntil("the first megabyte is written to the incoming directory") { !server.temporaryFiles().isEmpty }
            try await client.send(".\r\n")
            #expect(try await client.readReply().codes == "552 5.3.4")

            // The session goes on: a message within the limit is accepted on the same connection.
            try await client.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(3).map(\.code) == [250, 250, 354])
            try await client.send("Subject: small\r\n\r\nsmall\r\n.\r\n")
            let accepted = try await client.readReply()
            #expect(accepted.codes == "250 2.0.0")

            try await waitUntil("the refused message's temporary file is removed") { server.temporaryFiles().isEmpty }
            #expect(try await server.spool.queuedMessageIDs() == [try #require(accepted.queueID)])
            await client.close()
        }
    }

    @Test("30 concurrent sessions each get 250, and their commits share fsyncs")
    func groupCommit() async throws {
        let sessions = 30
        try await withListener { server in
            var clients: [SMTPTestClient] = []
            var bodies: [[UInt8]] = []
            for index in 0..<sessions {
                let client = try await server.connect()
                _ = try await client.readReply()
                try await client.send("EHLO c\(index).test\r\nMAIL FROM:<s\(index)@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
                #expect(try await client.readReplies(4).map(\.code) == [250, 250, 250, 354])
                let body = messageBody(size: 4096, subject: "message \(index)")
                try await client.send(body)
                clients.append(client)
                bodies.append(body)
            }
            // Every session ends its message at once, so the commits are concurrent.
            for client in clients {
                client.channel.writeAndFlush(ByteBuffer(string: ".\r\n"), promise: nil)
            }
            var queueIDs: [QueueID] = []
            for client in clients {
                let reply = try await client.readReply()
                #expect(reply.codes == "250 2.0.0")
                queueIDs.append(try #require(reply.queueID))
            }
            #expect(Set(queueIDs).count == sessions)

            let statistics = server.spool.commitStatistics
            #expect(statistics.messagesCommitted == sessions)
            #expect(statistics.batches < sessions, "group commit: \(statistics)")
            for (queueID, body) in zip(queueIDs, bodies) {
                let stored = try #require(try await server.spool.messageData(of: queueID))
                #expect(Array(stored.suffix(body.count)) == body)
            }
            for client in clients { await client.close() }
        }
    }

    @Test("past the connection limits, 421 4.7.0 and close", arguments: [
        (2, 100, 2), (100, 2, 2), (1, 1, 1),
    ])
    func connectionLimits(maxTotal: Int, maxPerAddress: Int, admitted: Int) async throws {
        let limits = ConnectionLimits(maxTotal: maxTotal, maxPerAddress: maxPerAddress)
        try await withListener(limits: limits) { server in
            var clients: [SMTPTestClient] = []
            for _ in 0..<admitted {
                let client = try await server.connect()
                #expect(try await client.readReply().codes == "220 -")
                clients.append(client)
            }
            let refused = try await server.connect()
            #expect(try await refused.readReply().codes == "421 4.7.0")
            #expect(await refused.readUntilClosed().isEmpty)

            // Once a session ends, its place is free again.
            try await clients[0].send("QUIT\r\n")
            #expect(try await clients[0].readReply().code == 221)
            _ = await clients[0].readUntilClosed()
            try await waitUntil("the closed session is released") { server.environment.limits.open == admitted - 1 }
            let next = try await server.connect()
            #expect(try await next.readReply().codes == "220 -")
            for client in clients.dropFirst() + [next] { await client.close() }
        }
    }

    @Test("after 20 errors in one pipelined write: 20 replies, 421 4.7.0, close; the rest is never run")
    func tooManyErrors() async throws {
        try await withListener { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send(String(repeating: "XYZZY\r\n", count: 20) + "EHLO late.test\r\nNOOP\r\n")
            let replies = try await client.readReplies(21)
            #expect(replies.prefix(20).allSatisfy { $0.codes == "500 5.5.2" })
            #expect(replies[20].codes == "421 4.7.0")
            #expect(await client.readUntilClosed().isEmpty)
        }
    }

    @Test("an HTTP request is dropped without a reply")
    func httpRequest() async throws {
        try await withListener { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send("GET / HTTP/1.1\r\nHost: mx2.example.net\r\n\r\n")
            #expect(await client.readUntilClosed().isEmpty)
        }
    }

    @Test("a client that disconnects in the middle of a large message leaves no temporary file")
    func disconnectMidData() async throws {
        let settings = SessionSettings(hostname: testHostname, memoryBodyLimit: 64 << 10)
        try await withListener(settings: settings) { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send("EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(4).map(\.code) == [250, 250, 250, 354])
            try await client.send(messageBody(size: 1 << 20))
            try await waitUntil("the body is written to the incoming directory") { !server.temporaryFiles().isEmpty }
            await client.close()
            try await waitUntil("the session is gone") { server.environment.sessions.count == 0 }
            try await waitUntil("its temporary file is removed") { server.temporaryFiles().isEmpty }
            #expect(try await server.spool.queuedMessageIDs().isEmpty)
        }
    }

    @Test("content past twice the size limit is cut off with 552 5.3.4 and a close, without waiting for its end")
    func runawayMessage() async throws {
        let settings = SessionSettings(hostname: testHostname, maxMessageSize: 64 << 10, memoryBodyLimit: 16 << 10)
        try await withListener(settings: settings) { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send("EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(4).map(\.code) == [250, 250, 250, 354])
            // A header block with no end, and no final dot.
            let fields = (0..<2_000).map { "X-Filler-\($0): \(String(repeating: "f", count: 60))\r\n" }.joined()
            // Sent alongside the reading: the server hangs up before it has read it all.
            let channel = client.channel
            let sending = Task { try? await channel.writeAndFlush(ByteBuffer(string: fields)).get() }
            #expect(try await client.readReply().codes == "552 5.3.4")
            await sending.value
            #expect(await client.readUntilClosed().isEmpty)
            try await waitUntil("the spilled part is removed") { server.temporaryFiles().isEmpty }
            #expect(try await server.spool.queuedMessageIDs().isEmpty)
        }
    }
}
