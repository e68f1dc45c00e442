import BackstopConfig
import Foundation
import MailAuth

/// The DNS record a receiver needs to check Backstop's ARC seals: the `[arc]` key's public
/// half at `selector._domainkey.domain`, written as `check-config` prints it.
public enum ARCKeyRecord {
    /// The `[arc] private_key`, or a `ConfigError` naming that key when it cannot be read or used.
    static func privateKey(at path: String, configFile: String) throws -> DKIMPrivateKey {
        do {
            return try DKIMPrivateKey(pem: try String(contentsOfFile: path, encoding: .utf8))
        } catch {
            throw ConfigError(file: configFile, location: .key(section: "arc", key: "private_key"), problem: "\(path): \(error)")
        }
    }

    /// A zone-file line for the record, nil when `[arc]` is not set. The text is cut into
    /// character-strings of at most 255 octets (RFC 1035 §3.3), as a 2048-bit RSA key needs.
    public static func zoneLine(_ configuration: BackstopConfiguration, configFile: String) throws -> String? {
        let arc = configuration.arc
        guard let domain = arc.domain, let selector = arc.selector, let path = arc.privateKey else { return nil }
        let record = Array(try privateKey(at: path, configFile: configFile).keyRecord.utf8)
        let strings = stride(from: 0, to: record.count, by: 255).map { start in
            "\"" + String(decoding: record[start..<min(record.count, start + 255)], as: UTF8.self) + "\""
        }
        return "\(selector)._domainkey.\(domain). IN TXT ( \(strings.joined(separator: " ")) )"
    }
}
