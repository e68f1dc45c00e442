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

    private var atLineStart = true
    private var previousWasCR = false

    /// Appends `chunk`, stuffed, to `out`.
    mutating func stuff(_ chunk: [UInt8], into out: inout ByteBuffer) {
        var runStart = chunk.startIndex
        for index in chunk.indices {
            let byte = chunk[index]
            if atLineStart, byte == Self.dot {
                out.writeBytes(chunk[runStart..<index])
                out.writeInteger(Self.dot)
                runStart = index
            }
            atLineStart = previousWasCR && byte == Self.lf
            previousWasCR = byte == Self.cr
        }
        out.writeBytes(chunk[runStart...])
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
