import TOMLKit

/// Turns the text of a configuration file into a `BackstopConfiguration`: TOML syntax
/// first, then section and key names, then each value, then the checks that span keys.
struct ConfigReader {
    let file: String

    func read(_ toml: String) throws(ConfigError) -> BackstopConfiguration {
        let root = try parse(toml)
        let sections = BackstopConfiguration.sections
        try checkNames(in: root, against: sections)

        var configuration = BackstopConfiguration.embeddedDefaults
        for section in sections {
            guard let table = root[section.name]?.table else { continue }
            try section.read(table, &configuration, context(section.name))
        }
        for section in sections {
            try section.check(configuration, context(section.name))
        }
        return configuration
    }

    private func parse(_ toml: String) throws(ConfigError) -> TOMLTable {
        // The TOML library reads a C string, which would end silently at a NUL.
        if let nul = toml.firstIndex(of: "\0") {
            let line = toml[..<nul].count(where: \.isNewline) + 1
            throw ConfigError(file: file, location: .line(line), problem: "contains a NUL character; is this a text file?")
        }
        do {
            return try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, location: .line(error.source.begin.line), problem: error.description)
        } catch {
            throw ConfigError(file: file, location: .file, problem: "\(error)")
        }
    }

    /// Every name in the file must be a known section or key: a misspelt name would
    /// otherwise leave its default in force without a word.
    private func checkNames(in root: TOMLTable, against sections: [SectionBinding]) throws(ConfigError) {
        for name in root.keys {
            guard let value = root[name] else { continue }
            guard let section = sections.first(where: { $0.name == name }) else {
                throw misplaced(name, value, sections)
            }
            guard let table = value.table else {
                let home = sections.first { $0.keyNames.contains(name) }
                let hint = if value.type == .array {
                    " (write [\(name)] once, not [[\(name)]])"
                } else if let home {
                    " (if you meant the key \(name) of [\(home.name)], move it under [\(home.name)])"
                } else {
                    ""
                }
                throw ConfigError(file: file, location: .section(name), problem: "expected a section, \(value.found)\(hint)")
            }
            for key in table.keys where !section.keyNames.contains(key) {
                throw context(name).error(key, unknownKey(key, in: section, sections))
            }
        }
    }

    private func misplaced(_ name: String, _ value: TOMLValueConvertible, _ sections: [SectionBinding]) -> ConfigError {
        let known = sections.map(\.name).joined(separator: ", ")
        let problem: String
        if value.type == .table {
            problem = "unknown section [\(name)] (known: \(known))"
        } else if let home = sections.first(where: { $0.keyNames.contains(name) }) {
            problem = "\(name): key outside any section; move it under [\(home.name)]"
        } else {
            problem = "\(name): unknown key outside any section (sections: \(known))"
        }
        return ConfigError(file: file, location: .file, problem: problem)
    }

    private func unknownKey(_ key: String, in section: SectionBinding, _ sections: [SectionBinding]) -> String {
        // A near miss of this section's own key is likelier than a key of another section
        // (`domain` in [relay] means `domains`, not [arc] domain).
        if let nearest = NearestName.to(key, among: section.keyNames) {
            return "unknown key (did you mean \(nearest)?)"
        }
        if let home = sections.first(where: { $0.keyNames.contains(key) }) {
            return "unknown key (it belongs in [\(home.name)])"
        }
        return "unknown key (known: \(section.keyNames.joined(separator: ", ")))"
    }

    private func context(_ section: String) -> SectionContext {
        SectionContext(file: file, section: section)
    }
}
