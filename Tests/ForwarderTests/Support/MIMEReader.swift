import Foundation

/// Just enough MIME to take a generated DSN apart again in tests.
struct MIMEEntity {
    var headers: [(name: String, value: String)]
    var body: String

    init(_ text: String) {
        let split = text.range(of: "\r\n\r\n")
        let head = split.map { String(text[..<$0.lowerBound]) } ?? text
        body = split.map { String(text[$0.upperBound...]) } ?? ""
        headers = []
        for line in head.components(separatedBy: "\r\n") {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var boundary: String? {
        guard let type = header("Content-Type"), let range = type.range(of: "boundary=\"") else { return nil }
        return String(type[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The body parts of a multipart entity.
    var parts: [MIMEEntity] {
        guard let boundary else { return [] }
        let sections = body.components(separatedBy: "\r\n--\(boundary)")
        // The first section is the preamble, the last starts with "--" (the close delimiter).
        return sections.dropFirst().filter { !$0.hasPrefix("--") }.map { section in
            MIMEEntity(String(section.dropFirst(2)))
        }
    }

    /// The groups of fields of a message/delivery-status body: per-message first, then one per recipient.
    var statusGroups: [[String: String]] {
        body.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.map { group in
            var fields: [String: String] = [:]
            for field in MIMEEntity(group + "\r\n\r\n").headers { fields[field.name] = field.value }
            return fields
        }
    }
}
