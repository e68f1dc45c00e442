import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
@testable import Listener
@testable import SMTPProtocol

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

/// One session handler on an `EmbeddedChannel`, with virtual time (the handler's deadlines
/// run on the loop's clock) and a store that keeps what it is given.
final class EmbeddedSession {
    let channel = EmbeddedChannel()
    let probe = TransportProbe()
    let store = FakeMessageStore()
    private let directory: URL

    init(settings: SessionSettings, primaryTakesMail: Bool = false, primaryLimits: OfferedExtensions? = nil) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("backstop-embedded-\(UUID().uuidString)", isDirectory: true)
        let incoming = directory.appendingPathComponent("incoming").path
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        let environment = ListenerEnvironment(
            settings: settings, reloadable: .init(policy: RelayPolicy(domains: testDomains), tls: nil),
            store: store, incomingDirectory: incoming, threadPool: NIOThreadPool.singleton,
            limits: ConnectionLimits(maxTotal: 10, maxPerAddress: 10), logger: quietLogger,
            primaryLimits: { primaryLimits }, primaryTakesMail: { primaryTakesMail })
        try channel.pipeline.syncOperations.addHandler(probe)
        try channel.pipeline.syncOperations.addHandler(SMTPServerHandler(environment: environment, clientAddress: "192.0.2.1"))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.25", port: 25)).wait()
    }

    deinit {
        probe.reset()
        _ = try? channel.finish()
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

    /// Moves the loop's clock on, running every timer that falls due.
    func advance(by amount: TimeAmount) {
        channel.embeddedEventLoop.advanceTime(by: amount)
    }

    /// What the kernel reports when the client stops or starts reading.
    func setWritable(_ writable: Bool) {
        channel.isWritable = writable
        channel.pipeline.fireChannelWritabilityChanged()
    }
}
