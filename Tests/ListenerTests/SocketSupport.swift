import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
@testable import SMTPProtocol
import Spool
import SpoolContract
import Testing
@testable import Listener

let quietLogger = Logger(label: "backstop.listener.tests") { _ in SwiftLogNoOpLogHandler() }

/// A real `SMTPListener` on 127.0.0.1 with a real spool in a directory of its own, run as a
/// service of a `ServiceGroup` so a test can shut it down gracefully.
final class RunningListener: Sendable {
    let directory: URL
    let spool: Spool
    let listener: SMTPListener
    let port: Int
    private let services: ServiceGroup
    private let running: Task<Void, any Error>

    var incomingDirectory: String { listener.environment.incomingDirectory }
    var environment: ListenerEnvironment { listener.environment }

    private init(directory: URL, spool: Spool, listener: SMTPListener, port: Int) {
        self.directory = directory
        self.spool = spool
        self.listener = listener
        self.port = port
        let services = ServiceGroup(configuration: .init(services: [.init(service: listener)], logger: quietLogger))
        self.services = services
        self.running = Task { try await services.run() }
    }

    static func start(settings: SessionSettings, domains: [String] = testDomains, tls: NIOSSLContext? = nil,
                      limits: ConnectionLimits = ConnectionLimits(maxTotal: 100, maxPerAddress: 100),
                      group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                      shutdownGrace: Duration = .seconds(10),
                      verifier: (any RecipientVerifier)? = nil,
                      spillFileOperations: any SpillFileOperations = POSIXSpillFileOperations(),
                      authenticator: MessageAuthenticator? = nil) async throws -> RunningListener {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("backstop-listener-tests-\(UUID().uuidString)", isDirectory: true)
        let incoming = directory.appendingPathComponent("incoming").path
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path, logger: quietLogger)
        let environment = ListenerEnvironment(
            settings: settings,
            reloadable: .init(policy: RelayPolicy(domains: domains, verifiesRecipients: verifier != nil), tls: tls),
            store: spool, incomingDirectory: incoming, threadPool: NIOThreadPool.singleton, limits: limits,
            logger: quietLogger, primaryLimits: { nil }, recipientVerifier: verifier, authenticator: authenticator, spillFileOperations: spillFileOperations)
        let listener = SMTPListener(addresses: [.init(host: "127.0.0.1", port: 0)], environment: environment,
                                    group: group, shutdownGrace: shutdownGrace)
        let bound = try await listener.bind()
        let port = try #require(bound.first?.port)
        return RunningListener(directory: directory, spool: spool, listener: listener, port: port)
    }

    /// What SIGTERM does to `backstop serve`.
    func triggerGracefulShutdown() async {
        await services.triggerGracefulShutdown()
    }

    /// Waits until the listener's `run` has returned.
    func waitUntilStopped() async throws {
        try await running.value
    }

    func stop() async throws {
        await triggerGracefulShutdown()
        try await waitUntilStopped()
        try spool.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Descriptors of this process open on files in the incoming directory.
    func openTemporaryFiles() -> Int {
        openDescriptors(under: incomingDirectory)
    }

    /// Temporary body files in the incoming directory.
    func temporaryFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: incomingDirectory)) ?? []).filter { $0.hasSuffix(".tmp") }
    }

    func connect() async throws -> SMTPTestClient {
        try await SMTPTestClient.connect(port: port)
    }
}

/// Runs `body` against a fresh listener and always stops it afterwards.
func withListener(settings: SessionSettings = SessionSettings(hostname: testHostname), tls: NIOSSLContext? = nil,
                  limits: ConnectionLimits = ConnectionLimits(maxTotal: 100, maxPerAddress: 100),
                  verifier: (any RecipientVerifier)? = nil,
                  spillFileOperations: any SpillFileOperations = POSIXSpillFileOperations(),
                  authenticator: MessageAuthenticator? = nil,
                  _ body: (RunningListener) async throws -> Void) async throws {
    let server = try await RunningListener.start(settings: settings, tls: tls, limits: limits, verifier: verifier,
                                                 spillFileOperations: spillFileOperations, authenticator: authenticator)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
}

/// One reply as the test client saw it: the code and the text of each line after it.
struct TestReply: CustomStringConvertible {
    let code: Int
    let lines: [String]

    /// The enhanced status code that starts the first line, if any.
    var status: String? {
        EnhancedStatusCode(parsing: Substring(lines[0]))?.description
    }

    /// `"250 2.1.5"`, as in the tables.
    var codes: String { "\(code) \(status ?? "-")" }
    var description: String { lines.map { "\(code) \($0)" }.joined(separator: " / ") }
}

