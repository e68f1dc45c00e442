#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Room kept on the spool's file system for delivery outcomes: a file of allocated blocks
/// beside the database (`<database>.reserve`). When recording an outcome meets a full disk,
/// the file is deleted and the outcome written into the space it held; otherwise a full disk
/// would keep mail the primary already accepted leased, to be delivered again. A reserve
/// inside the database (free pages) would not do: in WAL mode a write first grows the WAL,
/// another file. The reserve is made again once the file system has room for it and more.
final class SpaceReserve: Sendable {
    let path: String
    let bytes: Int

    init(forSpoolAt databasePath: String, bytes: Int) {
        self.path = databasePath + ".reserve"
        self.bytes = bytes
    }

    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Deletes the reserve to free its space; false when there was none to free.
    func release() -> Bool {
        bytes > 0 && unlink(path) == 0
    }

    /// Makes the reserve when it is missing and the file system has room for four times its
    /// size (so that making it does not itself fill the disk). True when it is in place.
    @discardableResult
    func restore() -> Bool {
        guard bytes > 0 else { return true }
        if exists { return true }
        var stats = statvfs()
        guard statvfs(URL(fileURLWithPath: path).deletingLastPathComponent().path, &stats) == 0,
              UInt64(stats.f_bavail) * UInt64(stats.f_frsize) >= UInt64(bytes) * 4
        else { return false }
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        // Allocated blocks, not a sparse file: deleting a sparse file frees nothing.
        var allocated = posix_fallocate(descriptor, 0, off_t(bytes)) == 0
        if !allocated { allocated = Self.writeZeros(descriptor, bytes) }
        close(descriptor)
        guard allocated, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    private static func writeZeros(_ descriptor: Int32, _ bytes: Int) -> Bool {
        let block = [UInt8](repeating: 0, count: 64 * 1024)
        var left = bytes
        while left > 0 {
            let count = block.withUnsafeBytes { write(descriptor, $0.baseAddress, min(left, $0.count)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            left -= count
        }
        return fsync(descriptor) == 0
    }
}
