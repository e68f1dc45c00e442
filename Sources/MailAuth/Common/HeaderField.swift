/// One header field of a message as it was received: its name and its raw bytes (name,
/// colon, value, every fold, and the final CRLF). Signatures hash these raw bytes, so
/// nothing here normalises them.
public struct HeaderField: Sendable, Equatable {
    /// The field's bytes from the first byte of the name through the final CRLF.
    public var raw: [UInt8]
    /// Length of the name (the bytes before the colon, trailing WSP excluded).
    let nameLength: Int
    let colonIndex: Int

    public var name: String { String(decoding: raw[..<nameLength], as: UTF8.self) }
    /// The value: everything after the colon up to (not including) the final CRLF.
    public var value: ArraySlice<UInt8> {
        var end = raw.endIndex
        if end >= 2, raw[end - 2] == 0x0D, raw[end - 1] == 0x0A { end -= 2 }
        return raw[(colonIndex + 1)..<end]
    }

    /// Whether the name equals `other`, ASCII case-insensitively.
    public func hasName(_ other: String) -> Bool { ASCII.equalsIgnoringCase(raw[..<nameLength], other.utf8) }

    /// Nil when `raw` holds no colon or no valid field name (printable ASCII but ":", RFC 5322 §3.6.8).
    public init?(raw: [UInt8]) {
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        var end = colon
        while end > 0, raw[end - 1] == 0x20 || raw[end - 1] == 0x09 { end -= 1 }
        guard end > 0, raw[..<end].allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        self.raw = raw
        self.nameLength = end
        self.colonIndex = colon
    }

    /// A new field from a name and an already folded value (which starts after the colon).
    public init(name: String, value: String) {
        self.init(raw: Array((name + ":" + value + "\r\n").utf8))!
    }
}
