/// Watches the header section of a message as it streams past, without buffering the message.
///
/// It counts `Received:` fields for the hop-count loop guard (RFC 5321 §6.3) and remembers the
/// `Message-ID`, which the spool uses to recognise a resent duplicate.
public struct HeaderScanner: Sendable {
    /// Longest header field kept for inspection; longer ones are counted but not read.
    static let maxFieldLength = 4096

    public private(set) var receivedCount = 0
    public private(set) var messageID: String?
    public private(set) var isInBody = false

    private var field: [UInt8] = []
    private var fieldOverflowed = false
    private var lineStart = true

    public init() {}

    public mutating func scan<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            if isInBody { return }
            if lineStart {
                lineStart = false
                if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                    finishField()
                    isInBody = true
                    return
                }
                // A line starting with white space continues the previous field (folding).
                if byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t") { finishField() }
            }
            if byte == UInt8(ascii: "\n") {
                lineStart = true
                continue
            }
            if field.count < Self.maxFieldLength {
                if byte != UInt8(ascii: "\r") { field.append(byte) }
            } else {
                fieldOverflowed = true
            }
        }
    }

    private mutating func finishField() {
        defer { field.removeAll(keepingCapacity: true); fieldOverflowed = false }
        guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { return }
        // Field names are ASCII; Unicode case mapping would let other bytes pass for them.
        let name = ASCII.uppercased(String(decoding: field[..<colon], as: UTF8.self).trimmingSpaces)
        switch name {
        case "RECEIVED":
            receivedCount += 1
        case "MESSAGE-ID" where messageID == nil && !fieldOverflowed:
            let value = String(decoding: field[(colon + 1)...], as: UTF8.self).trimmingSpaces
            if !value.isEmpty { messageID = value }
        default:
            break
        }
    }
}

extension String {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(scalars[first...last])
    }
}
