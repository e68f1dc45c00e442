/// One header field of a stored message, unfolded, with its value still as bytes.
struct HeaderField: Sendable, Equatable {
    var name: String
    var value: [UInt8]

    /// Fields of a header section (up to its blank line), unfolded. Lines without a colon are
    /// skipped: the inbox shows what it can read and never fails on a malformed message.
    static func parse(_ section: ArraySlice<UInt8>) -> [HeaderField] {
        var fields: [HeaderField] = []
        for line in unfoldedLines(section) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { continue }
            let name = String(decoding: line[..<colon], as: UTF8.self).trimmingSpaces()
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
            fields.append(HeaderField(name: name, value: Array(value)))
        }
        return fields
    }

    private static func unfoldedLines(_ section: ArraySlice<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var index = section.startIndex
        while index < section.endIndex {
            var end = section[index...].firstIndex(of: 0x0A) ?? section.endIndex
            let next = end < section.endIndex ? end + 1 : end
            if end > index, section[end - 1] == 0x0D { end -= 1 }
            let line = section[index..<end]
            index = next
            if line.isEmpty { break }
            if let first = line.first, first == 0x20 || first == 0x09 {
                current.append(contentsOf: line)
            } else {
                if !current.isEmpty { lines.append(current) }
                current = Array(line)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

extension [HeaderField] {
    /// The first field called `name` (ASCII case-insensitive).
    func first(named name: String) -> HeaderField? {
        let wanted = [UInt8](name.utf8).map(asciiLowercased)
        return first { [UInt8]($0.name.utf8).map(asciiLowercased) == wanted }
    }

    /// The first field called `name`, decoded for people (RFC 2047 encoded words).
    func text(_ name: String) -> String? {
        first(named: name).map { EncodedWords.decode($0.value) }
    }
}

func asciiLowercased(_ byte: UInt8) -> UInt8 {
    (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let end = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[start...end])
    }
}
