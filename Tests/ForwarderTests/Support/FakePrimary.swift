import NIOCore
import NIOPosix
import NIOSSL
import SMTPProtocol
import BackstopSync
#if canImport(Glibc)
import Glibc
#endif

/// A scripted SMTP server on 127.0.0.1 standing in for the primary mail host. It answers by its
/// script and records what it received, so tests assert on the envelope and the exact bytes.
final class FakePrimary: Sendable {
    /// Where the server stops answering, so the client's timeout for that step fires.
    /// `content`: after its 354 it stops reading, so the client's writes fill the connection.
    enum Stall: Sendable { case greeting, ehlo, mail, rcpt, data, content, dataEnd }

    struct Script: Sendable {
        var hostname = "primary.example.net"
        /// nil: the greeting is never sent (a stall at greeting).
        var greeting: SMTPReply? = SMTPReply(220, nil, "primary.example.net ESMTP fake")
        var pipelining = true
        var smtpUTF8 = true
        var dsn = true
        var eightBitMIME = true
        var startTLS = false
        /// With a context the fake really switches to TLS after STARTTLS; without, it hangs up
        /// on the ClientHello (a failed handshake).
        var tls: NIOSSLContext?
        var size: Int?
        var ehloReply: SMTPReply?
        var mailReply = SMTPReply(250, .init(2, 1, 0), "Sender ok")
        /// Replies by recipient address; others get 250.
        var rcptReplies: [String: SMTPReply] = [:]
        var finalReply = SMTPReply(250, .init(2, 0, 0), "Ok: queued")
        var stall: Stall?
        /// Close the connection as soon as message content arrives.
        var dropMidData = false
    }

    struct Transaction: Sendable, Equatable {
        var mail: String
        var recipients: [String] = []
        /// The content as the primary decodes it (dot-unstuffed), without the final dot.
        var content: [UInt8] = []
    }

    struct Record: Sendable {
        var connections = 0
        /// Connections switched to TLS.
        var tlsSessions = 0
        /// Every command line, in order.
        var commands: [String] = []
        /// The command lines that arrived in each read: several in one read means pipelined.
        var batches: [[String]] = []
        var transactions: [Transaction] = []
        /// Every byte received, as on the wire.
        var wire: [UInt8] = []
    }

    let port: Int
    private let channel: Channel
    private let shared: SharedRecord

    private init(port: Int, channel: Channel, shared: SharedRecord) {
        self.port = port
        self.channel = channel
        self.shared = shared
    }

    var recorded: Record { shared.state.withLock { $0 } }

    static func start(_ script: Script = Script()) async throws -> FakePrimary {
        let shared = SharedRecord()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakePrimaryHandler(script: script, shared: shared))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakePrimary(port: channel.localAddress!.port!, channel: channel, shared: shared)
    }

    /// A port on which nothing listens: connecting is refused.
    /// A port nobody listens on, for as long as the test process runs: the socket stays bound
    /// (but not listening), so no other test's server can be given the same port meanwhile and
    /// connections to it are refused.
    static func closedPort() async throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(descriptor >= 0, "socket() failed")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        precondition(bound, "bind() failed")
        reservedPorts.keep(descriptor)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static let reservedPorts = ReservedPorts()

    func stop() async {
        try? await channel.close()
    }
}

/// Sockets kept bound for the life of the test process. A class around its lock: a
/// `~Copyable` static stored directly is accessed as a modify, which Thread Sanitizer reports
/// as a race between two callers even though the lock orders them.
final class ReservedPorts: Sendable {
    private let descriptors = Locked<[Int32]>([])

    func keep(_ descriptor: Int32) {
        descriptors.withLock { $0.append(descriptor) }
    }
}

/// The recorder shared between the server's connections and the test.
final class SharedRecord: Sendable {
    let state = Locked(FakePrimary.Record())

    func update(_ body: (inout FakePrimary.Record) -> Void) {
        state.withLock { body(&$0) }
    }
}
