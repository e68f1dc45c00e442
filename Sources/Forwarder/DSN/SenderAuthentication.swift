/// What Backstop's own Authentication-Results field, stored at the top of a message, says of
/// its sender: a sender that failed SPF or DMARC here is probably forged, and a DSN to it
/// would be backscatter. Only the trace block Backstop prepends is read (the fields before
/// the first that is not Received:, Authentication-Results: or ARC-*), and only fields that
/// claim our authserv-id: the listener removed incoming ones that claimed it.
enum SenderAuthentication {
    /// "spf=fail" or "dmarc=fail" when our field says so; nil otherwise.
    static func failure(in message: [UInt8], authservID: String) -> String? {
        for field in traceFields(of: DSNBuilder.headerSection(of: message)) {
            guard let colon = field.firstIndex(of: UInt8(ascii: ":")),
                  equalsIgnoringCase(trimmed(field[..<colon]), "Authentication-Results") else { continue }
            let segments = topLevelSegments(field[(colon + 1)...])
            guard let id = segments.first, equalsIgnoringCase(unquoted(id), authservID) else { continue }
            for segment in segments.dropFirst() {
                let words = Array(segment.utf8).split(whereSeparator: { [0x20, 0x09, 0x0D, 0x0A].contains($0) })
                guard let result = words.first else { continue }
                if equalsIgnoringCase(result, "dmarc=fail") { return "dmarc=fail" }
                let namesMailFrom = words.contains { $0.count > 14 && equalsIgnoringCase($0.prefix(14), "smtp.mailfrom=") }
                if equalsIgnoringCase(result, "spf=fail"), namesMailFrom { return "spf=fail" }
            }
        }
        return nil
    }

    /// The fields at the top of the header that trace fields Backstop writes may be.
    private static func traceFields(of header: [UInt8]) -> [ArraySlice<UInt8>] {
        var fields: [ArraySlice<UInt8>] = []
        var start = header.startIndex
        var index = header.startIndex
        while index < header.endIndex {
            guard let lf = header[index...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            index = lf + 1
            if index < header.endIndex, header[index] == UInt8(ascii: " ") || header[index] == UInt8(ascii: "\t") { continue }
            let field = header[start..<index]
            let name = field.prefix { $0 != UInt8(ascii: ":") }
            let isTrace = equalsIgnoringCase(trimmed(name), "Received") || equalsIgnoringCase(trimmed(name), "Authentication-Results")
                || (name.count > 4 && equalsIgnoringCase(name.prefix(4), "ARC-"))
            guard isTrace else { break }
            fields.append(field)
            start = index
        }
        return fields
    }

    /// The value split at semicolons outside quoted strings and comments, comments dropped.
    private static func topLevelSegments(_ value: ArraySlice<UInt8>) -> [String] {
        var segments: [String] = []
        var current: [UInt8] = []
        var inQuote = false, depth = 0, escaped = false
        for byte in value {
            if escaped { escaped = false; if depth == 0 { current.append(byte) }; continue }
            if byte == UInt8(ascii: "\\"), inQuote || depth > 0 { escaped = true; if depth == 0 { current.append(byte) }; continue }
            if inQuote { if byte == UInt8(ascii: "\"") { inQuote = false }; current.append(byte); continue }
            if byte == UInt8(ascii: "(") { depth += 1; continue }
            if depth > 0 { if byte == UInt8(ascii: ")") { depth -= 1 }; continue }
            if byte == UInt8(ascii: "\"") { inQuote = true; current.append(byte); continue }
            if byte == UInt8(ascii: ";") { segments.append(String(decoding: current, as: UTF8.self)); current = []; continue }
            current.append(byte)
        }
        segments.append(String(decoding: current, as: UTF8.self))
        return segments
    }

    private static func unquoted(_ text: String) -> ArraySlice<UInt8> {
        let bytes = trimmed(Array(text.utf8)[...])
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") { return bytes.dropFirst().dropLast() }
        return bytes
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return [] }
        return bytes[first...last]
    }

    /// ASCII case-insensitive, byte for byte.
    private static func equalsIgnoringCase(_ bytes: some Collection<UInt8>, _ text: String) -> Bool {
        let lower: (UInt8) -> UInt8 = { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
        return bytes.count == text.utf8.count && zip(bytes, text.utf8).allSatisfy { lower($0) == lower($1) }
    }
}
