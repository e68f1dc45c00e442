/// The values the macro letters of RFC 7208 §7.3 stand for.
struct SPFMacroContext: Sendable {
    var sender: [UInt8]
    var local: [UInt8]
    var senderDomain: [UInt8]
    var client: IPAddress
    var helo: [UInt8]
    var receivingHost: [UInt8]
    var timestamp: Int

    /// `%{i}`: dotted quad, or 32 dot-separated nibbles for IPv6.
    var clientForMacro: [UInt8] {
        if client.isIPv4 { return Array(client.description.utf8) }
        return Array(client.nibbles.map { String($0, radix: 16) }.joined(separator: ".").utf8)
    }
}
