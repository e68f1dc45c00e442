/// A tag=value list (RFC 6376 §3.2), the syntax DKIM-Signature, DKIM key records, DMARC
/// records and the ARC headers share. Values keep their bytes; FWS around tags is dropped.
struct TagList: Sendable {
    static let maxTags = 64
    static let maxLength = 65_536

    enum Failure: Error, Equatable {
        case malformed(String)
        case duplicate(String)
        case tooLarge
    }

    private(set) var tags: [(name: String, value: [UInt8])] = []

    init(parsing bytes: some Collection<UInt8>) throws(Failure) {
        guard bytes.count <= Self.maxLength else { throw .tooLarge }
        for spec in Array(bytes).split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
            let trimmed = ASCII.trimmed(spec)
            // A trailing ";" leaves one empty spec; empty specs are allowed by the grammar's [";"].
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else { throw .malformed("tag without =") }
            let name = ASCII.trimmed(trimmed[..<equals])
            guard let first = name.first, ASCII.isAlpha(first),
                  name.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "_") }) else { throw .malformed("bad tag name") }
            let key = String(decoding: name, as: UTF8.self)
            guard !tags.contains(where: { $0.name == key }) else { throw .duplicate(key) }
            guard tags.count < Self.maxTags else { throw .tooLarge }
            tags.append((key, Array(ASCII.trimmed(trimmed[(equals + 1)...]))))
        }
    }

    subscript(name: String) -> [UInt8]? { tags.first { $0.name == name }?.value }

    /// The value as text without any whitespace (FWS inside base64 and lists is allowed), and
    /// non-ASCII bytes as "?" so that a value compared as a string is pure ASCII.
    func compact(_ name: String) -> String? {
        self[name].map { ASCII.text($0.filter { !ASCII.isWhitespace($0) }) }
    }

    /// The value as text, trimmed, ASCII-lowercased.
    func lowercased(_ name: String) -> String? { self[name].map { ASCII.lowercasedString(ASCII.trimmed($0)) } }
}
