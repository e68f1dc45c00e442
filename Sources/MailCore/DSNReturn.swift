/// What a DSN should return of the message (`RET=`, RFC 3461 §4.3), as it is written on the
/// wire and stored.
public enum DSNReturn: String, Hashable, Sendable, Codable, CaseIterable {
    case full = "FULL"
    case headers = "HDRS"
}
