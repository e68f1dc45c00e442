import Foundation
import Spool
import SpoolContract
import Testing

/// Nasty sessions against the real binary, one table row each: what a spammer, a broken client
/// or a cross-protocol attacker sends, the replies (code and enhanced code) it must get, whether
/// the connection must be closed, and that nothing reaches the spool.
///
/// Cases covered elsewhere are not repeated: fake ends of DATA and bare CR/LF in commands
/// (SmugglingTests), AUTH, HTTP right after the greeting and the error limit (LimitTests),
/// commands injected after STARTTLS (STARTTLSTests), DATA after BDAT (ChunkingTests).
@Suite("Protocol abuse", .timeLimit(.minutes(3)))
struct ProtocolAbuseTests {
    /// Bytes sent in one write, and the replies they must get: `"503 5.5.1"`, `"250"` for a reply
    /// without an enhanced code, `"452 4.5.3 ×9900"` for a run of equal replies.
    struct Exchange: Sendable {
        var send: [UInt8]
        var replies: [String]

        init(_ send: String, _ replies: [String]) { self.init(Array(send.utf8), replies) }
        init(_ send: [UInt8], _ replies: [String]) {
            self.send = send
            self.replies = replies
        }
    }

    struct AbuseSession: Sendable, CustomTestStringConvertible {
        var name: String
        var exchanges: [Exchange]
        /// The server must hang up after the last reply; otherwise the session must still be in
        /// step (NOOP answered with 250).
        var closes = false
        var server: [String] = []
        var testDescription: String { name }
    }

    static let ehlo = "EHLO client.test\r\n"
    static let transaction = ehlo + "MAIL FROM:<a@sender.test>\r\nRCPT TO:<u@example.test>\r\n"
    static let transactionReplies = ["250", "250 2.1.0", "250 2.1.5"]
    /// RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain, 256 of path, 512 of command line.
    static let longLabel = String(repeating: "d", count: 63)
    static let longDomain = [longLabel, longLabel, longLabel, "example.test"].joined(separator: ".")

