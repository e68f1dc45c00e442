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
    static func addresses(in opening: [UInt8]) -> [String] {
        let text = String(decoding: opening, as: UTF8.self)
        let (header, body) = split(text)
        let fields = unfoldedLines(header)
        let isReport = fields.contains { name(of: $0) == "x-ms-journal-report" }
        let lines: [String]
        let names: Set<String>
        if isReport {
            lines = unfoldedLines(firstPart(of: body, boundary: boundary(in: fields)))
            names = ["to", "cc", "bcc", "recipient", "recipients"]
        } else {
            lines = fields
            names = ["to", "cc"]
        }
        return lines.filter { name(of: $0).map(names.contains) ?? false }.flatMap { line in
            addressesIn(String(line[line.index(after: line.firstIndex(of: ":")!)...]))
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

    private static func split(_ text: String) -> (header: String, body: String) {
        guard let blank = text.range(of: "\r\n\r\n") else { return (text, "") }
        return (String(text[..<blank.lowerBound]), String(text[blank.upperBound...]))
    }

    /// Lines with folded continuations joined (RFC 5322 §2.2.3).
    private static func unfoldedLines(_ text: String) -> [String] {
        var lines: [String] = []
        for line in text.components(separatedBy: "\r\n") {
            if let first = line.unicodeScalars.first, first == " " || first == "\t", !lines.isEmpty {
                lines[lines.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            } else {
                lines.append(line)
            }
        }
        return lines
    }

    /// A field or report line's name, lowercased (ASCII); nil when the line has none.
    private static func name(of line: String) -> String? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let name = line[..<colon]
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        return name.lowercased()
    }

    private static func boundary(in fields: [String]) -> String? {
        guard let type = fields.first(where: { name(of: $0) == "content-type" }),
              let range = type.range(of: "boundary=", options: .caseInsensitive) else { return nil }
        let value = type[range.upperBound...]
        if value.hasPrefix("\"") { return value.dropFirst().split(separator: "\"").first.map(String.init) }
        return value.split(whereSeparator: { $0 == ";" || $0 == " " }).first.map(String.init)
    }

    /// The body of the first MIME part (after its own header), or the whole body without a boundary.
    private static func firstPart(of body: String, boundary: String?) -> String {
        guard let boundary, let start = body.range(of: "--" + boundary + "\r\n") else { return body }
        var part = body[start.upperBound...]
        if let end = part.range(of: "\r\n--" + boundary) { part = part[..<end.lowerBound] }
        return split(String(part)).body
    }

    /// Each comma- or semicolon-separated item's address: inside `<…>` if there, else its last
    /// word with an `@` (which drops labels such as `Expanded:`).
    private static func addressesIn(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == "," || $0 == ";" }).compactMap { item in
            if let open = item.lastIndex(of: "<"), let close = item[open...].firstIndex(of: ">") {
                let inner = item[item.index(after: open)..<close]
                return inner.contains("@") ? String(inner) : nil
            }
            return item.split(whereSeparator: { $0 == " " || $0 == "\t" }).last { $0.contains("@") }.map(String.init)
        }
    }
}
