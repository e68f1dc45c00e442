import Crypto
import _CryptoExtras

/// A DKIM key record (RFC 6376 §3.6.1) and the public key it holds.
struct DKIMKeyRecord: Sendable {
    /// `@unchecked Sendable`: Curve25519 public keys are immutable values swift-crypto does not mark Sendable.
    enum PublicKey: @unchecked Sendable {
        case rsa(_RSA.Signing.PublicKey, bits: Int)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    enum Failure: Error, Equatable {
        case permerror(String)
    }

    var key: PublicKey
    /// t=y: the domain is testing DKIM (reported, never changes the result).
    var testing: Bool
    /// t=s: i= must be exactly d=, no subdomain.
    var strictIdentity: Bool

    init(parsing bytes: [UInt8]) throws(Failure) {
        let tags: TagList
        do { tags = try TagList(parsing: bytes) } catch { throw .permerror("key record tag list: \(error)") }
        // §3.6.1: v= is optional, but if present it is the first tag and says DKIM1.
        if let version = tags.compact("v") {
            guard version == "DKIM1", tags.tags.first?.name == "v" else { throw .permerror("key record v= is not DKIM1") }
        }
        if let hashes = tags.lowercased("h"), !hashes.utf8.split(separator: UInt8(ascii: ":")).contains(where: { ASCII.trimmed($0).elementsEqual("sha256".utf8) }) {
            throw .permerror("key record does not allow sha256")
        }
        if let services = tags.lowercased("s"),
           !services.utf8.split(separator: UInt8(ascii: ":")).contains(where: { ASCII.trimmed($0).elementsEqual("*".utf8) || ASCII.trimmed($0).elementsEqual("email".utf8) }) {
            throw .permerror("key record is not for email")
        }
        let flags = (tags.lowercased("t") ?? "").utf8.split(separator: UInt8(ascii: ":")).map { Array(ASCII.trimmed($0)) }
        testing = flags.contains(Array("y".utf8))
        strictIdentity = flags.contains(Array("s".utf8))
        guard let p = tags["p"] else { throw .permerror("key record without p=") }
        guard let der = Base64.decode(p) else { throw .permerror("p= is not base64") }
        // §3.6.1: an empty p= means the key was revoked.
        guard !der.isEmpty else { throw .permerror("key revoked") }
        switch tags.lowercased("k") ?? "rsa" {
        case "rsa":
            let key: _RSA.Signing.PublicKey
            // The "unsafe" initialiser is the one that admits 1024-bit keys, which RFC 8301 still
            // requires verifiers to accept; smaller ones it refuses, and so do the bounds below.
            do { key = try _RSA.Signing.PublicKey(unsafeDERRepresentation: der) } catch {
                throw .permerror("RSA key unusable (malformed, or below \(DKIMKeyLimits.minimumRSABits) bits)")
            }
            let bits = key.keySizeInBits
            guard bits >= DKIMKeyLimits.minimumRSABits else { throw .permerror("RSA key of \(bits) bits is below \(DKIMKeyLimits.minimumRSABits)") }
            guard bits <= DKIMKeyLimits.maximumRSABits else { throw .permerror("RSA key of \(bits) bits is above \(DKIMKeyLimits.maximumRSABits)") }
            self.key = .rsa(key, bits: bits)
        case "ed25519":
            // RFC 8463 §4: the raw 32-byte public key, not a SubjectPublicKeyInfo.
            guard der.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der) else {
                throw .permerror("Ed25519 key is not 32 bytes")
            }
            self.key = .ed25519(key)
        default:
            throw .permerror("unknown key type k=")
        }
    }

    /// The key published at `selector._domainkey.domain`; a DNS failure is temperror, anything
    /// else that leaves no usable key permerror (RFC 6376 §6.1.2).
    static func fetch(selector: String, domain: String, dns: any AuthDNS) async -> Result<DKIMKeyRecord, KeyFailure> {
        let name = selector + "._domainkey." + domain
        let answer = await dns.txt(name)
        if case .temporaryFailure = answer { return .failure(KeyFailure(result: .temperror, reason: "key lookup \(name) failed temporarily")) }
        let records = answer.records(limit: DKIMKeyLimits.maxKeyRecords).filter { $0.count <= AuthDNSLimits.maxTXTLength }
        guard let first = records.first else { return .failure(KeyFailure(result: .permerror, reason: "no key at \(name)")) }
        do { return .success(try DKIMKeyRecord(parsing: first)) } catch {
            switch error { case .permerror(let why): return .failure(KeyFailure(result: .permerror, reason: why)) }
        }
    }

    struct KeyFailure: Error {
        var result: DKIMResult
        var reason: String
    }

    var keyType: String {
        switch key {
        case .rsa: return "rsa"
        case .ed25519: return "ed25519"
        }
    }

    /// Whether `signature` signs the SHA-256 `digest` of the header hash input.
    func verifies(_ signature: [UInt8], digest: SHA256.Digest) -> Bool {
        switch key {
        case .rsa(let key, _):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: digest, padding: .insecurePKCS1v1_5)
        case .ed25519(let key):
            // RFC 8463 §3: Ed25519 (pure) over the SHA-256 hash, not over the data itself.
            return key.isValidSignature(signature, for: Array(digest))
        }
    }
}
