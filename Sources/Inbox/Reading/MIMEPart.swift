/// A leaf of a message's MIME tree: its headers and its body, transfer encoding undone.
struct MIMEPart: Sendable {
    var contentType: MIMEValue
    var disposition: MIMEValue?
    var body: [UInt8]

    var fileName: String? { disposition?.fileName ?? contentType.fileName }
    var isAttachment: Bool { disposition?.value == "attachment" || fileName != nil }

    /// Bounds for hostile structure: nesting and the number of parts.
    static let maxDepth = 10
    static let maxParts = 200

    /// The leaves of `message` (header section, blank line, body), depth first.
    static func leaves(of message: ArraySlice<UInt8>) -> [MIMEPart] {
        var leaves: [MIMEPart] = []
        collect(message, depth: 0, into: &leaves)
        return leaves
    }

    private static func collect(_ entity: ArraySlice<UInt8>, depth: Int, into leaves: inout [MIMEPart]) {
        guard leaves.count < maxParts else { return }
        let split = headerEnd(entity)
        let fields = HeaderField.parse(entity[entity.startIndex..<split])
        let body = entity[split...]
        let type = fields.first(named: "Content-Type").map { MIMEValue.parse($0.value) }
            ?? MIMEValue(value: "text/plain", parameters: [:])
        if type.value.hasPrefix("multipart/"), depth < maxDepth, let boundary = type.parameters["boundary"], !boundary.isEmpty {
            for part in parts(of: body, boundary: Array(boundary.utf8)) {
                collect(part, depth: depth + 1, into: &leaves)
            }
            return
        }
        let encoding = fields.first(named: "Content-Transfer-Encoding")
            .map { String(decoding: $0.value.map(asciiLowercased), as: UTF8.self).trimmingSpaces() } ?? ""
        let decoded: [UInt8] = switch encoding {
        case "base64": TransferDecoding.base64(body)
        case "quoted-printable": TransferDecoding.quotedPrintable(body, underscoreIsSpace: false)
        default: Array(body)
        }
        leaves.append(MIMEPart(contentType: type, disposition: fields.first(named: "Content-Disposition").map { MIMEValue.parse($0.value) },
                               body: decoded))
    }

    /// The index where the body starts: after the first empty line, or the end.
    static func headerEnd(_ entity: ArraySlice<UInt8>) -> Int {
        var index = entity.startIndex
        // A part may start with its blank line (no headers at all).
        if entity.starts(with: [0x0D, 0x0A]) { return index + 2 }
        if entity.first == 0x0A { return index + 1 }
        while index < entity.endIndex {
            guard let newline = entity[index...].firstIndex(of: 0x0A) else { return entity.endIndex }
            let next = newline + 1
            if next < entity.endIndex, entity[next] == 0x0A { return next + 1 }
            if next + 1 < entity.endIndex, entity[next] == 0x0D, entity[next + 1] == 0x0A { return next + 2 }
            index = next
        }
        return entity.endIndex
    }

    /// The bodies between `--boundary` lines, up to `--boundary--`.
    private static func parts(of body: ArraySlice<UInt8>, boundary: [UInt8]) -> [ArraySlice<UInt8>] {
        let delimiter = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var lineStart = body.startIndex
        while lineStart < body.endIndex {
            let newline = body[lineStart...].firstIndex(of: 0x0A) ?? body.endIndex
            let line = body[lineStart..<newline]
            if line.starts(with: delimiter) {
                if let start = partStart {
                    // The line break before the delimiter belongs to the delimiter.
                    var end = lineStart
                    if end > start, body[end - 1] == 0x0A { end -= 1 }
                    if end > start, body[end - 1] == 0x0D { end -= 1 }
                    parts.append(body[start..<end])
                }
                let rest = line.dropFirst(delimiter.count)
                if rest.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) { return parts }
                partStart = min(newline + 1, body.endIndex)
            }
            lineStart = newline + 1
        }
        if let start = partStart, start < body.endIndex { parts.append(body[start...]) }
        return parts
    }
}
