import NIOCore
import NIOPosix
import SMTPProtocol
import Spool
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects the content of one message as it arrives, within bounded memory.
///
/// The first `memoryLimit` bytes stay in memory; the rest is written to a temporary file in the
/// spool's incoming directory, on the NIO thread pool (never on the event loop). A 50 MB message
/// therefore costs at most `memoryLimit` plus the writes in flight, not several copies.
/// Content past `maxSize` is counted but dropped: the message is refused at its end.
final class MessageAssembler {
    /// Above this many bytes waiting to be written, the session stops reading from the socket.
    static let maxBytesInFlight = 4 << 20

    let maxSize: Int
    let memoryLimit: Int
    let incomingDirectory: String
    let threadPool: NIOThreadPool
    let eventLoop: any EventLoop

    private(set) var size = 0
    private(set) var headers = HeaderScanner()
    private var memory: ByteBuffer
    private var spill: SpillFile?
    private var writes: [EventLoopFuture<Void>] = []
    private(set) var bytesInFlight = 0
    private var writeError: (any Error)?
    /// Called on the event loop when writes in flight drop below the limit again.
    var onDrained: (() -> Void)?

    init(maxSize: Int, memoryLimit: Int, incomingDirectory: String, threadPool: NIOThreadPool, eventLoop: any EventLoop) {
        self.maxSize = maxSize
        self.memoryLimit = memoryLimit
        self.incomingDirectory = incomingDirectory
        self.threadPool = threadPool
        self.eventLoop = eventLoop
        self.memory = ByteBuffer()
    }

    var isOverSize: Bool { size > maxSize }
    /// Content past twice the limit: not a message a little too big that is read to its end
    /// (so the session stays in step), but a sender that never ends. It is cut off.
    var isRunaway: Bool { size - maxSize > maxSize }
    var needsBackpressure: Bool { bytesInFlight > Self.maxBytesInFlight }

    func append(_ content: ByteBuffer) {
        size += content.readableBytes
        if !headers.isInBody { headers.scan(content.readableBytesView) }
        guard size <= maxSize, writeError == nil else { return }
        if spill == nil, memory.readableBytes + content.readableBytes <= memoryLimit {
            var content = content
            memory.writeBuffer(&content)
            return
        }
        do {
            if spill == nil { spill = try SpillFile(directory: incomingDirectory) }
        } catch {
            writeError = error
            return
        }
        if memory.readableBytes > 0 {
            write(memory)
            memory = ByteBuffer()
        }
        write(content)
    }

    private func write(_ buffer: ByteBuffer) {
        guard let spill else { return }
        let offset = spill.reserve(buffer.readableBytes)
        let length = buffer.readableBytes
        bytesInFlight += length
        let done = threadPool.runIfActive(eventLoop: eventLoop) {
            try spill.write(buffer, at: offset)
        }
        done.assumeIsolated().whenComplete { result in
            self.bytesInFlight -= length
            if case .failure(let error) = result, self.writeError == nil { self.writeError = error }
            if !self.needsBackpressure { self.onDrained?() }
        }
        writes.append(done)
    }

    /// Waits for the writes in flight and hands over the body; the assembler is spent after.
    func finish() -> EventLoopFuture<MessageBody> {
        let all = EventLoopFuture.andAllComplete(writes, on: eventLoop)
        let spill = self.spill
        self.spill = nil
        let memory = self.memory
        self.memory = ByteBuffer()
        return all.assumeIsolated().flatMapThrowing { () throws -> MessageBody in
            if let error = self.writeError {
                spill?.remove()
                throw error
            }
            guard let spill else { return .bytes(Array(memory.readableBytesView)) }
            try spill.close()
            return .file(path: spill.path)
        }.nonisolated()
    }

    /// Drops everything collected (refused message, closed connection).
    func discard() {
        let spill = self.spill
        self.spill = nil
        memory = ByteBuffer()
        guard let spill else { return }
        EventLoopFuture.andAllComplete(writes, on: eventLoop).whenComplete { _ in
            spill.remove()
        }
    }
}

/// A temporary file for a large message body, written with `pwrite` at reserved offsets so
/// writes on different pool threads cannot reorder the content.
final class SpillFile: Sendable {
    let path: String
    private let descriptor: Int32
    private let nextOffset: Mutex<Int64>

    init(directory: String) throws {
        path = "\(directory)/\(QueueID.generate().rawValue).\(UInt32.random(in: 0...UInt32.max)).tmp"
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "open \(path)") }
        nextOffset = Mutex(0)
    }

    func reserve(_ length: Int) -> Int64 {
        nextOffset.withLock { offset in
            defer { offset += Int64(length) }
            return offset
        }
    }

    func write(_ buffer: ByteBuffer, at offset: Int64) throws {
        var offset = offset
        try buffer.withUnsafeReadableBytes { bytes in
            var done = 0
            while done < bytes.count {
                let written = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw IOError(errnoCode: errno, reason: "write \(path)")
                }
                done += written
                offset += Int64(written)
            }
        }
    }

    func close() throws {
        if Glibc.close(descriptor) != 0 { throw IOError(errnoCode: errno, reason: "close \(path)") }
    }

    func remove() {
        _ = Glibc.close(descriptor)
        unlink(path)
    }
}

/// Removes a temporary body file that will not be used; a failure leaves litter, not damage.
func unlinkQuietly(_ path: String) {
    unlink(path)
}
