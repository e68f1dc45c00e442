import Foundation

/// A JSON value whose object keys keep the order they are written in, so that `--json` output
/// and `/status.json` are one stable, diffable document; nil optionals are written as `null`,
/// never left out.
public indirect enum JSONValue: Sendable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case array([JSONValue])
    case object(KeyValuePairs<String, JSONValue>)
    case orderedObject([(String, JSONValue)])
    case null

    public static func optional(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }

    public static func optional(_ date: Date?) -> JSONValue {
        date.map(time) ?? .null
    }

    public static func time(_ date: Date) -> JSONValue {
        .string(date.formatted(Date.ISO8601FormatStyle()))
    }

    /// Two-space indentation, one key per line, a final newline.
    public var document: String {
        var text = ""
        write(to: &text, indent: 0)
        return text + "\n"
    }

    private func write(to text: inout String, indent: Int) {
        let inner = String(repeating: "  ", count: indent + 1)
        let outer = String(repeating: "  ", count: indent)
        switch self {
        case .string(let value): Self.quote(value, to: &text)
        case .integer(let value): text += String(value)
        case .bool(let value): text += value ? "true" : "false"
        case .null: text += "null"
        case .array(let values):
            guard !values.isEmpty else { text += "[]"; return }
            text += "[\n"
            for (index, value) in values.enumerated() {
                text += inner
                value.write(to: &text, indent: indent + 1)
                text += index == values.count - 1 ? "\n" : ",\n"
            }
            text += outer + "]"
        case .object(let pairs):
            JSONValue.orderedObject(pairs.map { ($0.key, $0.value) }).write(to: &text, indent: indent)
        case .orderedObject(let pairs):
            guard !pairs.isEmpty else { text += "{}"; return }
            text += "{\n"
            for (index, (key, value)) in pairs.enumerated() {
                text += inner
                Self.quote(key, to: &text)
                text += ": "
                value.write(to: &text, indent: indent + 1)
                text += index == pairs.count - 1 ? "\n" : ",\n"
            }
            text += outer + "}"
        }
    }

    /// RFC 8259 escaping. Controls (C0, DEL, C1), format characters (bidi overrides, zero-width)
    /// and line separators are escaped too, so that a document printed to a terminal cannot
    /// carry escape sequences or reorder what is shown; other characters are written as they are.
    private static func quote(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case let escaped where TerminalSafety.mustEscape(escaped):
                for unit in String(escaped).utf16 { text += String(format: "\\u%04x", unit) }
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
