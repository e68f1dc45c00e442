/// `[spool]`: where the SQLite spool lives.
public struct SpoolSettings: Equatable, Sendable {
    /// The database file; relative paths are taken from the working directory.
    public var path: String
}

extension SpoolSettings {
    static var section: ConfigSection<SpoolSettings> {
        ConfigSection(name: "spool", keys: [
            ConfigKey("path", \.path, .path),
        ])
    }
}
