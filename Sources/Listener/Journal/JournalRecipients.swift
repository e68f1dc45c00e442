import Foundation
import SpoolContract

/// Who a journal copy was for, read from its opening bytes. Two kinds of copy arrive:
///
/// - an Exchange journal report (it carries `X-MS-Journal-Report:`): the original message is
///   attached and the envelope's recipients, Bcc included, are lines of the report's first
///   part: `To:`, `Cc:`, `Bcc:`, `Recipient:` or `Recipients:`, each one or more addresses
///   (`To: ann@example.org, Expanded: sales@example.org` names both);
/// - any other copy (a Bcc rule's): the original message itself, so its `To:` and `Cc:` fields.
///
/// Returns the addresses as written; the caller keeps only those the relay policy accepts.
enum JournalRecipients {
    /// Read as bytes (ASCII names, CRLF lines): who sees a message is decided here.
    static func addresses(in opening: [UInt8]) -> [String] {
        let (header, body) = split(opening[...])
        let fields = unfoldedLines(header)
        let isReport = fields.contains { name(of: $0) == Array("x-ms-journal-report".utf8) }
        let lines = isReport ? unfoldedLines(firstPart(of: body, boundary: boundary(in: fields))) : fields
        let names = (isReport ? ["to", "cc", "bcc", "recipient", "recipients"] : ["to", "cc"]).map { Array($0.utf8) }
        return lines.flatMap { line -> [String] in
            guard let name = name(of: line), names.contains(name), let colon = line.firstIndex(of: colonByte) else { return [] }
            return addressesIn(line[(colon + 1)...])
        }
    }

    /// The bytes the recipients are read from: at most `limit` of the message's opening.
    static func opening(of body: MessageBody, limit: Int) throws -> [UInt8] {
        switch body {
        case .bytes(let bytes):
            return Array(bytes.prefix(limit))
        case .file(let path):
            guard let file = FileHandle(forReadingAtPath: path) else { throw SpoolError.io("cannot open \(path)") }
            defer { try? file.close() }
            return Array(try file.read(upToCount: limit) ?? Data())
        }
    }

    private static let colonByte = UInt8(ascii: ":")
    private static let crlf: [UInt8] = [0x0D, 0x0A]

    /// The first index of `needle` in `bytes`, or nil.
    private static func find(_ needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
        var index = bytes.startIndex
        while index + needle.count <= bytes.endIndex {
            if bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    private static func split(_ bytes: ArraySlice<UInt8>) -> (header: ArraySlice<UInt8>, body: ArraySlice<UInt8>) {
        guard let blank = find(crlf + crlf, in: bytes) else { return (bytes, []) }
        return (bytes[..<blank], bytes[(blank + 4)...])
    }

    /// Lines with folded continuations joined (RFC 5322 §2.2.3).
    private static func unfoldedLines(_ bytes: ArraySlice<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var rest = bytes
        while !rest.isEmpty {
            let end = find(crlf, in: rest) ?? rest.endIndex
            let line = rest[..<end]
            rest = end < rest.endIndex ? rest[(end + 2)...] : []
            if let first = line.first, first == 0x20 || first == 0x09, !lines.isEmpty {
                lines[lines.count - 1] += [0x20] + line.drop { $0 == 0x20 || $0 == 0x09 }
            } else {
                lines.append(Array(line))
            }
        }
        return lines
    }

    /// A field or report line's name, ASCII lowercased; nil when the line has none.
    private static func name(of line: [UInt8]) -> [UInt8]? {
        guard let colon = line.firstIndex(of: colonByte), colon > 0,
              line[..<colon].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return line[..<colon].map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
    }

    private static func boundary(in fields: [[UInt8]]) -> [UInt8]? {
        guard let type = fields.first(where: { name(of: $0) == Array("content-type".utf8) }) else { return nil }
        let lowered = type.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        guard let at = find(Array("boundary=".utf8), in: lowered[...]) else { return nil }
        var value = type[(at + 9)...]
        if value.first == UInt8(ascii: "\"") {
            value = value.dropFirst()
            return Array(value.prefix { $0 != UInt8(ascii: "\"") })
        }
        let token = value.prefix { $0 != UInt8(ascii: ";") && $0 != 0x20 && $0 != 0x09 }
        return token.isEmpty ? nil : Array(token)
    }

    /// The body of the first MIME part (after its own header), or the whole body without a boundary.
    private static func firstPart(of body: ArraySlice<UInt8>, boundary: [UInt8]?) -> ArraySlice<UInt8> {
        let dashes = Array("--".utf8)
        guard let boundary, let start = find(dashes + boundary + crlf, in: body) else { return body }
        var part = body[(start + dashes.count + boundary.count + 2)...]
        if let end = find(crlf + dashes + boundary, in: part) { part = part[..<end] }
        // A part without header fields starts with its blank line.
        return part.starts(with: crlf) ? part.dropFirst(2) : split(part).body
    }

    /// Each comma- or semicolon-separated item's address: inside `<…>` if there, else its last
    /// word with an `@` (which drops labels such as `Expanded:`).
    private static func addressesIn(_ value: ArraySlice<UInt8>) -> [String] {
        let at = UInt8(ascii: "@")
        return value.split(whereSeparator: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") }).compactMap { item in
            if let open = item.lastIndex(of: UInt8(ascii: "<")), let close = item[open...].firstIndex(of: UInt8(ascii: ">")) {
                let inner = item[(open + 1)..<close]
                return inner.contains(at) ? String(decoding: inner, as: UTF8.self) : nil
            }
            return item.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).last { $0.contains(at) }
                .map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