    static let sessions: [AbuseSession] = [
        AbuseSession(name: "commands before EHLO: 503 each, a BDAT chunk is still consumed", exchanges: [
            Exchange("RSET\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<u@example.test>\r\nBDAT 6 LAST\r\nQUIT\r\nDATA\r\n",
                     ["250 2.0.0", "503 5.5.1", "503 5.5.1", "503 5.5.1", "503 5.5.1"]),
        ]),
        AbuseSession(name: "RCPT and DATA before MAIL", exchanges: [
            Exchange(ehlo + "RCPT TO:<u@example.test>\r\nDATA\r\n", ["250", "503 5.5.1", "503 5.5.1"]),
        ]),
        AbuseSession(name: "a message pipelined after a refused DATA is a synchronization error, never commands", exchanges: [
            Exchange(ehlo + "MAIL FROM:<a@sender.test>\r\nRCPT TO:<u@elsewhere.test>\r\nDATA\r\n"
                        + "MAIL FROM:<smuggled@evil.test>\r\nRCPT TO:<v@example.test>\r\nDATA\r\n\r\nsmuggled\r\n.\r\n",
                     ["250", "250 2.1.0", "550 5.7.1", "554 5.5.0"]),
        ], closes: true),
        AbuseSession(name: "content sent with DATA, before its 354, is a synchronization error", exchanges: [
            Exchange(transaction + "DATA\r\nSubject: eager\r\n\r\nbody\r\n.\r\n", transactionReplies + ["554 5.5.0"]),
        ], closes: true),
        AbuseSession(name: "10,000 pipelined RCPTs: 100 accepted, the rest 452 4.5.3, the session goes on", exchanges: [
            Exchange(ehlo + "MAIL FROM:<a@sender.test>\r\n"
                        + (1...10_000).map { "RCPT TO:<u\($0)@example.test>\r\n" }.joined() + "RSET\r\n",
                     ["250", "250 2.1.0", "250 2.1.5 ×100", "452 4.5.3 ×9900", "250 2.0.0"]),
        ]),
        AbuseSession(name: "10,000 pipelined RCPTs to a domain we do not serve: 20 refusals, then 421 and close", exchanges: [
            Exchange(ehlo + "MAIL FROM:<a@sender.test>\r\n" + (1...10_000).map { "RCPT TO:<u\($0)@elsewhere.test>\r\n" }.joined(),
                     ["250", "250 2.1.0", "550 5.7.1 ×20", "421 4.7.0"]),
        ], closes: true),
        AbuseSession(name: "NUL bytes in commands", exchanges: [
            Exchange(ehlo + "MAIL FROM:<a@sender.test>\0\r\nNOOP\0\r\n\0\r\n", ["250", "500 5.5.2 ×3"]),
        ]),
        AbuseSession(name: "NUL byte in a header: 550 5.6.0 at the end of DATA", exchanges: [
            Exchange(transaction + "DATA\r\n", transactionReplies + ["354"]),
            Exchange("Subject: a\0b\r\n\r\nbody\r\n.\r\n", ["550 5.6.0"]),
        ]),
        AbuseSession(name: "invalid UTF-8 in a command, with and without SMTPUTF8", exchanges: [
            Exchange(Array(ehlo.utf8) + Array("MAIL FROM:<j".utf8) + [0xC3, 0x28] + Array("@sender.test> SMTPUTF8\r\n".utf8)
                        + Array("MAIL FROM:<".utf8) + [0xFF] + Array("@sender.test>\r\n".utf8)
                        + Array("MAIL FROM:<a@sender.test>\r\nRCPT TO:<".utf8) + [0xED, 0xA0, 0x80] + Array("@example.test>\r\n".utf8),
                     ["250", "500 5.5.2", "500 5.5.2", "250 2.1.0", "500 5.5.2"]),
        ]),
        AbuseSession(name: "UTF-8 addresses need SMTPUTF8 on MAIL", exchanges: [
            Exchange(ehlo + "MAIL FROM:<jörg@sender.test>\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<jörg@example.test>\r\nRSET\r\n"
                        + "MAIL FROM:<jörg@sender.test> SMTPUTF8\r\nRCPT TO:<jörg@example.test>\r\nRSET\r\n",
                     ["250", "553 5.6.7", "250 2.1.0", "553 5.6.7", "250 2.0.0", "250 2.1.0", "250 2.1.5", "250 2.0.0"]),
        ]),
        AbuseSession(name: "local part of 64 octets is accepted, 65 refused", exchanges: [
            Exchange(ehlo + "MAIL FROM:<a@sender.test>\r\n"
                        + "RCPT TO:<\(String(repeating: "l", count: 64))@example.test>\r\n"
                        + "RCPT TO:<\(String(repeating: "l", count: 65))@example.test>\r\nRSET\r\n",
                     ["250", "250 2.1.0", "250 2.1.5", "501 5.1.3", "250 2.0.0"]),
        ]),
        AbuseSession(name: "overlong domain label, domain and path", exchanges: [
            Exchange(ehlo + "MAIL FROM:<a@\(longLabel)d.sender.test>\r\n"
                        + "MAIL FROM:<\(String(repeating: "l", count: 64))@\(longDomain)>\r\n"
                        + "MAIL FROM:<a@sender.test>\r\nRCPT TO:<u@\(longLabel).\(longDomain)>\r\nRSET\r\n",
                     ["250", "501 5.1.7", "501 5.1.7", "250 2.1.0", "501 5.1.3", "250 2.0.0"]),
        ]),
        AbuseSession(name: "a command line of 512 octets is read, one of 513 refused", exchanges: [
            Exchange("NOOP " + String(repeating: "x", count: 505) + "\r\n" + "NOOP " + String(repeating: "x", count: 506) + "\r\n",
                     ["250 2.0.0", "500 5.5.2"]),
        ]),
        AbuseSession(name: "BDAT with a size beyond the message limit: 552 and close", exchanges: [
            Exchange(transaction + "BDAT 999999999999 LAST\r\n", transactionReplies + ["552 5.3.4"]),
        ], closes: true),
        AbuseSession(name: "BDAT with a size of 20 digits or a negative size: 501 5.5.4", exchanges: [
            Exchange(transaction + "BDAT 99999999999999999999 LAST\r\nBDAT -1 LAST\r\nBDAT -0\r\nRSET\r\n",
                     transactionReplies + ["501 5.5.4 ×3", "250 2.0.0"]),
        ]),
        AbuseSession(name: "STARTTLS where none is offered", exchanges: [
            Exchange(ehlo + "STARTTLS\r\n", ["250", "502 5.5.1"]),
        ]),
        AbuseSession(name: "an HTTP request inside a transaction: closed without a reply", exchanges: [
            Exchange(transaction + "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", transactionReplies),
        ], closes: true),
    ]

