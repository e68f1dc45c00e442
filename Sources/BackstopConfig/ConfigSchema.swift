import TOMLKit

/// One key of a section: its TOML name, how its value is read into the settings and how
/// it is written back. A section is a list of these, so adding a key is adding one line.
struct ConfigKey<Settings> {
    let name: String
    let read: (TOMLValueConvertible, inout Settings) throws(ValueError) -> Void
    /// The key as lines of TOML: `name = value`, a comment for an optional value that is
    /// not set, or one `[[…]]` table per item of a `TableList`.
    let render: (Settings) -> [String]
    /// Whether the key is written as `[[…]]` tables, which TOML allows only after the
    /// section's plain keys.
    let isTableList: Bool

    init<Value>(_ name: String, _ path: WritableKeyPath<Settings, Value>, _ syntax: ValueSyntax<Value>) {
        self.name = name
        read = { value, settings throws(ValueError) in settings[keyPath: path] = try syntax.read(value) }
        render = { ["\(name) = \(syntax.render($0[keyPath: path]))"] }
        isTableList = false
    }

    /// A key whose value is written as a comment when `omitted` says it is not in use.
    init<Value>(_ name: String, _ path: WritableKeyPath<Settings, Value>, _ syntax: ValueSyntax<Value>,
                renderedUnless omitted: @escaping (Settings) -> Bool) {
        self.name = name
        read = { value, settings throws(ValueError) in settings[keyPath: path] = try syntax.read(value) }
        render = { omitted($0) ? ["# \(name) is not used"] : ["\(name) = \(syntax.render($0[keyPath: path]))"] }
        isTableList = false
    }

    /// A key that may be left out, such as the TLS certificate.
    init<Value>(_ name: String, _ path: WritableKeyPath<Settings, Value?>, _ syntax: ValueSyntax<Value>) {
        self.name = name
        read = { value, settings throws(ValueError) in settings[keyPath: path] = try syntax.read(value) }
        render = { [$0[keyPath: path].map { "\(name) = \(syntax.render($0))" } ?? "# \(name) is not set"] }
        isTableList = false
    }

    /// A key written as an array of tables, such as `[[primary.route]]`.
    init<Item>(_ name: String, _ path: WritableKeyPath<Settings, [Item]>, _ list: TableList<Item>) {
        self.name = name
        read = { value, settings throws(ValueError) in settings[keyPath: path] = try list.read(value) }
        render = { list.render($0[keyPath: path]) }
        isTableList = true
    }
}

/// A `[section]` of the configuration file: its keys in file order, and the checks that
/// span keys, sections or look outside the file (both TLS files given, files readable, a
/// primary that is not Backstop itself). Checks run once every section has been read.
struct ConfigSection<Settings> {
    let name: String
    let keys: [ConfigKey<Settings>]
    /// Keys of which a file may set one at most, such as `[spool] path` and `url`.
    var exclusiveKeys: [String] = []
    var check: (Settings, BackstopConfiguration, SectionContext) throws(ConfigError) -> Void = { _, _, _ in }
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
        assert(section.keys.drop { !$0.isTableList }.allSatisfy(\.isTableList),
               "[\(section.name)]: keys written as [[…]] tables must come after the plain keys")
        name = section.name
        keyNames = section.keys.map(\.name)
        read = { table, configuration, context throws(ConfigError) in
            let exclusive = section.exclusiveKeys.filter { table[$0] != nil }
            if exclusive.count > 1 {
                throw context.error(exclusive[1], "cannot be set together with \(exclusive[0]); keep only one of \(exclusive.joined(separator: " and "))")
            }
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
            try section.check(configuration[keyPath: path], configuration, context)
        }
        render = { configuration in
            let settings = configuration[keyPath: path]
            return ["[\(section.name)]"] + section.keys.flatMap { $0.render(settings) }
        }
    }
}
