import Foundation
import NIOCore
import NIOPosix
import Spool
import SpoolContract
import BackstopSync
import Testing
@testable import Listener
@testable import SMTPProtocol

/// The file operations of spilled bodies, on the real file system, recording each call made
/// on an event loop thread (where blocking calls must never run).
final class LoopWatchingFileOperations: SpillFileOperations {
    private let real = POSIXSpillFileOperations()
    private let calls = Locked<(total: Int, onEventLoop: [String])>((0, []))

    var total: Int { calls.withLock { $0.total } }
    var onEventLoop: [String] { calls.withLock { $0.onEventLoop } }

    private func record(_ name: String) {
        let onLoop = MultiThreadedEventLoopGroup.currentEventLoop != nil
        calls.withLock {
            $0.total += 1
            if onLoop { $0.onEventLoop.append(name) }
        }
    }

    func create(_ path: String) throws -> Int32 {
        record("create")
        return try real.create(path)
    }

    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        record("write")
        try real.write(descriptor, bytes, at: offset)
    }

    func close(_ descriptor: Int32) throws {
        record("close")
        try real.close(descriptor)
    }

    func remove(_ path: String) {
        record("remove")
        real.remove(path)
    }
}

@Suite("Spilled bodies of abandoned transactions", .timeLimit(.minutes(2)))
struct SpillCleanupTests {
    /// Small enough that every chunk below goes to a file.
    static let settings = SessionSettings(hostname: testHostname, memoryBodyLimit: 4096)
    static let chunk = messageBody(size: 256 << 10)

    /// Opens a transaction and sends one chunk (not the last), which is spilled to a file.
    static func spilledChunk(_ server: RunningListener) async throws -> SMTPTestClient {
        let client = try await server.connect()
        #expect(try await client.readReply().code == 220)
        try await client.send("EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\n")
        #expect(try await client.readReplies(3).map(\.code) == [250, 250, 250])
        try await client.send(Array("BDAT \(chunk.count)\r\n".utf8) + chunk)
        #expect(try await client.readReply().codes == "250 2.0.0")
        try await waitUntil("the chunk is in a file") { server.temporaryFiles().count == 1 }
        return client
    }

    @Test("a chunk in a file is removed, and its descriptor closed, when the transaction is abandoned",
          arguments: ["RSET", "EHLO again.test", "HELO again.test"])
    func abandoned(command: String) async throws {
        try await withListener(settings: Self.settings) { server in
            let client = try await Self.spilledChunk(server)
            try await client.send(command + "\r\n")
            #expect(try await client.readReply().code == 250)
            try await waitUntil("the file of the abandoned chunk is removed") {
                server.temporaryFiles().isEmpty && server.openTemporaryFiles() == 0
            }
            // The session goes on: the next transaction is stored whole, the old chunk is not in it.
            let body = messageBody(size: 8192, subject: "after \(command)")
            try await client.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nBDAT \(body.count) LAST\r\n")
            try await client.send(body)
            let replies = try await client.readReplies(3)
            #expect(replies.map(\.code) == [250, 250, 250], "\(replies)")
            let queueID = try #require(replies.last?.queueID)
            let stored = try #require(try await server.spool.messageData(of: queueID))
            _ = splitReceived(stored, body: body)
            try await waitUntil("nothing left behind") { server.temporaryFiles().isEmpty && server.openTemporaryFiles() == 0 }
        }
    }

    @Test("STARTTLS in the middle of a transaction is refused and leaves its chunk in place; the close removes it")
    func startTLSMidTransaction() async throws {
        try await withListener(settings: Self.settings, tls: try await TestCertificate.serverContext.value) { server in
            let client = try await Self.spilledChunk(server)
            try await client.send("STARTTLS\r\n")
            #expect(try await client.readReply().codes == "503 5.5.1")
            #expect(server.temporaryFiles().count == 1, "the transaction goes on")
            try await client.send("QUIT\r\n")
            #expect(try await client.readReply().code == 221)
            try await waitUntil("the file goes with the session") {
                server.temporaryFiles().isEmpty && server.openTemporaryFiles() == 0
            }
        }
    }

