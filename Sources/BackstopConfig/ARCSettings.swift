/// `[arc]`: the key Backstop seals accepted messages with (RFC 8617), so the primary can
/// trust the authentication results Backstop found after the relay hop changed the path.
public struct ARCSettings: Equatable, Sendable {
    /// d= of the seal: a domain whose DNS publishes the key at `selector._domainkey.domain`.
    public var domain: String?
    public var selector: String?
    /// PEM file with an RSA (2048 bits or more) or Ed25519 private key.
    public var privateKey: String?

    public init(domain: String?, selector: String?, privateKey: String?) {
        self.domain = domain
        self.selector = selector
        self.privateKey = privateKey
    }

    /// Whether messages are sealed; validation guarantees all three keys or none.
    public var isEnabled: Bool { domain != nil && selector != nil && privateKey != nil }
}

extension ARCSettings {
    static var section: ConfigSection<ARCSettings> {
        ConfigSection(
            name: "arc",
            keys: [
                ConfigKey("domain", \.domain, .hostname),
                ConfigKey("selector", \.selector, .hostname),
                ConfigKey("private_key", \.privateKey, .path),
            ],
            check: { arc, _, context throws(ConfigError) in
                let set = [("domain", arc.domain), ("selector", arc.selector), ("private_key", arc.privateKey)]
                guard let missing = set.first(where: { $0.1 == nil }), set.contains(where: { $0.1 != nil }) else {
                    if let path = arc.privateKey {
                        let pem = try PEMFile.contents(of: path, key: "private_key", context)
                        guard PEMFile.privateKeyMarker(in: pem) != nil else {
                            throw context.error("private_key", "\(path): no PEM private key found (expected an RSA or Ed25519 \"-----BEGIN PRIVATE KEY-----\" block)")
                        }
                    }
                    return
                }
                throw context.error(missing.0, "missing; domain, selector and private_key go together (set all three to seal, or none)")
            })
    }
}
