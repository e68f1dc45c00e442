import Foundation

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
            check: { tls, context throws(ConfigError) in
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

    // The TLS library reads these files at startup; checking here lets check-config
    // name the key and the mistake instead of relaying a library error.

    private static func checkCertificate(at path: String, _ context: SectionContext) throws(ConfigError) {
        let pem = try read(path, key: "certificate", context)
        guard pem.contains("-----BEGIN CERTIFICATE-----") else {
            throw context.error("certificate", privateKeyMarker(in: pem) != nil
                ? "\(path): holds a private key, not a certificate; are certificate and private_key swapped?"
                : "\(path): no PEM certificate found (expected a \"-----BEGIN CERTIFICATE-----\" block)")
        }
    }

    private static func checkPrivateKey(at path: String, _ context: SectionContext) throws(ConfigError) {
        let pem = try read(path, key: "private_key", context)
        guard let marker = privateKeyMarker(in: pem) else {
            throw context.error("private_key", pem.contains("-----BEGIN CERTIFICATE-----")
                ? "\(path): holds a certificate, not a private key; are certificate and private_key swapped?"
                : "\(path): no PEM private key found (expected a \"-----BEGIN PRIVATE KEY-----\" block)")
        }
        if marker.contains("ENCRYPTED") || pem.contains("Proc-Type: 4,ENCRYPTED") {
            throw context.error("private_key", "\(path): the key is encrypted and Backstop cannot ask for its passphrase; decrypt it with: openssl pkey -in \(path) -out NEW_FILE")
        }
    }

    /// The `-----BEGIN … PRIVATE KEY-----` line: PKCS#8, RSA, EC or encrypted PKCS#8.
    private static func privateKeyMarker(in pem: String) -> String? {
        pem.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("PRIVATE KEY-----") }
    }

    private static func read(_ path: String, key: String, _ context: SectionContext) throws(ConfigError) -> String {
        do throws(ValueError) {
            return try TextFile.contents(of: path)
        } catch {
            throw context.error(key, "\(path): cannot read file: \(error.problem)")
        }
    }
}