    @Test("STARTTLS after RSET: the abandoned chunk is gone before the handshake")
    func startTLSAfterReset() async throws {
        try await withListener(settings: Self.settings, tls: try await TestCertificate.serverContext.value) { server in
            let client = try await Self.spilledChunk(server)
            try await client.send("RSET\r\nSTARTTLS\r\n")
            #expect(try await client.readReplies(2).map(\.code) == [250, 220])
            try await client.startTLS()
            try await waitUntil("the abandoned chunk is removed") {
                server.temporaryFiles().isEmpty && server.openTemporaryFiles() == 0
            }
            try await client.send("EHLO secure.test\r\n")
            #expect(try await client.readReply().code == 250)
        }
    }

    @Test("50 abandoned chunks leave no file and no open descriptor behind")
    func manyRounds() async throws {
        let chunk = messageBody(size: 16 << 10)
        try await withListener(settings: Self.settings) { server in
            let client = try await Self.spilledChunk(server)
            for _ in 0..<50 {
                try await client.send("RSET\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\n")
                try await client.send(Array("BDAT \(chunk.count)\r\n".utf8) + chunk)
                #expect(try await client.readReplies(4).map(\.code) == [250, 250, 250, 250])
            }
            try await client.send("RSET\r\n")
            #expect(try await client.readReply().code == 250)
            try await waitUntil("every abandoned chunk is removed") {
                server.temporaryFiles().isEmpty && server.openTemporaryFiles() == 0
            }
        }
    }

    @Test("every file operation of a spilled body runs off the event loops: spill, store, abandon, refuse, disconnect")
    func fileOperationsOffTheEventLoop() async throws {
        let operations = LoopWatchingFileOperations()
        let settings = SessionSettings(hostname: testHostname, maxMessageSize: 512 << 10, memoryBodyLimit: 4096)
        try await withListener(settings: settings, spillFileOperations: operations) { server in
            let client = try await Self.spilledChunk(server)
            // Abandoned, then stored.
            try await client.send("RSET\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(4).map(\.code) == [250, 250, 250, 354])
            try await client.send(messageBody(size: 64 << 10) + Array(".\r\n".utf8))
            #expect(try await client.readReply().code == 250)
            // Refused at its end: over the size limit.
            try await client.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(3).map(\.code) == [250, 250, 354])
            try await client.send(messageBody(size: 600 << 10) + Array(".\r\n".utf8))
            #expect(try await client.readReply().codes == "552 5.3.4")
            // Cut off by a disconnect.
            try await client.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(3).map(\.code) == [250, 250, 354])
            try await client.send(messageBody(size: 64 << 10))
            try await waitUntil("the body is spilled") { !server.temporaryFiles().isEmpty }
            await client.close()
            try await waitUntil("nothing left behind") { server.temporaryFiles().isEmpty && server.openTemporaryFiles() == 0 }
        }
        #expect(operations.total > 10, "the bodies went through the injected operations")
        #expect(operations.onEventLoop.isEmpty, "file operations on an event loop: \(operations.onEventLoop)")
    }

    @Test("a spill file dropped without being removed is closed and removed all the same")
    func droppedSpillFile() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("backstop-spill-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try await Self.writeAndDrop(in: directory.path)
        #expect(path.hasPrefix(directory.path))
        try await waitUntil("the dropped file is closed and removed") {
            !FileManager.default.fileExists(atPath: path) && openDescriptors(under: directory.path) == 0
        }
    }

    /// Writes a spill file and lets go of it without `remove`, as a forgotten path would.
    private static func writeAndDrop(in directory: String) async throws -> String {
        let file = SpillFile(directory: directory, operations: POSIXSpillFileOperations(), threadPool: NIOThreadPool.singleton)
        try await NIOThreadPool.singleton.runIfActive {
            try file.create()
            try file.write(ByteBuffer(string: "abandoned"))
        }
        #expect(FileManager.default.fileExists(atPath: file.path))
        #expect(openDescriptors(under: directory) == 1)
        return file.path
    }
}

/// Descriptors of this process open on files under `directory`, removed ones included.
func openDescriptors(under directory: String) -> Int {
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return descriptors.filter {
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? ""
        return target.hasPrefix(directory + "/")
    }.count
}
