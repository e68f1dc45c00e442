import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file system calls a spilled message body makes. They block, so they run on the thread
/// pool, never on an event loop; a test can supply its own to see where they run.
public protocol SpillFileOperations: Sendable {
    /// Creates a new file for writing only (it must not exist) and returns its descriptor.
    func create(_ path: String) throws -> Int32
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws
    func close(_ descriptor: Int32) throws
    /// Removes a file that will not be used; a failure leaves litter, not damage.
    func remove(_ path: String)
}

/// The real file system.
public struct POSIXSpillFileOperations: SpillFileOperations {
    public init() {}

    public func create(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "open \(path)") }
        return descriptor
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < bytes.count {
            let written = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if written < 0 {
                if errno == EINTR { continue }
                throw IOError(errnoCode: errno, reason: "write")
            }
            done += written
        }
    }

    public func close(_ descriptor: Int32) throws {
        #if canImport(Glibc)
        let result = Glibc.close(descriptor)
        #else
        let result = Darwin.close(descriptor)
        #endif
        if result != 0 { throw IOError(errnoCode: errno, reason: "close") }
    }

    public func remove(_ path: String) {
        unlink(path)
    }
}

/// A spilled body that cannot be written for want of space is a full disk like the spool's.
extension IOError: DiskFullReporting {
    var isDiskFull: Bool { errnoCode == ENOSPC }
}
