import NIOCore
import NIOPosix
import Spool
import SpoolContract
import BackstopSync

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary file for a large message body in the spool's incoming directory. Its methods
/// block: `MessageAssembler` calls them on the thread pool, one at a time, in order.
///
/// A file nobody handed over or removed (a path that dropped it without `remove`) is closed
/// and unlinked when the object goes away, on the thread pool, so it can never outlive the
/// session as litter or as an open descriptor.
final class SpillFile: Sendable {
    let path: String
    private let operations: any SpillFileOperations
    private let threadPool: NIOThreadPool

    private struct State {
        var descriptor: Int32?
        var nextOffset: Int64 = 0
        /// True once the file may exist on disk and is still ours to remove.
        var owned = false
    }
    private let state = Locked(State())

    init(directory: String, operations: any SpillFileOperations, threadPool: NIOThreadPool) {
        path = "\(directory)/\(QueueID.generate().rawValue).\(UInt32.random(in: 0...UInt32.max)).tmp"
        self.operations = operations
        self.threadPool = threadPool
    }

    func create() throws {
        try state.withLock { state in
            state.owned = true
            state.descriptor = try operations.create(path)
        }
    }

    /// Appends `buffer` at the end of what was written so far.
    func write(_ buffer: ByteBuffer) throws {
        try state.withLock { state in
            guard let descriptor = state.descriptor else { throw IOError(errnoCode: EBADF, reason: "write \(path)") }
            try buffer.withUnsafeReadableBytes { try operations.write(descriptor, $0, at: state.nextOffset) }
            state.nextOffset += Int64(buffer.readableBytes)
        }
    }

    /// Closes the complete file and hands it over: from here on its path belongs to the spool.
    func close() throws {
        try state.withLock { state in
            guard let descriptor = state.descriptor else { throw IOError(errnoCode: EBADF, reason: "close \(path)") }
            state.descriptor = nil
            state.owned = false
            do {
                try operations.close(descriptor)
            } catch {
                operations.remove(path)
                throw error
            }
        }
    }

    /// Closes the file if it is open and removes it.
    func remove() {
        state.withLock { state in
            if let descriptor = state.descriptor { try? operations.close(descriptor) }
            if state.owned { operations.remove(path) }
            state = State()
        }
    }

    deinit {
        let leftover = state.withLock { state in
            defer { state = State() }
            return state.owned ? state.descriptor ?? -1 : nil
        }
        guard let leftover else { return }
        let operations = self.operations
        let path = self.path
        // The pool runs this at once, on this thread, when it has already stopped.
        threadPool.submit { _ in
            if leftover >= 0 { try? operations.close(leftover) }
            operations.remove(path)
        }
    }
}
