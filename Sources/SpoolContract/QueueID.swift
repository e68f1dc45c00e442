/// The identifier a message carries from acceptance to delivery.
///
/// Twelve characters of uppercase Crockford base32 (60 random bits). It is short
/// enough for log lines and the `Received:` header, and has no letters that
/// operators misread (no I, L, O or U). The spool keeps it unique.
public struct QueueID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts only the canonical form: exactly 12 characters of the alphabet.
    public init?(rawValue: String) {
        guard rawValue.utf8.count == Self.length,
              rawValue.utf8.allSatisfy({ Self.alphabet.contains($0) })
        else { return nil }
        self.rawValue = rawValue
    }

    /// Parses what an operator typed: case-insensitive, and `O`, `I`, `L` read as
    /// the digits they are mistaken for, as Crockford's decoding rules say.
    public init?(parsing text: some StringProtocol) {
        // ASCII case only: Unicode would read the dotless ı as I and the long ſ as S.
        let canonical = String(decoding: text.utf8.map { byte -> UInt8 in
            let upper = (0x61...0x7A).contains(byte) ? byte - 0x20 : byte
            switch upper {
            case UInt8(ascii: "O"): return UInt8(ascii: "0")
            case UInt8(ascii: "I"), UInt8(ascii: "L"): return UInt8(ascii: "1")
            default: return upper
            }
        }, as: UTF8.self)
        self.init(rawValue: canonical)
    }

    /// A fresh identifier from the system's cryptographic random source.
    public static func generate() -> QueueID {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    package static func generate(using generator: inout some RandomNumberGenerator) -> QueueID {
        let bits = UInt64.random(in: 0...((1 << 60) - 1), using: &generator)
        var characters = [UInt8](repeating: 0, count: length)
        for index in 0..<length {
            let shift = UInt64(5 * (length - 1 - index))
            characters[index] = alphabet[Int((bits >> shift) & 0x1F)]
        }
        return QueueID(unchecked: String(decoding: characters, as: UTF8.self))
    }

    /// For values read back from the spool, which only ever stores valid IDs.
    package init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: QueueID, rhs: QueueID) -> Bool { lhs.rawValue < rhs.rawValue }

    package static let length = 12
    package static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
}
