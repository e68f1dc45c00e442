/// Just enough of RFC 1035 §4.1 to read TXT and PTR records out of a response: the answer
/// section's records of one type, character-strings, and compressed names. Every offset is
/// checked against the message; a malformed message yields no records rather than a trap.
enum AnswerSection {
    struct RData {
        var start: Int
        var data: ArraySlice<UInt8>
    }

    static func records(in message: [UInt8], type: UInt16) -> [RData] {
        guard message.count >= 12 else { return [] }
        let questions = Int(u16(message, 4)), answers = Int(u16(message, 6))
        var offset = 12
        for _ in 0..<questions {
            guard let end = skipName(message, offset), end + 4 <= message.count else { return [] }
            offset = end + 4
        }
        var found: [RData] = []
        for _ in 0..<answers {
            guard let end = skipName(message, offset), end + 10 <= message.count else { return found }
            let recordType = u16(message, end), length = Int(u16(message, end + 8))
            let start = end + 10
            guard start + length <= message.count else { return found }
            if recordType == type { found.append(RData(start: start, data: message[start..<(start + length)])) }
            offset = start + length
        }
        return found
    }

    /// A TXT record's character-strings joined (RFC 7208 §3.3); nil when malformed.
    static func characterStrings(_ data: ArraySlice<UInt8>) -> [UInt8]? {
        var text: [UInt8] = []
        var index = data.startIndex
        while index < data.endIndex {
            let length = Int(data[index])
            guard index + 1 + length <= data.endIndex else { return nil }
            text += data[(index + 1)..<(index + 1 + length)]
            index += 1 + length
        }
        return text
    }

    /// The name at `offset`, compression pointers followed (at most 64), without the final dot.
    static func name(in message: [UInt8], at offset: Int) -> String? {
        var labels: [String] = []
        var index = offset, jumps = 0, total = 0
        while index < message.count {
            let length = Int(message[index])
            if length == 0 { return labels.joined(separator: ".") }
            if length & 0xC0 == 0xC0 {
                guard index + 1 < message.count, jumps < 64 else { return nil }
                index = (length & 0x3F) << 8 | Int(message[index + 1])
                jumps += 1
                continue
            }
            guard length < 64, index + 1 + length <= message.count else { return nil }
            total += length + 1
            guard total <= 255 else { return nil }
            labels.append(String(decoding: message[(index + 1)..<(index + 1 + length)], as: UTF8.self))
            index += 1 + length
        }
        return nil
    }

    /// The offset after the name at `offset` (a pointer ends it).
    private static func skipName(_ message: [UInt8], _ offset: Int) -> Int? {
        var index = offset
        while index < message.count {
            let length = Int(message[index])
            if length == 0 { return index + 1 }
            if length & 0xC0 == 0xC0 { return index + 2 <= message.count ? index + 2 : nil }
            index += 1 + length
        }
        return nil
    }

    private static func u16(_ message: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
    }
}
