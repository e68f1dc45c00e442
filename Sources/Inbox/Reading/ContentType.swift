/// A `Content-Type` or `Content-Disposition` value: the lowercased type and its parameters
/// (names lowercased, quoted strings unquoted).
struct MIMEValue: Sendable, Equatable {
    var value: String
    var parameters: [String: String]

    static func parse(_ bytes: [UInt8]) -> MIMEValue {
        var pieces: [[UInt8]] = []
        var current: [UInt8] = []
        var quoted = false
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { quoted.toggle(); current.append(byte); continue }
            if byte == UInt8(ascii: ";"), !quoted { pieces.append(current); current = []; continue }
            current.append(byte)
        }
        pieces.append(current)
        let value = String(decoding: (pieces.first ?? []).map(asciiLowercased), as: UTF8.self).trimmingSpaces()
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: piece[..<equals].map(asciiLowercased), as: UTF8.self).trimmingSpaces()
            var raw = String(decoding: piece[(equals + 1)...], as: UTF8.self).trimmingSpaces()
            if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 { raw = String(raw.dropFirst().dropLast()) }
            if parameters[name] == nil { parameters[name] = raw }
        }
        return MIMEValue(value: value, parameters: parameters)
    }

    /// `filename*=UTF-8''…` (RFC 2231) when present, else `filename` or `name`, encoded words decoded.
    var fileName: String? {
        if let extended = parameters["filename*"] ?? parameters["name*"] {
            let parts = extended.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3 {
                return Charsets.decode(percentDecoded(Array(parts[2].utf8)), charset: String(parts[0]))
            }
        }
        return (parameters["filename"] ?? parameters["name"]).map { EncodedWords.decode(Array($0.utf8)) }
    }

    private func percentDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                output.append(value)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }
}
