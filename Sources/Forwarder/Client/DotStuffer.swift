#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Dot-stuffs stored content on its way into DATA (RFC 5321 §4.5.2), one chunk at a time:
/// a line that starts with "." gets a second one. Nothing else is changed.
///
/// Lines end at CRLF only, the same rule the receiving side's decoder uses, so the content the
/// primary decodes is byte for byte the content stored.
struct DotStuffer: Sendable {
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let dot = UInt8(ascii: ".")

    /// The next byte starts a line: the content so far is empty or ends with CRLF.
    private var atLineStart = true
    /// The content so far ends with CR.
    private var previousWasCR = false

    /// Appends `chunk`, stuffed, to `out`.
    mutating func stuff(_ chunk: [UInt8], into out: inout ByteBuffer) {
        guard !chunk.isEmpty else { return }
        chunk.withUnsafeBufferPointer { bytes in
            // Only a dot can need stuffing, and dots are rare: memchr finds them, runs between
            // them are copied whole.
            let base = bytes.baseAddress!
            var runStart = 0
            var searchFrom = 0
            while searchFrom < bytes.count, let found = memchr(base + searchFrom, Int32(Self.dot), bytes.count - searchFrom) {
                let index = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
                if startsLine(at: index, in: bytes) {
                    out.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<index])))
                    out.writeInteger(Self.dot)
                    runStart = index
                }
                searchFrom = index + 1
            }
            out.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart...])))
            let last = bytes.count - 1
            atLineStart = bytes[last] == Self.lf && (last > 0 ? bytes[last - 1] == Self.cr : previousWasCR)
            previousWasCR = bytes[last] == Self.cr
        }
    }

    /// Whether the byte at `index` of the chunk begins a line, counting what came before the chunk.
    private func startsLine(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch index {
        case 0: atLineStart
        case 1: previousWasCR && bytes[0] == Self.lf
        default: bytes[index - 2] == Self.cr && bytes[index - 1] == Self.lf
        }
    }

    /// Appends the end-of-data marker. Stored content ends with CRLF; if it somehow does not,
    /// one is added, because `.` must start a line to end the data.
    mutating func finish(into out: inout ByteBuffer) {
        if !atLineStart { out.writeString("\r\n") }
        out.writeString(".\r\n")
        atLineStart = true
        previousWasCR = false
    }
}
