#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SpoolContract

/// Plain POSIX reads of the listener's body files, so a failure carries its
/// errno (ENOSPC and EIO must be told apart) and memory stays at one chunk.
enum BodyFile {
    static func readChunks(of path: String, chunkSize: Int, _ consume: (ArraySlice<UInt8>) throws -> Void) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SpoolError(errno: errno, doing: "cannot open message body file \(path)")
        }
        defer { close(descriptor) }

        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunkSize) }
            if count == 0 {
                return
            }
            if count < 0 {
                if errno == EINTR {
                    continue
                }
                throw SpoolError(errno: errno, doing: "cannot read message body file \(path)")
            }
            try consume(buffer[..<count])
        }
    }
}
