import BackstopConfig

/// The embedded defaults as `rendered()` writes them, by "section key", the way documentation
/// quotes them: strings without their quotes, integers without digit separators. A derived
/// default (`probe_timeout`) is rendered as the value it takes.
func renderedDefaults() -> [String: String] {
    var configuration = BackstopConfiguration.embeddedDefaults
    configuration.primary.probeTimeoutSetting = configuration.primary.probeTimeout
    var section = ""
    var values: [String: String] = [:]
    for line in configuration.rendered().split(separator: "\n") {
        if line.hasPrefix("[") {
            section = String(line.dropFirst().dropLast())
        } else if let equals = line.range(of: " = "), !line.hasPrefix("#") {
            values["\(section) \(line[..<equals.lowerBound])"] = documented(line[equals.upperBound...])
        }
    }
    return values
}

/// A TOML value as documentation writes it: `"5m"` as 5m, `52_428_800` as 52428800.
func documented(_ value: Substring) -> String {
    var value = value
    if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
    if value.allSatisfy({ $0.isNumber || $0 == "_" }) { value = Substring(value.filter { $0 != "_" }) }
    return String(value)
}
