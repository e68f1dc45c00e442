import Crypto
import _CryptoExtras

/// A signing key for DKIM and ARC: RSA (2048 bits or more; RFC 8301 asks signers for at
/// least 1024, Backstop asks more of itself) or Ed25519 (RFC 8463), read from PEM.
///
/// `@unchecked Sendable`: swift-crypto does not mark Curve25519 keys Sendable, but they are
/// immutable values (their bytes never change after creation), so sharing them is safe.
public enum DKIMPrivateKey: @unchecked Sendable {
    case rsa(_RSA.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)

    /// PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") PEM, RSA or Ed25519.
    public init(pem: String) throws(MailAuthError) {
        if let der = Self.pemBody(pem, label: "PRIVATE KEY"), der.count == 48, der.starts(with: Self.ed25519PKCS8Prefix) {
            guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)) else { throw .badKey("Ed25519 key unusable") }
            self = .ed25519(key)
            return
        }
        do { self = .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: pem)) } catch {
            throw .badKey("no RSA key of at least 2048 bits nor an Ed25519 key in this PEM")
        }
    }

    /// The PKCS#8 wrapping of an Ed25519 key (RFC 8410 §7) up to the 32 key bytes.
    private static let ed25519PKCS8Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]

    private static func pemBody(_ pem: String, label: String) -> [UInt8]? {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        let bytes = Array(pem.utf8)
        guard let start = bytes.firstRange(of: Array(begin.utf8)), let stop = bytes.firstRange(of: Array(end.utf8)),
              start.upperBound <= stop.lowerBound else { return nil }
        return Base64.decode(bytes[start.upperBound..<stop.lowerBound])
    }

    var algorithm: DKIMAlgorithm {
        switch self {
        case .rsa: return .rsaSHA256
        case .ed25519: return .ed25519SHA256
        }
    }

    /// The key record to publish at `selector._domainkey.domain` (RFC 6376 §3.6.1, RFC 8463 §4).
    public var keyRecord: String {
        switch self {
        case .rsa(let key): return "v=DKIM1; k=rsa; p=" + Base64.encode(key.publicKey.derRepresentation)
        case .ed25519(let key): return "v=DKIM1; k=ed25519; p=" + Base64.encode(key.publicKey.rawRepresentation)
        }
    }

    func sign(_ digest: SHA256.Digest) throws(MailAuthError) -> [UInt8] {
        do {
            switch self {
            case .rsa(let key): return Array(try key.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation)
            case .ed25519(let key): return Array(try key.signature(for: Array(digest)))
            }
        } catch {
            throw .badKey("signing failed: \(error)")
        }
    }
}
