import BackstopConfig
import Foundation
import Testing

/// The README's configuration table names each key's default. Each one written there as a
/// literal (not "unset" or "machine name") is what the embedded configuration renders, so the
/// table stays true to `BackstopDefaults`.
@Suite("The README's configuration table")
struct ReadmeDefaultsTests {
    @Test func tableDefaultsAreTheEmbeddedDefaults() throws {
        let readme = try String(contentsOfFile: repositoryRoot.appendingPathComponent("README.md").path, encoding: .utf8)
        let rendered = renderedDefaults()
        var compared: [String] = []
        for (keys, defaults) in configurationTable(readme) {
            // One word ("unset") may stand for several keys.
            guard defaults != [nil] else { continue }
            #expect(keys.count == defaults.count, "\(keys): one default per key")
            for (key, value) in zip(keys, defaults) {
                guard let value else { continue }
                #expect(rendered[key] == value, "the README gives \(key) = \(value)")
                compared.append(key)
            }
        }
        // Every literal in the table was found and compared, none skipped by a changed layout.
        #expect(compared.count == 62)
    }

    /// Rows of the table under "## Configuration": their keys ("server command_timeout") and,
    /// for each, the default when it is a literal (`5m`), nil when it is words (unset).
    private func configurationTable(_ readme: String) -> [([String], [String?])] {
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "## Configuration") else { return [] }
        var rows: [([String], [String?])] = []
        for line in lines[(start + 1)...] {
            if line.hasPrefix("## ") { break }
            let columns = line.split(separator: "|", omittingEmptySubsequences: false)
            guard line.hasPrefix("| `["), !line.hasPrefix("| `[["), columns.count >= 4 else { continue }
            var section = ""
            var keys: [String] = []
            for name in literals(in: columns[1]) {
                var name = Substring(name)
                if name.hasPrefix("["), let end = name.firstIndex(of: "]") {
                    section = String(name[name.index(after: name.startIndex)..<end])
                    name = name[name.index(after: end)...].drop { $0 == " " }
                }
                keys.append("\(section) \(name)")
            }
            let defaults = columns[2].trimmingCharacters(in: .whitespaces)
                .components(separatedBy: ", ").flatMap { $0.components(separatedBy: " / ") }
                .map { $0.hasPrefix("`") ? literals(in: Substring($0)).first : nil }
            rows.append((keys, defaults))
        }
        return rows
    }

    /// The `code` spans of a table cell.
    private func literals(in cell: Substring) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}
