#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One spool, one server: `backstop serve` holds an exclusive `flock` on `<database>.lock`
/// for as long as it runs. A second server on the same database would free the first's
/// leases at start and deliver its in-flight mail a second time. The kernel drops the lock
/// when the process ends, however it ends, so a crash leaves nothing to clean up. Operator
/// commands do not take it: they work beside a running server.
public final class SpoolLock: Sendable {
    /// The lock file: the database's path with `.lock` appended.
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The lock file's path for the spool database at `databasePath`.
    public static func lockPath(forSpoolAt databasePath: String) -> String {
        databasePath + ".lock"
    }

    /// Takes the lock for the spool at `databasePath` without waiting, and writes this
    /// process's PID into the lock file. Throws `SpoolLockError.held` when another process has it.
    public static func acquire(forSpoolAt databasePath: String) throws -> SpoolLock {
        let path = lockPath(forSpoolAt: databasePath)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SpoolLockError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            let holder = code == EWOULDBLOCK ? readPID(descriptor) : nil
            close(descriptor)
            if code == EWOULDBLOCK {
                throw SpoolLockError.held(path: path, databasePath: databasePath, pid: holder)
            }
            throw SpoolLockError.cannotOpen(path: path, reason: String(cString: strerror(code)))
        }
        let text = Array("\(getpid())\n".utf8)
        let written = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        // The PID is for the operator's error message only; the lock itself is what counts.
        if written == text.count { _ = ftruncate(descriptor, off_t(text.count)) }
        return SpoolLock(path: path, descriptor: descriptor)
    }

    /// Gives the lock up; the file stays (removing it would race with a server starting).
    public func release() {
        _ = flock(descriptor, LOCK_UN)
    }

    deinit {
        close(descriptor)
    }

    private static func readPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}

/// Why `backstop serve` cannot own the spool.
public enum SpoolLockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another process holds the lock: a server already runs on this spool.
    case held(path: String, databasePath: String, pid: Int32?)
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case let .held(path, databasePath, pid):
            let holder = pid.map { "process \($0)" } ?? "another process"
            return "another backstop serve (\(holder)) is already using the spool \(databasePath) (lock \(path)); "
                + "stop it first, or give this server its own [spool] path"
        case let .cannotOpen(path, reason):
            return "cannot lock the spool with \(path): \(reason); check the spool directory's owner and permissions"
        }
    }
}
