/// The header block of a message, split into fields, with bounds: a header block larger than
/// `maxBytes` or with more than `maxFields` fields is refused, never partly read.
public struct HeaderBlock: Sendable {
    public static let maxBytes = 1 << 20
    public static let maxFields = 1_000

    public private(set) var fields: [HeaderField] = []

    public init(fields: [HeaderField]) { self.fields = fields }

    /// Parses the bytes before the empty line (with or without that empty line's CRLF).
    public init(parsing bytes: some Collection<UInt8>) throws(MailAuthError) {
        guard bytes.count <= Self.maxBytes else { throw .headerTooLarge }
        var current: [UInt8] = []
        var previous: UInt8 = 0
        for byte in bytes {
            // A line starting with WSP continues the field before it (RFC 5322 §2.2.3).
            if previous == 0x0A, byte != 0x20, byte != 0x09, !current.isEmpty {
                try append(current)
                current = []
            }
            current.append(byte)
            previous = byte
        }
        if !current.isEmpty, current != [0x0D, 0x0A] { try append(current) }
    }

    private mutating func append(_ raw: [UInt8]) throws(MailAuthError) {
        if raw == [0x0D, 0x0A] { return }
        guard fields.count < Self.maxFields else { throw .tooManyHeaderFields }
        guard let field = HeaderField(raw: raw) else { throw .malformedHeaderField }
        fields.append(field)
    }
}
