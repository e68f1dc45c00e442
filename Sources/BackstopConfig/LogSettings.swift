/// `[log]`: how much Backstop logs and in what shape.
public struct LogSettings: Equatable, Sendable {
    public var level: LogLevel
    public var format: LogFormat
}

/// The levels of swift-log's `Logger.Level`, under the same names.
public enum LogLevel: String, CaseIterable, Equatable, Sendable {
    case trace, debug, info, notice, warning, error, critical
}

public enum LogFormat: String, CaseIterable, Equatable, Sendable {
    /// One human-readable line per event.
    case text
    /// One JSON object per line, for log collectors.
    case json
}

extension LogSettings {
    static var section: ConfigSection<LogSettings> {
        ConfigSection(name: "log", keys: [
            ConfigKey("level", \.level, .choice),
            ConfigKey("format", \.format, .choice),
        ])
    }
}
