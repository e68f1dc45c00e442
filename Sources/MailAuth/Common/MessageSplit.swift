/// Where a stored message's header block ends and its body starts: at the first empty line
/// (RFC 5322 §2.1). Without one, the whole message is header and the body is empty.
public struct MessageSplit: Sendable {
    /// End of the header block, including the CRLF of its last field.
    public let headerEnd: Int
    /// First byte of the body (after the empty line).
    public let bodyStart: Int

    public init(_ message: [UInt8]) {
        if message.starts(with: [0x0D, 0x0A]) {
            headerEnd = 0; bodyStart = 2; return
        }
        var index = 0
        while index + 3 < message.count {
            if message[index] == 0x0D, message[index + 1] == 0x0A, message[index + 2] == 0x0D, message[index + 3] == 0x0A {
                headerEnd = index + 2
                bodyStart = index + 4
                return
            }
            index += 1
        }
        headerEnd = message.count
        bodyStart = message.count
    }
}
