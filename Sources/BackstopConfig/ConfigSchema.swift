import TOMLKit

/// One key of a section: its TOML name, how its value is read into the settings and how
/// it is written back. A section is a list of these, so adding a key is adding one line.
struct ConfigKey<Settings> {
    let name: String
    let read: (TOMLValueConvertible, inout Settings) throws(ValueError) -> Void
    /// The value as TOML, or nil for an optional value that is not set.
    let render: (Settings) -> String?

    init<Value>(_ name: String, _ path: WritableKeyPath<Settings, Value>, _ syntax: ValueSyntax<Value>) {
        self.name = name
        read = { value, settings throws(ValueError) in settings[keyPath: path] = try syntax.read(value) }
        render = { syntax.render($0[keyPath: path]) }
    }

    /// A key that may be left out, such as the TLS certificate.
    init<Value>(_ name: String, _ path: WritableKeyPath<Settings, Value?>, _ syntax: ValueSyntax<Value>) {
        self.name = name
        read = { value, settings throws(ValueError) in settings[keyPath: path] = try syntax.read(value) }
        render = { $0[keyPath: path].map(syntax.render) }
    }
}

/// A `[section]` of the configuration file: its keys in file order, and the checks that
/// span keys or look outside the file (both TLS files given, files readable).
struct ConfigSection<Settings> {
    let name: String
    let keys: [ConfigKey<Settings>]
    var check: (Settings, SectionContext) throws(ConfigError) -> Void = { _, _ in }
}

/// Where a value sits, to turn its problem into a `ConfigError` that names file and key.
struct SectionContext {
    let file: String
    let section: String

    func error(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, location: .key(section: section, key: key), problem: problem)
    }
}

/// A section bound to its place in `BackstopConfiguration`, so that sections of different
/// settings types can sit in one list.
struct SectionBinding {
    let name: String
    let keyNames: [String]
    let read: (TOMLTable, inout BackstopConfiguration, SectionContext) throws(ConfigError) -> Void
    let check: (BackstopConfiguration, SectionContext) throws(ConfigError) -> Void
    /// The section's lines as TOML, header first.
    let render: (BackstopConfiguration) -> [String]

    init<Settings>(_ section: ConfigSection<Settings>, at path: WritableKeyPath<BackstopConfiguration, Settings>) {
        name = section.name
        keyNames = section.keys.map(\.name)
        read = { table, configuration, context throws(ConfigError) in
            for key in section.keys {
                guard let value = table[key.name] else { continue }
                do throws(ValueError) {
                    try key.read(value, &configuration[keyPath: path])
                } catch {
                    throw context.error(key.name, error.problem)
                }
            }
        }
        check = { configuration, context throws(ConfigError) in
            try section.check(configuration[keyPath: path], context)
        }
        render = { configuration in
            let settings = configuration[keyPath: path]
            return ["[\(section.name)]"] + section.keys.map { key in
                key.render(settings).map { "\(key.name) = \($0)" } ?? "# \(key.name) is not set"
            }
        }
    }
}
