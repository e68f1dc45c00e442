import BackstopDefaults
import NIOCore
import NIOPosix
import SMTPProtocol
import Spool
import SpoolContract

/// Collects the content of one message as it arrives, within bounded memory.
///
/// The first `memoryLimit` bytes stay in memory; the rest is written to a `SpillFile` in the
/// spool's incoming directory. Every file operation (create, write, close, remove) runs on the
/// thread pool, never on the event loop, each after the one queued before it: a discard
/// therefore never races a write still in flight. A 50 MB message costs at most `memoryLimit`
/// plus the writes in flight, not several copies. Content past `maxSize` is counted but
/// dropped: the message is refused at its end.
final class MessageAssembler {
    /// Above this many bytes waiting to be written, the session stops reading from the socket.
    static let maxBytesInFlight = BackstopDefaults.Server.maxBytesInFlight

    let maxSize: Int
    let memoryLimit: Int
    let incomingDirectory: String
    let threadPool: NIOThreadPool
    let eventLoop: any EventLoop
    let operations: any SpillFileOperations

    private(set) var size = 0
    private(set) var headers = HeaderScanner()
    private var memory: ByteBuffer
    private var spill: SpillFile?
    /// The file operation queued last; the next one starts when it is done.
    private var lastOperation: EventLoopFuture<Void>?
    private(set) var bytesInFlight = 0
    /// Called on the event loop when writes in flight drop below the limit again.
    var onDrained: (() -> Void)?

    init(maxSize: Int, memoryLimit: Int, incomingDirectory: String, threadPool: NIOThreadPool, eventLoop: any EventLoop,
         operations: any SpillFileOperations = POSIXSpillFileOperations()) {
        self.maxSize = maxSize
        self.memoryLimit = memoryLimit
        self.incomingDirectory = incomingDirectory
        self.threadPool = threadPool
        self.eventLoop = eventLoop
        self.operations = operations
        self.memory = ByteBuffer()
    }

    var needsBackpressure: Bool { bytesInFlight > Self.maxBytesInFlight }

    func append(_ content: ByteBuffer) {
        size += content.readableBytes
        if !headers.isInBody { headers.scan(content.readableBytesView) }
        guard size <= maxSize else { return }
        if spill == nil, memory.readableBytes + content.readableBytes <= memoryLimit {
            var content = content
            memory.writeBuffer(&content)
            return
        }
        if spill == nil {
            let file = SpillFile(directory: incomingDirectory, operations: operations, threadPool: threadPool)
            spill = file
            _ = enqueue { try file.create() }
        }
        if memory.readableBytes > 0 {
            write(memory)
            memory = ByteBuffer()
        }
        write(content)
    }

    private func write(_ buffer: ByteBuffer) {
        guard let spill else { return }
        let length = buffer.readableBytes
        bytesInFlight += length
        enqueue { try spill.write(buffer) }.assumeIsolated().whenComplete { _ in
            self.bytesInFlight -= length
            if !self.needsBackpressure { self.onDrained?() }
        }
    }

    /// Queues `operation` on the thread pool after the operations queued before it. After a
    /// failure the later ones are skipped and fail with the first error.
    @discardableResult
    private func enqueue(_ operation: @escaping @Sendable () throws -> Void) -> EventLoopFuture<Void> {
        let threadPool = self.threadPool
        let eventLoop = self.eventLoop
        let next = if let lastOperation {
            lastOperation.flatMap { threadPool.runIfActive(eventLoop: eventLoop, operation) }
        } else {
            threadPool.runIfActive(eventLoop: eventLoop, operation)
        }
        lastOperation = next
        return next
    }

    /// Removes the file once everything queued before is done, whether that succeeded or not.
    private func remove(_ spill: SpillFile) -> EventLoopFuture<Void> {
        let threadPool = self.threadPool
        let eventLoop = self.eventLoop
        let pending = (lastOperation ?? eventLoop.makeSucceededVoidFuture()).flatMapErrorThrowing { _ in () }
        let removed = pending.flatMap { threadPool.runIfActive(eventLoop: eventLoop) { spill.remove() } }
        lastOperation = removed
        return removed
    }

    /// Waits for the writes in flight and hands over the body; the assembler is spent after.
    func finish() -> EventLoopFuture<MessageBody> {
        let memory = self.memory
        self.memory = ByteBuffer()
        guard let spill else { return eventLoop.makeSucceededFuture(.bytes(Array(memory.readableBytesView))) }
        self.spill = nil
        return enqueue { try spill.close() }.assumeIsolated().flatMapError { error in
            self.remove(spill).flatMapThrowing { throw error }
        }.map { MessageBody.file(path: spill.path) }.nonisolated()
    }

    /// Drops everything collected (refused or abandoned transaction, closed connection). The
    /// file goes once the writes queued before are done.
    func discard() {
        memory = ByteBuffer()
        guard let spill else { return }
        self.spill = nil
        _ = remove(spill)
    }
}
