import Foundation

/// What the TLS library will find in a PEM file. The library reads these files at startup;
/// checking here lets check-config name the key and the mistake instead of relaying a
/// library error.
enum PEMFile {
    static func contents(of path: String, key: String, _ context: SectionContext) throws(ConfigError) -> String {
        do throws(ValueError) {
            return try TextFile.contents(of: path)
        } catch {
            throw context.error(key, "\(path): cannot read file: \(error.problem)")
        }
    }

    static func holdsCertificate(_ pem: String) -> Bool {
        pem.contains("-----BEGIN CERTIFICATE-----")
    }

    /// The `-----BEGIN … PRIVATE KEY-----` line: PKCS#8, RSA, EC or encrypted PKCS#8.
    static func privateKeyMarker(in pem: String) -> String? {
        pem.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("PRIVATE KEY-----") }
    }
}
