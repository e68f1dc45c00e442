import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole text file and, when it cannot, says why in the words of the C library
/// ("No such file or directory", "Permission denied"), which operators recognise.
enum TextFile {
    /// The largest configuration, PEM or recipients file we read; past it the path most
    /// likely points at the wrong thing (a device, a log file).
    static let sizeLimit = 64 << 20

    static func contents(of path: String) throws(ValueError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ValueError(systemReason(errno)) }
        defer { close(descriptor) }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ValueError(systemReason(errno))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= sizeLimit else {
                throw ValueError("larger than \(sizeLimit >> 20) MiB; is this the right file?")
            }
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw ValueError("not UTF-8 text; save it as UTF-8")
        }
        return text
    }

    private static func systemReason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
