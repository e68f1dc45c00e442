/// The body type a client declared with `MAIL FROM ... BODY=` (RFC 6152), as it is written on
/// the wire and stored.
public enum BodyType: String, Hashable, Sendable, Codable, CaseIterable {
    case sevenBit = "7BIT"
    case eightBitMIME = "8BITMIME"
}
