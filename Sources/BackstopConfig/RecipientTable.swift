import Foundation
import MailNames

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
    /// Full addresses as matched: local part unquoted and lowercased for matching
    /// (`MailScalars.lowercasedForMatching`), domain in comparable form (A-labels).
    public private(set) var addresses: Set<String>
    /// Domains from `@domain` lines, in comparable form: any address there is accepted.
    public private(set) var domains: Set<String>
    /// The lookup keys: UTF-8 bytes, since `Set<String>` matches canonically equivalent
    /// strings (`é` and `e` + U+0301) that the primary may tell apart.
    private var addressKeys: Set<[UInt8]> = []
    private var domainKeys: Set<MailDomain> = []

    public init(addresses: Set<String> = [], domains: Set<String> = []) {
        self.addresses = []
        self.domains = []
        for address in addresses { insert(address: AddressText.matchingKey(address)) }
        for domain in domains {
            if let domain = MailDomain(domain) { insert(domain: domain) }
        }
    }

    /// Number of entries, addresses and domains together.
    public var count: Int { addresses.count + domains.count }

    /// `address` as `Mailbox.normalized` gives it (already unquoted).
    public func contains(_ address: String) -> Bool {
        guard let at = AddressText.lastAt(in: address),
              let domain = MailDomain(address[address.unicodeScalars.index(after: at)...]) else { return false }
        if domainKeys.contains(domain) { return true }
        let key = MailScalars.lowercasedForMatching(address[..<at]) + "@" + domain.ascii
        return addressKeys.contains(Array(key.utf8))
    }

    private mutating func insert(address: String) {
        addresses.insert(address)
        addressKeys.insert(Array(address.utf8))
    }

    private mutating func insert(domain: MailDomain) {
        domains.insert(domain.ascii)
        domainKeys.insert(domain)
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
        var previousIsBlank = true
        for index in line.unicodeScalars.indices {
            let scalar = line.unicodeScalars[index]
            if scalar == "#" && previousIsBlank {
                end = index
                break
            }
            previousIsBlank = scalar.properties.isWhitespace
        }
        let entry = line[..<end].trimmingCharacters(in: .whitespaces)
        return entry.isEmpty ? nil : entry
    }

    private mutating func add(_ text: String) throws(ValueError) {
        let entry = Substring(text)
        guard !entry.unicodeScalars.contains(where: \.properties.isWhitespace) else {
            throw ValueError("\(quoted(text)): one address per line")
        }
        guard let at = AddressText.lastAt(in: text) else {
            throw ValueError("\(quoted(text)) is not an address; write local@domain, or @domain for any address at that domain")
        }
        let local = entry[..<at]
        let domainText = String(entry[entry.unicodeScalars.index(after: at)...])
        guard !domainText.isEmpty else {
            throw ValueError("\(quoted(text)): missing domain after \"@\"")
        }
        let domain = try DomainName.validate(domainText)
        if local.isEmpty {
            if let domain = MailDomain(domain) { insert(domain: domain) }
            return
        }
        guard local.utf8.count <= 64 else {
            throw ValueError("\(quoted(text)): the local part is longer than 64 bytes (RFC 5321 §4.5.3.1.1)")
        }
        guard !local.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ValueError("\(quoted(text)): contains a control character")
        }
        if let bad = local.unicodeScalars.first(where: MailScalars.isRefusedInLocalPart) {
            throw ValueError("\(quoted(text)): U+\(String(bad.value, radix: 16, uppercase: true)) (a control, format, Prepend or unassigned character) cannot be in a local part, and SMTP refuses such an address")
        }
        // A quoted local part names the same mailbox as its unquoted form.
        insert(address: MailScalars.lowercasedForMatching(AddressText.unquoted(local)) + "@" + domain)
    }
}
