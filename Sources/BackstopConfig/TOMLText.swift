import TOMLKit

/// `text` as a TOML basic string, so that rendered values parse back exactly and error
/// messages show the value as the operator would type it.
func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// An integer as TOML, with `_` between thousands once it is long enough to miscount.
func tomlInteger(_ value: Int) -> String {
    let digits = String(value.magnitude)
    guard digits.count > 4 else { return String(value) }
    var grouped = ""
    for (offset, digit) in digits.enumerated() {
        if offset > 0 && (digits.count - offset) % 3 == 0 { grouped += "_" }
        grouped.append(digit)
    }
    return (value < 0 ? "-" : "") + grouped
}

func tomlArray(_ items: [String]) -> String {
    "[" + items.map(quoted).joined(separator: ", ") + "]"
}

extension TOMLType {
    /// The type's name with its article, for "expected an integer, found a string".
    var spoken: String {
        switch self {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }
}

extension TOMLValueConvertible {
    /// What the operator wrote, for error messages: the type, and the value when it is short.
    var found: String {
        let shown: String? = switch type {
        case .string: string.map { $0.count > 60 ? quoted(String($0.prefix(57)) + "...") : quoted($0) }
        case .int: int.map(String.init)
        case .double: double.map { String($0) }
        case .bool: bool.map(String.init)
        case .date, .time, .dateTime: debugDescription
        case .table, .array: nil
        }
        return "found " + type.spoken + (shown.map { " (\($0))" } ?? "")
    }
}
