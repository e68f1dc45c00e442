import Foundation

/// The addresses Backstop accepts mail for, read from the recipients file named by
/// `[relay] recipients`. One entry per line:
///
///     # sales team
///     alice@example.org
///     @lists.example.org      any address at this domain
///
/// Blank lines and lines starting with `#` are ignored; so is `#` after whitespace.
///
/// Matching ignores case in the domain, as DNS does, and in the local part too: a backup
/// MX cannot know whether the primary treats `Alice` and `alice` alike, almost every
/// mail system does, and refusing mail the primary would take is the worse mistake.
/// Postfix's `relay_recipient_maps` matches lowercased in the same way.
public struct RecipientTable: Equatable, Sendable {
    /// Full addresses, lowercased.
    public private(set) var addresses: Set<String>
    /// Domains from `@domain` lines, lowercased: any address there is accepted.
    public private(set) var domains: Set<String>

    public init(addresses: Set<String> = [], domains: Set<String> = []) {
        self.addresses = Set(addresses.map { $0.lowercased() })
        self.domains = Set(domains.map { $0.lowercased() })
    }

    /// Number of entries, addresses and domains together.
    public var count: Int { addresses.count + domains.count }

    public func contains(_ address: String) -> Bool {
        let address = address.lowercased()
        guard let at = address.lastIndex(of: "@") else { return false }
        let domain = String(address[address.index(after: at)...])
        return domains.contains(domain) || addresses.contains(address)
    }

    public static func load(path: String) throws(ConfigError) -> RecipientTable {
        let text: String
        do throws(ValueError) {
            text = try TextFile.contents(of: path)
        } catch {
            throw ConfigError(file: path, location: .file, problem: "cannot read file: \(error.problem)")
        }
        return try parse(text: text, file: path)
    }

    /// Parses the text of a recipients file; `file` names it in errors.
    public static func parse(text: String, file: String) throws(ConfigError) -> RecipientTable {
        var table = RecipientTable()
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, line) in lines.enumerated() {
            guard let entry = entry(in: line) else { continue }
            do throws(ValueError) {
                try table.add(entry)
            } catch {
                throw ConfigError(file: file, location: .line(index + 1), problem: error.problem)
            }
        }
        return table
    }

    /// The line without its comment and surrounding blanks; nil when nothing is left.
    private static func entry(in line: Substring) -> String? {
        // `#` is legal inside a local part, so it starts a comment only at the start of
        // the line or after whitespace.
        var end = line.endIndex
        var previous: Character = " "
        for index in line.indices {
            if line[index] == "#" && previous.isWhitespace {
                end = index
                break
            }
            previous = line[index]
        }
        let entry = line[..<end].trimmingCharacters(in: .whitespaces)
        return entry.isEmpty ? nil : entry
    }

    private mutating func add(_ text: String) throws(ValueError) {
        let entry = Substring(text)
        guard !entry.contains(where: \.isWhitespace) else {
            throw ValueError("\(quoted(text)): one address per line")
        }
        guard let at = entry.lastIndex(of: "@") else {
            throw ValueError("\(quoted(text)) is not an address; write local@domain, or @domain for any address at that domain")
        }
        let local = entry[..<at]
        let domainText = String(entry[entry.index(after: at)...])
        guard !domainText.isEmpty else {
            throw ValueError("\(quoted(text)): missing domain after \"@\"")
        }
        let domain = try DomainName.validate(domainText)
        if local.isEmpty {
            domains.insert(domain)
            return
        }
        guard local.utf8.count <= 64 else {
            throw ValueError("\(quoted(text)): the local part is longer than 64 bytes (RFC 5321 §4.5.3.1.1)")
        }
        guard !local.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ValueError("\(quoted(text)): contains a control character")
        }
        addresses.insert(local.lowercased() + "@" + domain)
    }
}
