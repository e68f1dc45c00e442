/// The signing algorithms Backstop verifies and signs with: RFC 6376's rsa-sha256 and RFC
/// 8463's ed25519-sha256. rsa-sha1 is refused (RFC 8301 §3.1: MUST NOT be considered valid).
public enum DKIMAlgorithm: String, Sendable {
    case rsaSHA256 = "rsa-sha256"
    case ed25519SHA256 = "ed25519-sha256"

    /// The k= key type this algorithm needs.
    var keyType: String { self == .rsaSHA256 ? "rsa" : "ed25519" }
}

/// RSA key sizes Backstop accepts: RFC 8301 §3.2 says verifiers MUST NOT accept keys below
/// 1024 bits; above 8192 bits a key only costs the verifier time.
public enum DKIMKeyLimits {
    public static let minimumRSABits = 1_024
    public static let maximumRSABits = 8_192
    /// At most this many signatures of one message are evaluated; later ones are ignored.
    public static let maxSignatures = 8
    /// h= naming more fields than this is refused (real signatures name a few dozen at most).
    public static let maxSignedHeaders = 256
    /// At most this many key records of one selector are looked at.
    public static let maxKeyRecords = 4
}