enum ClientError: Error {
    case closed(partial: String)
    case malformedReply(String)
}

/// Hands what the socket reads to the test, and says when the connection is gone.
final class ByteCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation

    init(_ continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A minimal SMTP client on NIO: write raw text, read whole replies.
final class SMTPTestClient {
    let channel: any Channel
    private var input: AsyncStream<ByteBuffer>.Iterator
    /// Bytes read but not yet part of a complete reply.
    private(set) var pending: [UInt8] = []

    private init(channel: any Channel, input: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.input = input.makeAsyncIterator()
    }

    static func connect(port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> SMTPTestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteCollector(continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return SMTPTestClient(channel: channel, input: stream)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Reads the next complete reply; throws if the connection closes first.
    func readReply() async throws -> TestReply {
        while true {
            if let reply = try takeReply() { return reply }
            guard let more = await nextInput() else {
                throw ClientError.closed(partial: String(decoding: pending, as: UTF8.self))
            }
            pending += more.readableBytesView
        }
    }

    func readReplies(_ count: Int) async throws -> [TestReply] {
        var replies: [TestReply] = []
        for _ in 0..<count { replies.append(try await readReply()) }
        return replies
    }

    /// Reads until the server closes the connection; returns whatever came before the end.
    func readUntilClosed() async -> [UInt8] {
        var rest = pending
        pending = []
        while let more = await nextInput() { rest += more.readableBytesView }
        return rest
    }

    func close() async {
        try? await channel.close()
    }

    private func nextInput() async -> ByteBuffer? {
        var iterator = input
        let next = await iterator.next()
        input = iterator
        return next
    }

    private func takeReply() throws -> TestReply? {
        var lines: [String] = []
        var code = 0
        var start = 0
        while let lf = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            guard lf > start, pending[lf - 1] == UInt8(ascii: "\r") else {
                throw ClientError.malformedReply(String(decoding: pending[start...lf], as: UTF8.self))
            }
            let line = String(decoding: pending[start..<(lf - 1)], as: UTF8.self)
            start = lf + 1
            guard line.count >= 3, let lineCode = Int(line.prefix(3)) else { throw ClientError.malformedReply(line) }
            code = lineCode
            let separator = line.dropFirst(3).first
            lines.append(String(line.dropFirst(4)))
            if separator == " " || separator == nil {
                pending.removeFirst(start)
                return TestReply(code: code, lines: lines)
            }
            guard separator == "-" else { throw ClientError.malformedReply(line) }
        }
        return nil
    }
}

/// Polls for something another thread will make true (a file appearing or going away, a
/// counter dropping). The condition synchronises; the short pause only spares the CPU.
func waitUntil(_ what: String, sourceLocation: SourceLocation = #_sourceLocation,
               _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while try await !condition() {
        try #require(ContinuousClock.now < deadline, "\(what): not within 30 s", sourceLocation: sourceLocation)
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// A message body of about `size` bytes in lines of 78 octets, with no line starting with a dot.
func messageBody(size: Int, subject: String = "test") -> [UInt8] {
    var body = Array("From: Alice <alice@sender.test>\r\nTo: bob@example.org\r\nSubject: \(subject)\r\n\r\n".utf8)
    body.reserveCapacity(size + 100)
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    var line = 0
    while body.count < size {
        let prefix = Array("\(line) ".utf8)
        body += prefix
        for column in prefix.count..<76 { body.append(alphabet[(line &* 7 &+ column) % alphabet.count]) }
        body += [13, 10]
        line += 1
    }
    return body
}

extension TestReply {
    /// The queue ID from `250 2.0.0 Ok: queued as <ID>`.
    var queueID: QueueID? {
        guard code == 250, let word = lines.last?.split(separator: " ").last else { return nil }
        return QueueID(rawValue: String(word))
    }
}

/// Splits a stored message into the prepended header field and the rest, checking that the
/// prefix is exactly one `Received:` field (first line plus folded continuation lines).
func splitReceived(_ stored: [UInt8], body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    guard stored.count > body.count, Array(stored.suffix(body.count)) == body else {
        Issue.record("the stored message does not end with the body as sent (stored \(stored.count) bytes, body \(body.count))",
                     sourceLocation: sourceLocation)
        return nil
    }
    let header = String(decoding: stored.prefix(stored.count - body.count), as: UTF8.self)
    #expect(header.hasPrefix("Received: "), sourceLocation: sourceLocation)
    #expect(header.hasSuffix("\r\n"), sourceLocation: sourceLocation)
    let lines = header.components(separatedBy: "\r\n").dropLast()
    #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("\t") || $0.hasPrefix(" ") },
            "more than one header field was prepended: \(header)", sourceLocation: sourceLocation)
    return header
}
