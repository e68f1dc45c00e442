import Crypto
import Foundation

/// RFC 6238 time-based one-time passwords: HMAC-SHA1 over the count of 30-second steps since
/// the epoch, truncated as RFC 4226 §5.3 says. What authenticator apps compute.
public enum TOTP {
    public static let step: TimeInterval = 30
    /// The digits authenticator apps show.
    public static let digits = 6
    /// 160 bits, the HMAC-SHA1 block RFC 4226 §4 recommends.
    public static let secretLength = 20

    /// The code for `date` with `digits` digits, zero-padded.
    public static func code(secret: [UInt8], at date: Date, digits: Int) -> String {
        code(secret: secret, counter: UInt64(max(0, date.timeIntervalSince1970) / step), digits: digits)
    }

    static func code(secret: [UInt8], counter: UInt64, digits: Int) -> String {
        let message = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(binary % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// Whether `code` is the six-digit code of `date`, or of up to `drift` steps before or after.
    public static func verify(_ code: String, secret: [UInt8], at date: Date, drift: Int) -> Bool {
        matchedStep(code, secret: secret, at: date, drift: drift) != nil
    }

    /// The time step whose code `code` is, among `date`'s and up to `drift` steps before or after;
    /// nil when none. Every candidate is compared, in constant time: nothing of the codes leaks.
    public static func matchedStep(_ code: String, secret: [UInt8], at date: Date, drift: Int) -> Int64? {
        let given = Array(code.utf8)
        guard given.count == digits, given.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let now = Int64(max(0, date.timeIntervalSince1970) / step)
        var matched: Int64?
        for delta in -Int64(drift)...Int64(drift) where now + delta >= 0 {
            let expected = Array(self.code(secret: secret, counter: UInt64(now + delta), digits: digits).utf8)
            var difference: UInt8 = 0
            for (a, b) in zip(expected, given) { difference |= a ^ b }
            if difference == 0, matched == nil { matched = now + delta }
        }
        return matched
    }

    /// A fresh random secret.
    public static func makeSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<secretLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The `otpauth://` URI authenticator apps read (as a QR code or typed in).
    public static func provisioningURI(secret: [UInt8], account: String, issuer: String) -> String {
        let label = percentEncoded("\(issuer):\(account)")
        return "otpauth://totp/\(label)?secret=\(base32(secret))&issuer=\(percentEncoded(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(Int(step))"
    }

    /// RFC 4648 base32 without padding, as authenticator apps expect.
    public static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 0x1F)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)]) }
        return String(decoding: output, as: UTF8.self)
    }

    private static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~@")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
