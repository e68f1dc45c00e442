/// The events a recipient's `NOTIFY=` asks a DSN for (RFC 3461 section 4.1).
public struct DSNNotify: OptionSet, Hashable, Sendable, Codable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let success = DSNNotify(rawValue: 1 << 0)
    public static let failure = DSNNotify(rawValue: 1 << 1)
    public static let delay = DSNNotify(rawValue: 1 << 2)

    /// Keywords in the order they are written back, so stored text is canonical.
    package static let keywords: [(DSNNotify, String)] = [(.success, "SUCCESS"), (.failure, "FAILURE"), (.delay, "DELAY")]
}

/// A recipient's `NOTIFY=` parameter. `NEVER` is not the same as leaving the
/// parameter out: without it, the reporting MTA decides (usually FAILURE,DELAY).
public enum DSNNotifyRequest: Hashable, Sendable, Codable {
    case unspecified
    case never
    /// An empty set is treated as `unspecified`: RFC 3461 has no syntax for it.
    case on(DSNNotify)

    /// Parses the parameter value: `NEVER`, or a comma-separated list of
    /// `SUCCESS`, `FAILURE`, `DELAY` (ASCII case-insensitive), each at most once. Nil when
    /// malformed. The one parser, for the wire and for the spool alike.
    public init?(rfc3461 text: some StringProtocol) {
        // ASCII case only: Unicode would read the long ſ as S.
        let upper = String(decoding: text.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
        let keywords = upper.split(separator: ",", omittingEmptySubsequences: false)
        if keywords == ["NEVER"] {
            self = .never
            return
        }
        var events: DSNNotify = []
        for keyword in keywords {
            guard let event = DSNNotify.keywords.first(where: { $0.1 == keyword })?.0,
                  !events.contains(event)
            else { return nil }
            events.insert(event)
        }
        self = .on(events)
    }

    /// The parameter value as stored and forwarded; nil when unspecified. The one writer.
    public var rfc3461: String? {
        switch self {
        case .unspecified:
            return nil
        case .never:
            return "NEVER"
        case .on(let events):
            let keywords = DSNNotify.keywords.filter { events.contains($0.0) }.map(\.1)
            return keywords.isEmpty ? nil : keywords.joined(separator: ",")
        }
    }
}