    @Test("A nasty session gets its replies and stores nothing", arguments: sessions)
    func abusiveSession(_ session: AbuseSession) async throws {
        try await withBackstop(BackstopOptions(server: session.server)) { server in
            let connection = try RawSMTPConnection(port: server.port)
            #expect(try await connection.readReply().code == 220)
            for exchange in session.exchanges {
                do {
                    try await connection.send(exchange.send)
                } catch where session.closes {
                    // The server may hang up, and reset, before a long pipelined write is through.
                }
                var replies: [String] = []
                let expected = Self.expanded(exchange.replies)
                for _ in expected.indices {
                    let reply = try await connection.readReply()
                    replies.append(reply.enhancedCode.map { "\(reply.code) \($0)" } ?? "\(reply.code)")
                }
                #expect(Self.runs(replies) == Self.runs(expected))
            }
            if session.closes {
                let after = try await connection.readUntilClosed()
                #expect(after.isEmpty, "after the last reply: \(String(decoding: after, as: UTF8.self).debugDescription)")
            } else {
                #expect(try await connection.command("NOOP") == Reply(code: 250, lines: ["2.0.0 Ok"]), "the session is in step")
            }
            try await withSpool(at: server.spoolPath) { spool async throws in
                #expect(try await spool.queuedMessageIDs().isEmpty, "nothing may be spooled")
            }
        }
    }

    @Test("STARTTLS twice: the second, inside TLS, gets 503 5.5.1 and the session goes on")
    func startTLSTwice() async throws {
        try await withBackstop(BackstopOptions(tls: true)) { server in
            let results = try await smtplibDialog([
                .connect(server.port), .ehlo(), .starttls, .ehlo(), .command("STARTTLS"), .command("NOOP"), .quit,
            ])
            #expect(results[2].code == 220, "\(results[2])")
            #expect(results[4].code == 503 && results[4].enhancedCode == "5.5.1", "\(results[4])")
            #expect(results[5].code == 250, "\(results[5])")
        }
    }

    /// `["250", "250 2.1.5 ×2"]` → `["250", "250 2.1.5", "250 2.1.5"]`.
    static func expanded(_ expected: [String]) -> [String] {
        expected.flatMap { entry -> [String] in
            guard let times = entry.range(of: " ×"), let count = Int(entry[times.upperBound...]) else { return [entry] }
            return Array(repeating: String(entry[..<times.lowerBound]), count: count)
        }
    }

    /// Consecutive equal replies folded into one `"reply ×count"` entry.
    static func runs(_ replies: [String]) -> [String] {
        var out: [(String, Int)] = []
        for reply in replies {
            if let last = out.last, last.0 == reply { out[out.count - 1].1 += 1 } else { out.append((reply, 1)) }
        }
        return out.map { $0.1 == 1 ? $0.0 : "\($0.0) ×\($0.1)" }
    }
}
