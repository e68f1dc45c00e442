import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import SMTPProtocol
import Spool
import SpoolContract
import Testing
@testable import Listener

/// Sits between the session and the transport: counts the reads the session asks for and,
/// when told to, keeps writes without passing them on or completing them (a client whose
/// window is shut, behind a layer that does not say so).
final class TransportProbe: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var reads = 0
    var holdsWrites = false
    private var held: [EventLoopPromise<Void>?] = []
    var heldWrites: Int { held.count }

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if holdsWrites {
            held.append(promise)
        } else {
            context.write(data, promise: promise)
        }
    }

    /// Fails the writes kept back, as a connection reset would.
    func reset() {
        let promises = held
        held = []
        for promise in promises { promise?.fail(ChannelError.ioOnClosedChannel) }
    }
}

/// One session handler on an `EmbeddedChannel`, with virtual time and a spool of its own.
final class EmbeddedSession {
    let channel = EmbeddedChannel()
    let probe = TransportProbe()
    private let directory: URL
    private let spool: Spool

    init(settings: SessionSettings) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("backstop-embedded-\(UUID().uuidString)", isDirectory: true)
        let incoming = directory.appendingPathComponent("incoming").path
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path, logger: quietLogger)
        let environment = ListenerEnvironment(
            settings: settings, reloadable: .init(policy: RelayPolicy(domains: testDomains), tls: nil),
            spool: spool, incomingDirectory: incoming, threadPool: NIOThreadPool.singleton,
            limits: ConnectionLimits(maxTotal: 10, maxPerAddress: 10), logger: quietLogger)
        try channel.pipeline.syncOperations.addHandler(probe)
        try channel.pipeline.syncOperations.addHandler(SMTPServerHandler(environment: environment, clientAddress: "192.0.2.1"))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.25", port: 25)).wait()
    }

    deinit {
        probe.reset()
        _ = try? channel.finish()
        try? spool.close()
        try? FileManager.default.removeItem(at: directory)
    }

    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Every reply line written so far and not yet taken.
    func replies() throws -> [String] {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text.split(separator: "\r\n").map(String.init)
    }

    /// What the kernel reports when the client stops or starts reading.
    func setWritable(_ writable: Bool) {
        channel.isWritable = writable
        channel.pipeline.fireChannelWritabilityChanged()
    }
}

@Suite("Replies a client does not read")
struct OutputBackpressureTests {
    static let pipelined = String(repeating: "NOOP\r\nHELP\r\nRSET\r\n", count: 3)

    @Test("while the channel is unwritable nothing more is read or answered; once writable, the rest is answered in order and reading resumes")
    func pausesWhileUnwritable() throws {
        let session = try EmbeddedSession(settings: SessionSettings(hostname: testHostname))
        #expect(try session.replies().first?.hasPrefix("220 ") == true)
        try session.send("EHLO client.test\r\n")
        #expect(try session.replies().first?.hasPrefix("250-") == true)

        session.setWritable(false)
        let readsBefore = session.probe.reads
        session.channel.read()
        #expect(session.probe.reads == readsBefore, "no read is asked for while the client is not reading")
        try session.send(Self.pipelined)
        #expect(try session.replies().isEmpty, "commands already read wait for the client")
        #expect(session.probe.reads == readsBefore)

        session.setWritable(true)
        let replies = try session.replies()
        #expect(replies.filter { $0.hasPrefix("250 ") }.count == 6, "NOOP and RSET, three times: \(replies)")
        #expect(replies.filter { $0.hasPrefix("214 ") }.count == 3, "HELP, three times: \(replies)")
        #expect(session.probe.reads == readsBefore + 1, "the read held back is asked for")
        #expect(session.channel.isActive)
    }

    @Test("a client that sends commands and never reads gets the command timeout, and is closed at once")
    func commandTimeoutWhileUnwritable() throws {
        let settings = SessionSettings(hostname: testHostname, commandTimeout: .seconds(5))
        let session = try EmbeddedSession(settings: settings)
        _ = try session.replies()
        session.probe.holdsWrites = true
        try session.send("EHLO client.test\r\n")
        session.setWritable(false)
        try session.send(Self.pipelined)
        session.channel.embeddedEventLoop.advanceTime(to: .now() + .seconds(4))
        #expect(session.channel.isActive, "still within the command timeout")
        session.channel.embeddedEventLoop.advanceTime(to: .now() + .seconds(6))
        #expect(!session.channel.isActive, "the timeout reply cannot go out, so the close does not wait for it")
    }

    @Test("the reply before a close waits at most close_linger for a client that does not take it")
    func closeLinger() throws {
        let settings = SessionSettings(hostname: testHostname, closeLinger: .seconds(3))
        let session = try EmbeddedSession(settings: settings)
        _ = try session.replies()
        session.probe.holdsWrites = true
        try session.send("QUIT\r\n")
        #expect(session.channel.isActive, "the 221 is still on its way")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(session.channel.isActive)
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!session.channel.isActive)
    }

    @Test("past max_pending_output bytes of replies not taken, the session is closed and reads nothing more")
    func closedPastTheBound() throws {
        let settings = SessionSettings(hostname: testHostname, maxPendingOutput: 4096)
        let session = try EmbeddedSession(settings: settings)
        _ = try session.replies()
        // The channel stays writable: only the session's own count can stop this.
        session.probe.holdsWrites = true
        try session.send("EHLO client.test\r\n" + String(repeating: "HELP\r\n", count: 1000))
        #expect(!session.channel.isActive)
        let helpReply = Replies.help.wireFormat.utf8.count
        #expect(session.probe.heldWrites * helpReply < 4096 + 2 * helpReply + 512,
                "stopped at the bound: \(session.probe.heldWrites) replies written")
    }
}
