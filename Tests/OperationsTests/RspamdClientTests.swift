import AsyncHTTPClient
import BackstopSync
import Foundation
@testable import Listener
import NIOCore
import NIOPosix
@testable import Operations
import SpoolContract
import Testing

/// The rspamd client against a scripted HTTP server on loopback: what it sends, and that a
/// server that stalls or answers too much is a failure within the time limit.
@Suite("rspamd client", .timeLimit(.minutes(1)))
struct RspamdClientTests {
    /// Answers every connection with `answer` once the request's headers are in, then keeps
    /// the connection open; keeps what it was sent.
    final class ScriptedServer: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let answer: String
        let received = Locked<[UInt8]>([])
        private let answered = Locked(false)

        init(answer: String) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            let complete = received.withLock { received -> Bool in
                received += bytes
                return received.count >= 4 && String(decoding: received, as: UTF8.self).contains("\r\n\r\n")
            }
            guard complete, !answered.withLock({ let was = $0; $0 = true; return was }) else { return }
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: answer)), promise: nil)
        }

        var request: String { String(decoding: received.withLock { $0 }, as: UTF8.self) }
    }

    static func withServer(answer: String, _ body: (Int, ScriptedServer, HTTPClient) async throws -> Void) async throws {
        let script = ScriptedServer(answer: answer)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(script) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let http = HTTPClient.backstop(group: MultiThreadedEventLoopGroup.singleton)
        do {
            try await body(channel.localAddress?.port ?? 0, script, http)
        } catch {
            try? await http.shutdown()
            try? await channel.close()
            throw error
        }
        try await http.shutdown()
        try await channel.close()
    }

    static let request = FilterRequest(clientAddress: "192.0.2.7", helo: "client.test", sender: "a@sender.test",
                                       recipients: ["u@example.org", "v@example.org"], queueID: "4F2A9C1B7D3E",
                                       traceFields: Array("Received: from client.test\r\n".utf8),
                                       content: .bytes(Array("Subject: hi\r\n\r\nhello\r\n".utf8)))

    static func client(_ http: HTTPClient, port: Int, timeout: Duration = .seconds(5), maxAnswerBytes: Int = 1 << 20) -> RspamdClient {
        RspamdClient(endpoint: "http://127.0.0.1:\(port)", http: http, timeout: timeout, maxAnswerBytes: maxAnswerBytes)
    }

    @Test("POST /checkv2 with rspamd's envelope headers and the message as it will be stored; the answer is parsed")
    func request() async throws {
        let json = #"{"action":"add header","score":7.5,"required_score":15}"#
        try await Self.withServer(answer: "HTTP/1.1 200 OK\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)") { port, server, http in
            let answer = try await Self.client(http, port: port).check(Self.request)
            #expect(answer == FilterAnswer(action: .addHeader, score: 7.5, requiredScore: 15))
            let lines = server.request.components(separatedBy: "\r\n")
            #expect(lines.first == "POST /checkv2 HTTP/1.1")
            for header in ["IP: 192.0.2.7", "Helo: client.test", "From: a@sender.test", "Rcpt: u@example.org",
                           "Rcpt: v@example.org", "Queue-Id: 4F2A9C1B7D3E", "Hostname: unknown"] {
                #expect(lines.contains(header), "\(header) missing from \(lines)")
            }
            #expect(server.request.hasSuffix("\r\n\r\nReceived: from client.test\r\nSubject: hi\r\n\r\nhello\r\n"), "\(server.request)")
        }
    }

    @Test("a server that sends its head and then stalls is a failure at the time limit, and tempfails the message")
    func stalledBody() async throws {
        try await Self.withServer(answer: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"action\":") { port, _, http in
            let started = ContinuousClock.now
            let filtering = ContentFiltering(filter: Self.client(http, port: port, timeout: .milliseconds(500)), onError: .tempfail)
            await #expect(throws: TimeLimitExceeded.self) { try await filtering.filter.check(Self.request) }
            // The server never sends the rest: only the 500 ms limit can have ended the wait. The
            // bound is loose because a loaded machine runs timers late, yet far below a hang.
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test("an answer larger than the bound, or not 200, is a failure")
    func unusableAnswers() async throws {
        let big = "{\"action\":\"no action\",\"pad\":\"" + String(repeating: "x", count: 2000) + "\"}"
        try await Self.withServer(answer: "HTTP/1.1 200 OK\r\nContent-Length: \(big.utf8.count)\r\n\r\n\(big)") { port, _, http in
            await #expect(throws: (any Error).self) { try await Self.client(http, port: port, maxAnswerBytes: 1024).check(Self.request) }
        }
        try await Self.withServer(answer: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n") { port, _, http in
            await #expect(throws: RspamdClient.Failure.self) { try await Self.client(http, port: port).check(Self.request) }
        }
    }
}
