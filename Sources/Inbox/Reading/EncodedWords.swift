/// RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?ISO-8859-1?Q?…?=`) in header values, decoded
/// for display. Anything that does not decode stays as written.
enum EncodedWords {
    static func decode(_ value: [UInt8]) -> String {
        var output = ""
        var index = 0
        var pendingSpace = ""
        var lastWasEncoded = false
        while index < value.count {
            if value[index] == UInt8(ascii: "="), index + 1 < value.count, value[index + 1] == UInt8(ascii: "?"),
               let (text, end) = encodedWord(value, at: index) {
                // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
                if !lastWasEncoded { output += pendingSpace }
                output += text
                pendingSpace = ""
                lastWasEncoded = true
                index = end
                continue
            }
            let byte = value[index]
            if byte == 0x20 || byte == 0x09 {
                pendingSpace += " "
                index += 1
                continue
            }
            var end = index
            while end < value.count, value[end] != 0x20, value[end] != 0x09 { end += 1 }
            output += pendingSpace + String(decoding: value[index..<end], as: UTF8.self)
            pendingSpace = ""
            lastWasEncoded = false
            index = end
        }
        return output
    }

    private static func encodedWord(_ value: [UInt8], at start: Int) -> (String, Int)? {
        // =?charset?encoding?text?=
        var parts: [ArraySlice<UInt8>] = []
        var index = start + 2
        var partStart = index
        while index < value.count, index - start < 400 {
            let byte = value[index]
            if byte == 0x20 || byte == 0x09 { return nil }
            if byte == UInt8(ascii: "?") {
                if parts.count == 2, index + 1 < value.count, value[index + 1] == UInt8(ascii: "=") {
                    parts.append(value[partStart..<index])
                    let charset = String(decoding: parts[0], as: UTF8.self)
                    let encoding = parts[1].first.map(asciiLowercased)
                    let bytes: [UInt8]?
                    switch encoding {
                    case UInt8(ascii: "b"): bytes = TransferDecoding.base64(parts[2])
                    case UInt8(ascii: "q"): bytes = TransferDecoding.quotedPrintable(parts[2], underscoreIsSpace: true)
                    default: bytes = nil
                    }
                    guard let bytes else { return nil }
                    return (Charsets.decode(bytes, charset: charset), index + 2)
                }
                guard parts.count < 2 else { return nil }
                parts.append(value[partStart..<index])
                partStart = index + 1
            }
            index += 1
        }
        return nil
    }
}
