import Foundation
import NIOCore
import NIOSSL
import NIOTLS
@testable import SMTPProtocol
import Spool
import SpoolContract
import Testing
@testable import Listener

/// A throwaway self-signed certificate, made with openssl once per test run.
enum TestCertificate {
    static let serverContext = Task { try await make() }

    private static func make() async throws -> NIOSSLContext {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("backstop-tls-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("key.pem").path
        let certificate = directory.appendingPathComponent("cert.pem").path
        let status = try await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                                               "-out", certificate, "-days", "2", "-subj", "/CN=localhost"])
        try #require(status == 0, "openssl req failed with status \(status)")
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }

    /// Runs a program without blocking a thread of the concurrency pool while it works.
    private static func run(_ program: String, _ arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }
}

/// Completes when the TLS handshake is over, or fails with why it did not finish.
final class HandshakeWaiter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let done: EventLoopPromise<Void>

    init(_ done: EventLoopPromise<Void>) { self.done = done }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { done.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}

extension SMTPTestClient {
    /// Starts TLS on the connection as a client that trusts any certificate.
    func startTLS() async throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let channel = self.channel
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        try await channel.eventLoop.submit {
            let tls = try NIOSSLClientHandler(context: context, serverHostname: nil)
            try channel.pipeline.syncOperations.addHandler(tls, position: .first)
            try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(handshake), position: .after(tls))
        }.get()
        try await handshake.futureResult.get()
    }
}

@Suite("STARTTLS", .timeLimit(.minutes(1)))
struct StartTLSTests {
    static let injections = [
        "NOOP\r\n",
        "MAIL FROM:<attacker@other.test>\r\nRCPT TO:<bob@example.org>\r\n",
        "EHLO evil.test\r\nSTARTTLS\r\n",
        "QUIT\r\n",
    ]

    /// CVE-2011-0411: whatever the client pipelined after STARTTLS in plaintext is discarded.
    @Test("commands pipelined after STARTTLS are never executed", arguments: injections)
    func startTLS(injected: String) async throws {
        let tls = try await TestCertificate.serverContext.value
        try await withListener(tls: tls) { server in
            let client = try await server.connect()
            #expect(try await client.readReply().code == 220)
            try await client.send("EHLO client.test\r\n")
            #expect(try await client.readReply().lines.contains("STARTTLS"))

            try await client.send("STARTTLS\r\n" + injected)
            #expect(try await client.readReply().codes == "220 2.0.0")
            #expect(client.pending.isEmpty, "only the 220 comes back in plaintext")

            try await client.startTLS()
            try await client.send("EHLO client.test\r\n")
            let ehlo = try await client.readReply()
            #expect(ehlo.code == 250)
            #expect(ehlo.lines.first == "\(testHostname) greets client.test",
                    "the first reply under TLS answers the EHLO sent under TLS, not the injected commands")
            #expect(!ehlo.lines.contains("STARTTLS"))

            try await client.send("NOOP\r\nSTARTTLS\r\nRCPT TO:<bob@example.org>\r\n")
            #expect(try await client.readReplies(3).map(\.codes) == ["250 2.0.0", "503 5.5.1", "503 5.5.1"],
                    "no transaction survived the handshake")

            try await client.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(3).map(\.code) == [250, 250, 354])
            let body = Array("Subject: secret\r\n\r\nover TLS\r\n".utf8)
            try await client.send(body + Array(".\r\nQUIT\r\n".utf8))
            let queued = try await client.readReply()
            #expect(queued.codes == "250 2.0.0")
            #expect(try await client.readReply().code == 221)

            let queueID = try #require(queued.queueID)
            let stored = try #require(try await server.spool.messageData(of: queueID))
            let header = try #require(splitReceived(stored, body: body))
            #expect(header.contains("with ESMTPS id"))
            #expect(try await server.spool.queuedMessageIDs().count == 1, "the injected MAIL left nothing")
        }
    }
}
