/// `[tls]`: the certificate and key offered with STARTTLS. Without them Backstop speaks
/// plaintext only, which senders accept from an MX but which exposes mail in transit.
public struct TLSSettings: Equatable, Sendable {
    /// PEM file with the certificate chain, leaf first.
    public var certificate: String?
    /// PEM file with the unencrypted private key of the leaf certificate.
    public var privateKey: String?

    /// Whether STARTTLS is offered; validation guarantees both files or neither.
    public var isEnabled: Bool { certificate != nil && privateKey != nil }
}

extension TLSSettings {
    static var section: ConfigSection<TLSSettings> {
        ConfigSection(
            name: "tls",
            keys: [
                ConfigKey("certificate", \.certificate, .path),
                ConfigKey("private_key", \.privateKey, .path),
            ],
            check: { tls, _, context throws(ConfigError) in
                switch (tls.certificate, tls.privateKey) {
                case (nil, nil):
                    return
                case (let certificate?, let privateKey?):
                    try checkCertificate(at: certificate, context)
                    try checkPrivateKey(at: privateKey, context)
                case (nil, _):
                    throw context.error("certificate", "missing; private_key is set, and the two go together (set both, or neither for plaintext only)")
                case (_, nil):
                    throw context.error("private_key", "missing; certificate is set, and the two go together (set both, or neither for plaintext only)")
                }
            })
    }

    private static func checkCertificate(at path: String, _ context: SectionContext) throws(ConfigError) {
        let pem = try PEMFile.contents(of: path, key: "certificate", context)
        guard PEMFile.holdsCertificate(pem) else {
            throw context.error("certificate", PEMFile.privateKeyMarker(in: pem) != nil
                ? "\(path): holds a private key, not a certificate; are certificate and private_key swapped?"
                : "\(path): no PEM certificate found (expected a \"-----BEGIN CERTIFICATE-----\" block)")
        }
    }

    private static func checkPrivateKey(at path: String, _ context: SectionContext) throws(ConfigError) {
        let pem = try PEMFile.contents(of: path, key: "private_key", context)
        guard let marker = PEMFile.privateKeyMarker(in: pem) else {
            throw context.error("private_key", PEMFile.holdsCertificate(pem)
                ? "\(path): holds a certificate, not a private key; are certificate and private_key swapped?"
                : "\(path): no PEM private key found (expected a \"-----BEGIN PRIVATE KEY-----\" block)")
        }
        if marker.contains("ENCRYPTED") || pem.contains("Proc-Type: 4,ENCRYPTED") {
            throw context.error("private_key", "\(path): the key is encrypted and Backstop cannot ask for its passphrase; decrypt it with: openssl pkey -in \(path) -out NEW_FILE")
        }
    }
}
