import BackstopConfig
import Foundation
import Testing

/// Each key of config/backstop.toml is introduced by a comment ending in "Default: …". Where
/// that default is a literal (`"5m"`, `52_428_800`, `["example.test"]`, `false`), it is what the
/// embedded configuration renders: the prose stays true to `BackstopDefaults`, not only the
/// values the file sets.
@Suite("Defaults written in config/backstop.toml's comments")
struct ShippedCommentDefaultsTests {
    @Test func commentedDefaultsAreTheEmbeddedDefaults() throws {
        let shipped = try String(contentsOfFile: shippedConfigPath, encoding: .utf8)
        let rendered = renderedDefaults()
        var compared = 0
        for (key, value) in commentedDefaults(shipped) {
            #expect(rendered[key] == value, "config/backstop.toml says \(key) defaults to \(value)")
            compared += 1
        }
        // Every key but those whose default is words (hostname, tls files, recipients,
        // delay_warning, ca_file, routes, DNS lists, bounce relay, authserv_id, arc keys, token, notify command,
        // journal_address, cluster node).
        #expect(compared == 66)
    }

    /// "section key" → the literal after "Default: " in the comment block above the key's line.
    private func commentedDefaults(_ toml: String) -> [(String, String)] {
        var section = ""
        var comment = ""
        var found: [(String, String)] = []
        for line in toml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                section = String(line.dropFirst().dropLast())
                comment = ""
            } else if let key = keyName(line) {
                if let literal = defaultLiteral(in: comment) { found.append(("\(section) \(key)", literal)) }
                comment = ""
            } else if line.hasPrefix("#") {
                comment += " " + line.drop { $0 == "#" || $0 == " " }
            } else {
                comment = ""
            }
        }
        return found
    }

    /// `key` of `key = …` or `# key = …`.
    private func keyName(_ line: Substring) -> Substring? {
        let body = line.hasPrefix("# ") ? line.dropFirst(2) : line
        guard let equals = body.range(of: " = ") else { return nil }
        let name = body[..<equals.lowerBound]
        return !name.isEmpty && name.allSatisfy({ $0.isLowercase || $0 == "_" }) ? name : nil
    }

    /// `5m` from `Default: "5m".`, `52428800` from `Default: 52_428_800 (50 MiB).`; nil for words.
    private func defaultLiteral(in comment: String) -> String? {
        guard let marker = comment.range(of: "Default: ", options: .backwards) else { return nil }
        let text = comment[marker.upperBound...]
        if text.hasPrefix("\"") {
            return text.dropFirst().firstIndex(of: "\"").map { String(text[text.index(after: text.startIndex)..<$0]) }
        }
        if text.hasPrefix("[") {
            return text.firstIndex(of: "]").map { String(text[...$0]) }
        }
        let token = text.prefix { $0.isNumber || $0 == "_" || $0.isLowercase }
        guard token.first?.isNumber == true || token == "true" || token == "false" else { return nil }
        return documented(token)
    }
}
