/// Durations are written as a whole number and a unit: `"500ms"`, `"30s"`, `"5m"`, `"2h"`,
/// `"5d"`. A unit is required because a bare `30` reads as seconds to one operator and
/// minutes to the next.
enum DurationSyntax {
    /// Largest first, so that rendering picks the shortest spelling.
    static let units: [(suffix: String, milliseconds: Int64)] = [
        ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1),
    ]

    static let unitList = "units: ms, s, m, h, d"

    static func parse(_ text: String) throws(ValueError) -> Duration {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let suffix = text[digits.endIndex...]
        guard !digits.isEmpty else {
            throw ValueError("\(quoted(text)) is not a duration; write a whole number and a unit, e.g. \"30s\" (\(unitList))")
        }
        guard !suffix.isEmpty else {
            throw ValueError("\(quoted(text)) has no unit; add one, e.g. \"\(digits)s\" (\(unitList))")
        }
        if suffix.first == "." {
            throw ValueError("\(quoted(text)): write a whole number with a smaller unit, e.g. \"90s\" instead of \"1.5m\"")
        }
        guard let unit = units.first(where: { $0.suffix == suffix }) else {
            throw ValueError("\(quoted(text)): unknown unit \(quoted(String(suffix))) (\(unitList))")
        }
        guard let count = Int64(digits) else { throw tooLong(text) }
        let (milliseconds, overflow) = count.multipliedReportingOverflow(by: unit.milliseconds)
        guard !overflow else { throw tooLong(text) }
        return .milliseconds(milliseconds)
    }

    static func render(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        guard milliseconds != 0 else { return "0s" }
        let unit = units.first { milliseconds % $0.milliseconds == 0 } ?? units[units.count - 1]
        return "\(milliseconds / unit.milliseconds)\(unit.suffix)"
    }

    private static func tooLong(_ text: String) -> ValueError {
        ValueError("\(quoted(text)) is too long a duration to represent")
    }
}
